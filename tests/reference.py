"""Helpers shared by the tests that compare the engine with PyTorch and with finite differences."""
import importlib.util
import math

import numpy as np
import pytest

from autograd import Value, grad, hessian

# Tests against PyTorch skip cleanly where it is not installed (`pip install torch==2.13.0`).
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is not installed")

REL = 1e-12  # "agrees with torch float64 to about 1e-12 relative"


def close(ours, theirs, rel=REL, abs_tol=1e-300):
    if ours == theirs:
        return True
    return abs(ours - theirs) <= rel * max(abs(ours), abs(theirs)) + abs_tol


def our_value_and_derivatives(f, point):
    """(value, gradient, Hessian) of f at point from the engine; None for an order that raised
    an ArithmeticError (an infinite or undefined derivative)."""
    xs = [Value(x) for x in point]
    out = f(*xs)
    try:
        first = [g.data for g in grad(out, xs)]
    except ArithmeticError:
        first = None
    try:
        second = hessian(out, xs)
    except ArithmeticError:
        second = None
    return out.data, first, second


def torch_value_and_derivatives(f, point):
    import torch

    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = f(*xs)
    first = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    first = [g if g is not None else torch.zeros((), dtype=torch.float64) for g in first]
    second = []
    for g in first:
        if g.requires_grad:
            row = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
            second.append([r.item() if r is not None else 0.0 for r in row])
        else:
            second.append([0.0] * len(xs))
    return out.item(), [g.item() for g in first], second


def assert_agrees(ours, theirs, what):
    """Where torch's number is finite ours must be close; where it is inf or NaN ours must
    have raised a clear error (None here) or be the same non-finite number."""
    if ours is None:
        flat = theirs if not isinstance(theirs[0], list) else [x for row in theirs for x in row]
        assert not all(math.isfinite(x) for x in flat), (
            f"{what}: the engine raised where torch gives finite {theirs}")
        return
    flat_ours = ours if not isinstance(ours[0], list) else [x for row in ours for x in row]
    flat_theirs = theirs if not isinstance(theirs[0], list) else [x for row in theirs for x in row]
    for a, b in zip(flat_ours, flat_theirs):
        assert math.isfinite(a), f"{what}: the engine gave {a} silently (torch {b})"
        assert math.isfinite(b) and close(a, b), f"{what}: engine {ours} vs torch {theirs}"


def close_arrays(a, b, tolerance=1e-12):
    """Same shape, and every pair within `tolerance` relative (absolute below 1)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        (np.abs(a - b) <= tolerance * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))).all())
