"""The helpers that let one rule of the table run on floats, on Values and on numpy arrays.

The rule table (`ops.py`) writes every value and every local derivative with plain arithmetic,
the table's own functions (exp, log, ...) and these helpers, so one rule serves three
interpreters:

- a float goes to `math` (the forward pass and the plain backward pass),
- a `Value` goes to its own method, so the derivative is recorded as a graph (create_graph),
- a numpy array goes to numpy (a traced graph replayed over a whole batch; a many-input
  operation gets its inputs stacked along axis 0).

The piecewise helpers and the reductions are where the three kinds differ, so that no rule has
to ask which kind it was given.
"""
import math
from itertools import chain
from operator import mul

import numpy as np

_ARRAY = (np.ndarray, np.generic)


def sigmoid_of_float(x):
    # Two forms so that exp never sees a large positive argument.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus_of_float(x):
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): exact and never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sigmoid_of_array(x):
    # sigmoid_of_float's two forms, elementwise (e = e^-|x| never overflows), so that a batch
    # gives the very floats a Value does: 1 - sigmoid (its derivative) magnifies any last-bit
    # difference near 1, where a formula with other roundings is off by 1e-11 at x = 11
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def softplus_of_array(x):
    return np.logaddexp(0.0, x)


class DomainError(ValueError, ArithmeticError):
    """An operation asked for where it has no real value, such as log(-1) or (-8) ** (1/3).

    Both a ValueError (what `math.log(-1)` raises) and an ArithmeticError, so either catches it.
    """


def kernel(name, on_float, on_array):
    """One function for the value of a one-input operation on a float or a numpy array (the
    forward pass and the batched replay): math's function for a float, numpy's for an array.

    Where math refuses, a non-finite input gives NaN, as IEEE arithmetic and numpy do (sin(inf));
    a finite one is a DomainError (the rule's own check usually speaks first)."""
    def value(x):
        if type(x) is not float and isinstance(x, _ARRAY):
            return on_array(x)
        try:
            return on_float(x)
        except ValueError:
            if not math.isfinite(x):
                return math.nan
            raise DomainError(f"{name}({x!r}) has no real value") from None

    value.__name__ = name
    return value


# Piecewise helpers. Their own derivative is zero wherever it exists, so on a Value they return
# a plain float: a constant in the recorded graph.

def plain(x):
    """The number inside a Value; anything else as it is."""
    return x if isinstance(x, (float, int, np.ndarray, np.generic)) else x.data


def step(x):
    """1 where x > 0, else 0 (the derivative of relu; 0 at 0, like PyTorch). On an array, an
    array of floats: a mask of booleans would multiply the same but add as `or` (d + d)."""
    if type(x) is float:  # the float walk's case, first: relu is on its hot path
        return 1.0 if x > 0 else 0.0
    if isinstance(x, _ARRAY):
        return (x > 0).astype(float)
    return 1.0 if plain(x) > 0 else 0.0


def sign(x):
    """-1, 0 or 1 (the derivative of abs; 0 at 0, like PyTorch; NaN for NaN, like numpy)."""
    if isinstance(x, _ARRAY):
        return np.sign(x)
    x = plain(x)
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else math.nan))


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


def is_zero(x):
    """Numeric test for zero (a Value's `==` compares identity, not data)."""
    return plain(x) == 0


def between(x, low, high):
    """1 where low <= x <= high, else 0 (the derivative of clamp: 1 at its corners, like
    PyTorch); a plain number or array, a constant in a recorded graph."""
    if isinstance(x, _ARRAY):
        return ((x >= low) & (x <= high)).astype(float)
    return 1.0 if low <= plain(x) <= high else 0.0


def choose(condition, if_true, otherwise):
    """`if_true` where condition holds, else `otherwise()`: a number, or a function called only
    where it is needed (a float or Value computes one side; an array computes both, quietly,
    and keeps the right one elementwise)."""
    if isinstance(condition, _ARRAY):
        with np.errstate(all="ignore"):
            return np.where(condition, if_true, otherwise())
    return if_true if condition else otherwise()


def weighted_sum(weights, xs, start):
    """start + Σ weights[i]·xs[i], summed left to right from `start` as micrograd's
    sum(wi*xi, b) is, so that both give the same floats; stacked arrays are summed along axis
    0 in the same order, so that a batch gives the very same floats too."""
    return sum(map(mul, weights, xs), start)


def log_sum_exp(xs):
    """log Σ e^x, shifted by the largest x so that no exp overflows. Where the shift is not
    finite (every input -inf, one +inf, or a NaN) the shift itself is the answer."""
    if is_array(xs):
        shift = xs.max(axis=0)  # (NaN if any is NaN, as largest())
        if np.isfinite(shift).all():  # the usual case, in fewer calls (a replay's hot path):
            # (no errstate of its own: a tape, its one caller on arrays, runs under
            # np.errstate(all="ignore"), and with every shift finite only inputs near the
            # largest float could overflow)
            out = xs - shift
            np.exp(out, out=out)
            out = np.log(out.sum(axis=0))
            out += shift
            return out
        with np.errstate(all="ignore"):
            finite = np.isfinite(shift)
            safe = np.where(finite, shift, 0.0)
            return np.where(finite, safe + np.log(np.exp(xs - safe).sum(axis=0)), shift)
    shift = largest(xs)
    if not math.isfinite(shift):
        return shift
    return shift + math.log(math.fsum(math.exp(x - shift) for x in xs))


def log_of_base(base, exponent):
    """log(base), for the derivative of base ** exponent with respect to the exponent. A
    negative base has no real log: an error for one finite number; NaN across a batch (which
    the tape then explains with this same error) or where the exponent is itself inf or NaN
    (IEEE arithmetic)."""
    if is_array(base) or is_array(exponent):
        with np.errstate(all="ignore"):
            return np.log(np.where(base < 0, math.nan, base))
    if plain(base) < 0:
        if not math.isfinite(plain(exponent)):
            return math.nan
        raise DomainError(
            f"the derivative of ({plain(base)!r}) ** b with respect to the exponent b needs a "
            "positive base: a negative number to a real power has no real value")
    return math.log(base) if isinstance(base, (float, int)) else base.log()
