"""Operations of your own, in the same form as the entries of the rule table (`ops.py`).

    softsign = define("softsign", lambda x: x / (1 + abs(x)),
                      derivative=lambda x, out: 1 / (1 + abs(x)) ** 2)
    softsign(Value(0.5))   # a Value, recorded: backward(), grad, hessian, trace, pictures
    softsign(0.5)          # a float, checked as a Value would be
    softsign(np.ones(3))   # a numpy array

Write the value and the derivatives with arithmetic and autograd's functions (exp, log, ...):
then the same definition runs on floats, on Values (so derivatives of derivatives work) and on
numpy arrays (so a traced tape replays it over a batch).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .ops import Rule
from .value import evaluate


def define(name: str, value: Callable[..., Any],
           derivative: Callable[[Any, Any], Any] | None = None, *,
           partials: Callable[..., tuple[Any, ...]] | None = None,
           check: Callable[..., None] | None = None) -> Callable[..., Any]:
    """A new operation, as a function of floats, Values or numpy arrays.

    name: how it shows in pictures and messages.
    value(x1, ..., xn): the result, on floats and on numpy arrays alike.
    derivative(x, out): for one input, d out / d x; or, for any number of inputs,
    partials(x1, ..., xn, out): the tuple of d out / d xi. Both may use `out`, the result.
    check(x1, ..., xn): optional; raises a clear error where the operation has no value
    (it sees floats; NaN and inf data should pass, as for the built-in operations). A tape
    replays it on the samples where the value comes out inf or NaN, so let `value` give NaN on
    arrays where it has none (numpy's functions do).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"define(name, ...): the name is a non-empty string, got {name!r}")
    for what, function in (("value", value), ("derivative", derivative),
                           ("partials", partials), ("check", check)):
        if function is not None and not callable(function):
            raise TypeError(f"define({name!r}): {what} must be a function, got "
                            f"{type(function).__name__}")
    if (derivative is None) == (partials is None):
        raise TypeError(f"define({name!r}): give derivative (one input) or partials (any "
                        f"number of inputs), not both and not neither")
    arity = _count_inputs(name, value)
    if derivative is not None and arity != 1:
        raise TypeError(f"define({name!r}): value takes {arity} inputs, so give partials "
                        f"returning {arity} derivatives, not one derivative")
    if arity <= 2:
        rule = Rule(name, value, partials, check, derivative=derivative)
    else:  # three or more inputs: the rule takes them as one sequence
        rule = Rule(name, lambda xs: value(*xs), lambda xs, out: partials(*xs, out),
                    (lambda xs: check(*xs)) if check else None, variadic=True)

    def operation(*inputs):
        if len(inputs) != arity:
            raise TypeError(f"{name}() takes {arity} input{'s' * (arity > 1)}, got "
                            f"{len(inputs)}")
        return evaluate(rule, name, list(inputs))

    operation.__name__ = name
    operation.__doc__ = f"{name}, defined with autograd.define: takes floats, Values or arrays."
    operation.rule = rule
    return operation


def _count_inputs(name, value):
    try:
        parameters = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"define({name!r}): cannot tell how many inputs value takes; give a "
                        f"function of named inputs") from None
    kinds = {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD}
    count = sum(1 for p in parameters if p.kind in kinds and p.default is p.empty)
    if count == 0:
        raise TypeError(f"define({name!r}): value takes no inputs")
    return count
