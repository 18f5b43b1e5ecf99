"""Values to one numpy vector and back: how a training loop keeps a model's parameters in numpy
between steps (the tape's `value_and_grad(batch, at=vector)`, the optimizers' `update`)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import math

import numpy as np

from .walk import data_of

if TYPE_CHECKING:
    from .value import Value


def values_to_vector(values: Iterable[Value]) -> np.ndarray:
    """The `.data` of Values as one numpy vector (a model's parameters, say)."""
    values = list(values)
    return np.fromiter(map(data_of, values), dtype=float, count=len(values))


def vector_to_values(vector: np.ndarray | Iterable[float], values: Iterable[Value]) -> None:
    """Set each Value's `.data` from a vector of the same length, in order."""
    values, vector = list(values), np.asarray(vector, dtype=float)
    if vector.shape != (len(values),):
        raise ValueError(f"a vector of {len(values)} numbers is needed for {len(values)} "
                         f"Values, got shape {vector.shape}")
    for v, x in zip(values, vector.tolist()):
        v.data = x


def all_finite(vector: np.ndarray) -> bool:
    """Is every number finite? A sum is finite only if every term is (inf and NaN never cancel
    out), so one sum answers at once in the usual case (a step of a training loop, a tape's
    values); only a sum that overflowed needs a closer look. (Call it under np.errstate: an
    overflow in the sum is not worth a warning.)"""
    return math.isfinite(vector.sum()) or bool(np.isfinite(vector).all())


# np.errstate(all="ignore") for the hot paths of a training step (a Replay's step, the
# optimizers' update_checked), without errstate's cost (~1.3 µs, most of it in building its
# settings anew each time): the settings are made once and set for the current context, as
# errstate sets them. Use as
#     token = ignore_errors()
#     try: ...
#     finally: restore_errors(token)
try:  # numpy >= 2: the settings live in a context variable
    from numpy._core._multiarray_umath import _make_extobj
    from numpy._core._ufunc_config import _extobj_contextvar

    _IGNORED = _make_extobj(all="ignore")

    def ignore_errors():
        return _extobj_contextvar.set(_IGNORED)

    restore_errors = _extobj_contextvar.reset
except (ImportError, AttributeError, TypeError):  # elsewhere: np.seterr, which errstate uses
    def ignore_errors():
        return np.seterr(all="ignore")

    def restore_errors(token):
        np.seterr(**token)
