"""Errors that the command line turns into one clear line on stderr and exit code 2."""

from __future__ import annotations

from difflib import get_close_matches
from os import PathLike


class InputError(Exception):
    """Bad input from the user: a file, a folder or an option that cannot be used.

    The command line prints ``str(error)`` as one line on stderr and exits with code 2.

    Parameters
    ----------
    message : str
        What is wrong and, where possible, what to do about it.
    path : str or path-like, optional
        The file or folder at fault; it is put in front of the message.
    """

    def __init__(self, message: str, path: str | PathLike | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        super().__init__(message if path is None else f"{self.path}: {message}")


class DatasetError(InputError):
    """A dataset that cannot be loaded; ``problems`` lists everything found wrong.

    Parameters
    ----------
    problems : list of dict
        Each ``{"file": str, "problem": str}``; the first one becomes the message.
    """

    def __init__(self, problems: list[dict[str, str]]):
        if not problems:
            raise ValueError("DatasetError needs at least one problem")
        self.problems = list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(first["problem"] + suffix, first["file"])


class ParameterError(ValueError):
    """A parameter of a library function outside its allowed values, said in library words.

    ``str(error)`` reads "The 'n_folds' parameter of make_splits must be an int >= 2. Got 1
    instead."; the command line, which knows which option fed the parameter, rewords it
    with the option's name (:func:`benchmark.harness.cli.main`).

    Parameters
    ----------
    parameter : str
        The parameter's name.
    owner : str
        The function or class it belongs to.
    expected : str
        What it must be, as a phrase ("an int >= 2").
    got : object
        What came.
    choices : sequence of str, optional
        The valid values, when they are names: a close one is suggested ("did you mean").
    """

    def __init__(self, parameter: str, owner: str, expected: str, got, *, choices=()):
        self.parameter, self.owner, self.expected, self.got = parameter, owner, expected, got
        close = get_close_matches(str(got), list(choices), n=1) if choices else []
        self.hint = f"did you mean {close[0]!r}?" if close else ""
        super().__init__(f"The {parameter!r} parameter of {owner} must be {expected}. "
                         f"Got {got!r} instead." + (f" {self.hint.capitalize()}" if close
                                                    else ""))
