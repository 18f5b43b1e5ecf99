"""Exercises that check themselves, for the walkthrough notebooks (and for anyone teaching).

    from autograd.exercises import check

    answer = ...   # the learner's answer; `...` until they give one
    check("1.1", answer, expected=-6.0, hint="dL/da = b, by the product rule")

prints one line: "1.1 right", "1.1 not yet: <hint>" (with what was given and what is
expected, for numbers), or "1.1 not answered yet" while the answer is still `...`; and returns
True only when right, so that a solution cell can `assert check(...)`.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .value import Value

__all__ = ["check"]


def check(name: str, answer: Any, expected: Any, hint: str = "", *, rel_tol: float = 1e-6,
          abs_tol: float = 1e-9) -> bool:
    """Say whether `answer` is right, and give the hint if it is not.

    expected: a number (a Value counts by its .data), a list of numbers (compared item by
        item), any other value (compared with ==), or a function of the answer that returns
        True when it is right (False, or a string saying what is wrong, when it is not).
    rel_tol, abs_tol: how close a number must be (math.isclose).
    """
    if answer is ...:
        print(f"{name} not answered yet: replace the ... with your answer")
        return False
    try:
        verdict = _judged(answer, expected, rel_tol, abs_tol)
    except Exception as error:  # the learner's answer may be anything: say so, do not crash
        verdict = f"checking it raised {type(error).__name__}: {error}"
    if verdict is True:
        print(f"{name} right")
        return True
    said = f" ({verdict})" if isinstance(verdict, str) and verdict else ""
    print(f"{name} not yet{said}" + (f". Hint: {hint}" if hint else ""))
    return False


def _judged(answer, expected, rel_tol, abs_tol):
    """True if right; otherwise False or a few words on what is wrong."""
    answer, expected = _plain(answer), _plain(expected)
    if callable(expected) and not _is_number(expected):
        result = expected(answer)
        return result if isinstance(result, str) else bool(result)
    if _is_number(expected):
        if not _is_number(answer):
            return f"a number is expected, got {type(answer).__name__}"
        got, want = _number(answer), _number(expected)
        return math.isclose(got, want, rel_tol=rel_tol, abs_tol=abs_tol) or \
            f"got {got:.6g}, expected something else"
    if isinstance(expected, (list, tuple)):
        if not isinstance(answer, (list, tuple)) or len(answer) != len(expected):
            return f"a list of {len(expected)} is expected"
        wrong = [i for i, (a, e) in enumerate(zip(answer, expected))
                 if _judged(a, e, rel_tol, abs_tol) is not True]
        return not wrong or f"item {wrong[0]} is not right"
    return answer == expected


def _plain(x):
    """A numpy array as lists of numbers (a 0-d one as its number): compared as those are."""
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else x.item()
    return x


def _is_number(x):
    return isinstance(x, Value) or (isinstance(x, Real) and not isinstance(x, bool))


def _number(x):
    return x.data if isinstance(x, Value) else float(x)  # numpy's scalars too

