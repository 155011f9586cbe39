"""The Keras backend is checked before Keras starts: a misspelling, a missing library."""

import importlib.util
import json

import pytest

from deep import backend_check
from deep.backend_check import BACKENDS, backend_problem, chosen_backend


@pytest.fixture
def no_keras_json(monkeypatch, tmp_path):
    """A Keras home without keras.json, so that only KERAS_BACKEND decides."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("value, suggestion", [
    ("pytorch", "torch"), ("tf", "tensorflow"), ("tensorflw", "tensorflow"), ("Jax", "jax"),
])
def test_a_misspelled_backend_gets_a_did_you_mean(monkeypatch, no_keras_json, value,
                                                  suggestion):
    monkeypatch.setenv("KERAS_BACKEND", value)
    problem = backend_problem()
    assert problem.startswith(f"KERAS_BACKEND={value!r} is not a Keras backend massbench "
                              f"trains with; did you mean {suggestion!r}? (choose from "
                              "tensorflow, jax, torch)")
    assert "\n" not in problem


def test_a_backend_far_from_all_gets_the_list_only(monkeypatch, no_keras_json):
    monkeypatch.setenv("KERAS_BACKEND", "numpy")
    assert "did you mean" not in backend_problem()
    assert "(choose from tensorflow, jax, torch)" in backend_problem()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_missing_library_names_its_own_extra(monkeypatch, no_keras_json, backend):
    monkeypatch.setenv("KERAS_BACKEND", backend)
    real = importlib.util.find_spec
    monkeypatch.setattr(backend_check.importlib.util, "find_spec",
                        lambda name, *a: None if name == backend else real(name, *a))
    problem = backend_problem()
    assert f"KERAS_BACKEND={backend} but {backend} is not installed: pip install " \
           f"'massbench[{backend}]'" in problem
    assert backend_check.install_hint() == f"pip install 'massbench[{backend}]'"


def test_keras_json_decides_when_the_variable_is_unset(monkeypatch, no_keras_json):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert chosen_backend() == ("tensorflow", "default")
    (no_keras_json / "keras.json").write_text(json.dumps({"backend": "pytorch"}))
    assert chosen_backend() == ("pytorch", "keras.json")
    assert backend_problem().startswith("the Keras backend (from keras.json)='pytorch'")
    monkeypatch.setenv("KERAS_BACKEND", "")  # Keras ignores an empty value
    assert chosen_backend() == ("pytorch", "keras.json")


def test_the_backend_of_this_environment_passes():
    if backend_problem() is not None:
        pytest.skip(f"no usable backend here: {backend_problem()}")
    keras = pytest.importorskip("keras")
    assert keras.backend.backend() == chosen_backend()[0]
