"""Gradient checking: the engine's derivatives against central finite differences.

    (f(x + eps) - f(x - eps)) / (2 eps)

approximates f'(x) with an error of order eps² (plus rounding of order 1e-16 / eps), from
nothing but evaluations of f: an independent check on every rule in the table.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any
import math
from numbers import Real

from .backward import grad
from .value import Value, as_float, enable_grad, is_sequence, no_grad


class GradcheckReport:
    """What gradcheck found: one row per derivative, the worst first in `worst`.

    True when every derivative agrees, so `assert gradcheck(f, [1.0, 2.0])` works; print it
    (or show it in a notebook) for the table.
    """

    def __init__(self, title, rows, atol, rtol):
        self.title = title
        self.rows = rows  # dicts: name, analytic, numeric, error, allowed, ok
        self.atol = atol
        self.rtol = rtol

    @property
    def ok(self) -> bool:
        return all(row["ok"] for row in self.rows)

    @property
    def worst(self) -> dict[str, Any] | None:
        """The row whose error is largest against what is allowed (None if there are none)."""
        return max(self.rows, key=_badness, default=None)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self):
        verdict = "passed" if self.ok else "FAILED"
        lines = [f"{self.title} {verdict}: {len(self.rows)} derivatives, "
                 f"allowed |analytic - numeric| <= {self.atol:g} + {self.rtol:g} * |numeric|"]
        worst = self.worst
        if worst is not None:
            lines.append(f"worst: {worst['name']}  analytic {worst['analytic']:.10g}  "
                         f"numeric {worst['numeric']:.10g}  error {worst['error']:.3g}")
        lines.append(f"  {'derivative':<16}{'analytic':>20}{'numeric':>20}{'error':>11}  ok")
        for row in self.rows:
            lines.append(f"  {row['name']:<16}{row['analytic']:>20.12g}{row['numeric']:>20.12g}"
                         f"{row['error']:>11.3g}  {'yes' if row['ok'] else 'NO'}")
        return "\n".join(lines)


def _badness(row):
    """The error as a share of what is allowed (an exact match always allowed)."""
    if row["allowed"] > 0:
        return row["error"] / row["allowed"]
    return math.inf if row["error"] > 0 else 0.0


def _row(name, analytic, numeric, atol, rtol):
    error = abs(analytic - numeric)
    allowed = atol + rtol * abs(numeric)
    return {"name": name, "analytic": analytic, "numeric": numeric, "error": error,
            "allowed": allowed, "ok": error <= allowed}


def _floats(inputs):
    if getattr(inputs, "ndim", None) == 0:  # a 0-d numpy array: one number
        inputs = inputs.item()
    if isinstance(inputs, (Value, Real)):
        inputs = [inputs]
    if not is_sequence(inputs):
        raise TypeError(f"gradcheck takes the inputs as numbers or Values (a list, or one), got "
                        f"{type(inputs).__name__}")
    numbers = []
    for position, x in enumerate(inputs):
        if isinstance(x, Value):
            numbers.append(x.data)
        elif isinstance(x, Real):
            numbers.append(as_float(x, f"gradcheck's input {position}"))
        else:
            raise TypeError(f"gradcheck inputs must be numbers or Values; input {position} is "
                            f"{type(x).__name__}: {x!r}"[:200])
        if not math.isfinite(numbers[-1]):
            raise ValueError(f"gradcheck checks at finite points; input {position} is "
                             f"{numbers[-1]!r}")
    if not numbers:
        raise ValueError("gradcheck needs at least one input to check at, got none")
    return numbers


def _check_tolerances(eps, atol, rtol):
    for name, number, least in (("eps", eps, "> 0"), ("atol", atol, ">= 0"),
                                ("rtol", rtol, ">= 0")):
        if isinstance(number, bool) or not isinstance(number, Real) \
                or not math.isfinite(number) or number < 0 or (name == "eps" and number == 0):
            raise ValueError(f"gradcheck's {name} must be a finite number {least}, "
                             f"got {number!r}")


def _input_names(f, count):
    """f's own parameter names when they fit (w, b), else x0, x1, ..."""
    try:
        names = [p.name for p in inspect.signature(f).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return names if len(names) == count else [f"x{i}" for i in range(count)]


def _call(f, values):
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}: {out!r}")
    return out


def _central_difference(g, point, j, eps):
    """(g(point with x_j + eps) - g(point with x_j - eps)) / 2 eps, for g returning a list."""
    plus, minus = list(point), list(point)
    plus[j] += eps
    minus[j] -= eps
    try:
        return [(a - b) / (2 * eps) for a, b in zip(g(plus), g(minus))]
    except ArithmeticError as error:
        raise ValueError(f"gradcheck: f has no value a step eps = {eps:g} away from the point "
                         f"{point} ({error}): check at a point further from the edge of f's "
                         f"domain, or with a smaller eps") from None


def _check_failure(report, raise_on_failure):
    if raise_on_failure and not report.ok:
        raise AssertionError(repr(report))
    return report


def gradcheck(f: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3,
              raise_on_failure: bool = False) -> GradcheckReport:
    """Compare d f / d x_i from the engine with central finite differences.

    `f(*values)` takes one Value per input and returns a Value; `inputs` are the numbers (or
    Values) to check at. Returns a GradcheckReport (true when all agree); with
    `raise_on_failure=True` a mismatch raises AssertionError showing the report.
    """
    point = _floats(inputs)
    _check_tolerances(eps, atol, rtol)
    values = [Value(x) for x in point]
    with enable_grad():  # f must record, even if called inside no_grad()
        analytic = grad(_call(f, values), values)

    @no_grad()
    def f_of(xs):
        return [_call(f, [Value(x) for x in xs]).data]

    names = _input_names(f, len(point))
    rows = [_row(f"d/d{names[i]}", analytic[i].data, _central_difference(f_of, point, i, eps)[0],
                 atol, rtol) for i in range(len(point))]
    return _check_failure(GradcheckReport("gradcheck", rows, atol, rtol), raise_on_failure)


def gradgradcheck(f: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3,
                  raise_on_failure: bool = False) -> GradcheckReport:
    """Second order: the engine's d²f / dx_i dx_j (from create_graph=True) against central
    finite differences of its own first derivatives."""
    point = _floats(inputs)
    _check_tolerances(eps, atol, rtol)
    values = [Value(x) for x in point]
    with enable_grad():  # f must record, even if called inside no_grad()
        first = grad(_call(f, values), values, create_graph=True)
        analytic = [grad(first[i], values) for i in range(len(point))]

    @enable_grad()
    def first_derivatives(xs):
        xs_values = [Value(x) for x in xs]
        return [g.data for g in grad(_call(f, xs_values), xs_values)]

    names = _input_names(f, len(point))
    rows = []
    for j in range(len(point)):
        column = _central_difference(first_derivatives, point, j, eps)
        for i in range(len(point)):
            rows.append(_row(f"d2/d{names[i]}d{names[j]}", analytic[i][j].data, column[i],
                             atol, rtol))
    return _check_failure(GradcheckReport("gradgradcheck", rows, atol, rtol), raise_on_failure)

