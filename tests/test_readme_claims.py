"""The README's claims about errors, divergence and the traced engine, executed as written."""
import re
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import DomainError, Value, trace  # noqa: F401  (names the README's lines use)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(title):
    start = README.index(title)
    following = README.find("\n#", start + len(title))
    return README[start:following if following != -1 else len(README)]


def blocks(text):
    """The fenced blocks of a piece of the README, in order."""
    return re.findall(r"```(?:python)?\n(.*?)```", text, flags=re.S)


ERROR_LINES = re.findall(r">>> (.+)\n(\w+): (.+)", section("### Errors, not wrong numbers"))


def test_the_errors_section_shows_errors():
    assert len(ERROR_LINES) >= 4


@pytest.mark.parametrize("expression, kind, message", ERROR_LINES)
def test_each_error_in_the_readme_is_raised_as_written(expression, kind, message):
    with pytest.raises(Exception) as raised:
        eval(expression)
    assert type(raised.value).__name__ == kind
    assert str(raised.value) == message


def test_the_claims_under_the_errors_section():
    assert issubclass(DomainError, ValueError) and issubclass(DomainError, ArithmeticError)
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1
    assert np.isnan((Value(float("nan")) * 2).data)
    assert np.isnan(Value(float("inf")).sin().data)
    with pytest.raises(OverflowError, match="beyond the largest float"):
        Value(10 ** 400)
    for x in (-1e308, -800.0, 800.0, 1e308):
        for op in (Value.tanh, Value.sigmoid, Value.softplus):
            op(Value(x))  # never overflows


def test_the_divergence_example_gives_the_message_shown():
    text = section("**Divergence.**")
    code, shown = blocks(text)[:2]
    with pytest.raises(FloatingPointError) as raised:
        exec(code, {"nn": nn})
    assert f"FloatingPointError: {raised.value}" == shown.strip()


def test_the_traced_engine_names_the_sample_as_the_readme_says():
    quoted = re.search(r"\(`(sample 2 of the batch: [^`]+)`\)", " ".join(README.split()))
    w = Value(1.0)
    tape = trace(lambda row: (row[0] * w).log(), [1.0])
    with pytest.raises(DomainError) as raised:
        tape.run([[1.0], [3.0], [-2.0]])
    assert str(raised.value) == quoted.group(1)
