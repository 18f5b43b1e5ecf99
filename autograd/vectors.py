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
