"""Elementary functions that work on floats, on Values and on numpy arrays alike.

The rule table (`ops.py`) writes every value and every local derivative with these helpers and
plain arithmetic, so one rule serves three interpreters:

- a float goes to `math` (the forward pass and the plain backward pass),
- a `Value` goes to its own method, so the derivative is recorded as a graph (create_graph),
- a numpy array goes to numpy (a traced graph replayed over a whole batch).
"""
import math
from itertools import chain

import numpy as np

_NUMBER = (float, int)
_ARRAY = (np.ndarray, np.generic)


def _sigmoid_float(x):
    # Two forms so that exp never sees a large positive argument.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus_float(x):
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): exact and never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sigmoid_array(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _softplus_array(x):
    return np.logaddexp(0.0, x)


class DomainError(ValueError, ArithmeticError):
    """An operation asked for where it has no real value, such as log(-1) or (-8) ** (1/3).

    Both a ValueError (what `math.log(-1)` raises) and an ArithmeticError, so either catches it.
    """


def _elementary(name, on_float, on_array):
    def function(x):
        if isinstance(x, _NUMBER):
            try:
                return on_float(x)
            except ValueError:
                if not math.isfinite(x):
                    return math.nan  # IEEE: sin(inf) is NaN, where math raises
                raise DomainError(f"{name}({x!r}) has no real value") from None
            except OverflowError:
                raise OverflowError(f"{name}({x!r}) overflows: the result is beyond the "
                                    f"largest float") from None
        if isinstance(x, _ARRAY):
            return on_array(x)
        method = getattr(x, name, None)  # a Value: record the operation
        if method is None:
            raise TypeError(f"{name}() takes a number, a Value or a numpy array, got "
                            f"{type(x).__name__}")
        return method()

    function.__name__ = name
    function.__doc__ = f"{name}(x) for a float, a Value or a numpy array."
    return function


exp = _elementary("exp", math.exp, np.exp)
log = _elementary("log", math.log, np.log)
sqrt = _elementary("sqrt", math.sqrt, np.sqrt)
tanh = _elementary("tanh", math.tanh, np.tanh)
sin = _elementary("sin", math.sin, np.sin)
cos = _elementary("cos", math.cos, np.cos)
sigmoid = _elementary("sigmoid", _sigmoid_float, _sigmoid_array)
# max(x, 0), keeping NaN as NaN (NaN <= 0 is False; numpy's maximum propagates NaN)
relu = _elementary("relu", lambda x: 0.0 if x <= 0 else x, lambda x: np.maximum(x, 0.0))
softplus = _elementary("softplus", _softplus_float, _softplus_array)


# Piecewise helpers. Their own derivative is zero wherever it exists, so on a Value they return
# a plain float: a constant in the recorded graph.

def plain(x):
    """The number inside a Value; anything else as it is."""
    return x if isinstance(x, _NUMBER + _ARRAY) else x.data


def step(x):
    """1 where x > 0, else 0 (the derivative of relu; 0 at 0, like PyTorch)."""
    if isinstance(x, _ARRAY):
        return (x > 0).astype(float)
    return 1.0 if plain(x) > 0 else 0.0


def sign(x):
    """-1, 0 or 1 (the derivative of abs; 0 at 0, like PyTorch)."""
    if isinstance(x, _ARRAY):
        return np.sign(x)
    x = plain(x)
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def where(condition, if_true, if_false):
    """`if_true` where condition holds, else `if_false`; elementwise on arrays."""
    if isinstance(condition, _ARRAY):
        return np.where(condition, if_true, if_false)
    return if_true if condition else if_false


# Helpers for operations with any number of inputs. Their inputs come as a list (of floats or of
# Values) or, in the batched interpreter, as one array stacked along axis 0.

def is_array(x):
    """True for a numpy array: a batch, or the stacked inputs of a many-input rule."""
    return isinstance(x, np.ndarray)


def add_all(xs):
    """x0 + x1 + ..., left to right (a stacked array: summed along axis 0)."""
    if is_array(xs):
        return xs.sum(axis=0)
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def each(function, xs):
    """function applied to every input: a tuple, or an array for stacked inputs."""
    if is_array(xs):
        return function(xs)
    return tuple(function(x) for x in xs)


def one(x):
    """1, in the shape of x (a constant: its own derivative is 0)."""
    return np.ones_like(x) if is_array(x) else 1.0


def join(*parts):
    """Partial derivatives from several pieces, as one tuple (or one stacked array)."""
    if any(is_array(part) for part in parts):
        reference = next(part for part in parts if is_array(part))
        return np.concatenate([part if is_array(part) else np.broadcast_to(
            np.asarray(part, dtype=float).reshape(-1, *([1] * (reference.ndim - 1))),
            (len(part),) + reference.shape[1:]) for part in parts])
    return tuple(chain.from_iterable(parts))


def largest(xs):
    """The largest of xs; NaN if any is NaN, whatever the order (as numpy's max)."""
    if is_array(xs):
        return xs.max(axis=0)
    numbers = [plain(x) for x in xs]
    top = max(numbers)
    return top if all(x == x for x in numbers) else math.nan


def is_finite(x):
    """Neither inf nor NaN (elementwise on arrays)."""
    return np.isfinite(x) if isinstance(x, _ARRAY) else math.isfinite(plain(x))


def is_zero(x):
    """Numeric test for zero (a Value's `==` compares identity, not data)."""
    return plain(x) == 0
