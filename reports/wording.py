"""What a test found, in the words the report uses: one place for every phrase of a finding.

The rules (the glance, the tables and the comparison page all read them from here):

- a test that finds nothing says "no difference detected" with the smallest difference the
  run could have detected, never "a tie";
- a comparison that could not be tested says so, with the reason;
- a method is "above the floor" only when its mean is higher *and* the one-sided test says
  so; with a higher mean and no such test it is "not shown above the floor"; with a lower
  mean it is "below the floor";
- a run whose scores do not rank (a quick-profile smoke test: ``claims=False``) shows
  p-values but never the word "significant" and no claim of an order.
"""

from __future__ import annotations

import numpy as np

from reports.format import fmt, fmt_p
from reports.significance import ALPHA, POWER

#: Below this many patients in all the test parts, the glance warns that intervals and tests
#: are unreliable.
SMALL_SAMPLE_PATIENTS = 10
ABOVE, NOT_SHOWN, BELOW = "above the floor", "not shown above the floor", "below the floor"


def significant(p_holm, alpha: float = ALPHA) -> bool:
    """Whether a (corrected) p-value is below ``alpha``; False for a missing one."""
    return bool(p_holm is not None and np.isfinite(p_holm) and p_holm < alpha)


def detectable(mde, digits: int = 3) -> str:
    """The smallest detectable difference in words (power 0.8).

    Examples
    --------
    >>> detectable(0.0312)
    'this run could detect differences of 0.031 or more (power 0.8)'
    """
    return f"this run could detect differences of {fmt(mde, digits)} or more (power {POWER:g})"


def finding(p_holm, mde, reason: str = "", *, digits: int = 3, claims: bool = True,
            sided: str = "") -> str:
    """What a two-sided (or, with ``sided='one-sided'``, directed) test found, in words.

    Examples
    --------
    >>> print(finding(0.4, 0.031))  # doctest: +NORMALIZE_WHITESPACE
    no difference detected (p 0.400, Holm); this run could detect differences of 0.031
    or more (power 0.8)
    >>> finding(0.004, 0.031)
    'a significant difference (p 0.004, Holm)'
    >>> print(finding(0.004, 0.031, claims=False))  # doctest: +NORMALIZE_WHITESPACE
    p 0.004 (Holm); this run could detect differences of 0.031 or more (power 0.8)
    >>> finding(float("nan"), float("nan"), "2 folds, one training each")
    'cannot be tested: 2 folds, one training each'
    """
    if reason:
        return f"cannot be tested: {reason}"
    where = f"p {fmt_p(p_holm)}, {sided + ', ' if sided else ''}Holm"
    if claims and significant(p_holm):
        return f"a significant difference ({where})"
    if claims:
        return f"no difference detected ({where}); {detectable(mde, digits)}"
    return f"p {fmt_p(p_holm)} ({sided + ', ' if sided else ''}Holm); {detectable(mde, digits)}"


def floor_mark(difference, p_holm, *, claims: bool = True) -> str:
    """A method's place against its track's floor: above, not shown above, or below it.

    ``difference`` is the method's mean minus the floor's, ``p_holm`` the Holm-corrected
    p-value of the one-sided test (method above the floor). Without claims (a smoke test)
    only the direction of the means is said.

    Examples
    --------
    >>> floor_mark(0.05, 0.001), floor_mark(0.02, 0.996), floor_mark(-0.2, 1.0)
    ('above the floor', 'not shown above the floor', 'below the floor')
    >>> floor_mark(0.05, 0.001, claims=False)
    'higher in mean than the floor'
    """
    if difference is None or not np.isfinite(difference):
        return ""
    if not claims:
        return ("higher in mean than the floor" if difference > 0
                else "lower in mean than the floor")
    if difference < 0:
        return BELOW
    return ABOVE if difference > 0 and significant(p_holm) else NOT_SHOWN


def floor_finding(difference, p_holm, mde, reason: str = "", *, claims: bool = True) -> str:
    """The mark with its numbers: 'above the floor by +0.052 (p 0.001, one-sided, Holm)'.

    Examples
    --------
    >>> floor_finding(-0.23, 1.0, 0.04)
    'below the floor (-0.230)'
    >>> print(floor_finding(0.01, 0.3, 0.04))  # doctest: +NORMALIZE_WHITESPACE
    not shown above the floor (+0.010, p 0.300, one-sided, Holm); this run could detect
    differences of 0.040 or more (power 0.8)
    """
    mark = floor_mark(difference, p_holm, claims=claims)
    if not mark:
        return ""
    if mark == BELOW:
        return f"{mark} ({difference:+.3f})"
    tested = (f"not tested: {reason}" if reason
              else f"p {fmt_p(p_holm)}, one-sided, Holm")
    if mark == ABOVE:
        return f"{mark} by {difference:+.3f} ({tested})"
    text = f"{mark} ({difference:+.3f}, {tested})"
    return text if reason or not np.isfinite(mde) else f"{text}; {detectable(mde)}"


def ceiling_share(ceiling, score) -> float:
    """The share of a model's gap to a perfect score that is its input size.

    ``(1 - ceiling) / (1 - score)``, at most 1; NaN without a ceiling or for a perfect score.

    Examples
    --------
    >>> round(ceiling_share(0.95, 0.85), 3)
    0.333
    """
    if not (np.isfinite(ceiling) and np.isfinite(score)) or score >= 1:
        return np.nan
    return float(min(1.0, max(0.0, (1 - ceiling) / (1 - score))))


def ceiling_sentence(method: str, ceiling, score) -> str:
    """A deep model's resolution ceiling and the share of its gap that is the input size.

    Examples
    --------
    >>> print(ceiling_sentence("unet", 0.95, 0.85))
    unet: ceiling 0.950 (score 0.850): the input size is 33 % of its gap to a perfect score
    """
    share = ceiling_share(ceiling, score)
    text = f"{method}: ceiling {fmt(ceiling)} (score {fmt(score)})"
    if not np.isfinite(share):
        return text
    if share >= 1:
        return text + ": the input size is all of its gap to a perfect score"
    return text + f": the input size is {100 * share:.0f} % of its gap to a perfect score"


def small_sample_warning(n_patients: int) -> str | None:
    """The glance's warning for a run whose test parts hold few patients (None otherwise).

    Examples
    --------
    >>> print(small_sample_warning(4))  # doctest: +NORMALIZE_WHITESPACE
    Small sample: the test parts hold 4 patients in all; with fewer than 10 the intervals
    and tests are unreliable.
    >>> small_sample_warning(40) is None
    True
    """
    if n_patients >= SMALL_SAMPLE_PATIENTS:
        return None
    return (f"Small sample: the test parts hold {n_patients} patient"
            f"{'s' if n_patients != 1 else ''} in all; with fewer than "
            f"{SMALL_SAMPLE_PATIENTS} the intervals and tests are unreliable.")


__all__ = ["ABOVE", "BELOW", "NOT_SHOWN", "SMALL_SAMPLE_PATIENTS", "ceiling_sentence",
           "ceiling_share", "detectable", "finding", "floor_finding", "floor_mark",
           "significant", "small_sample_warning"]
