"""Phase 4, running: the Tape plans a recording, compiles its program once, and runs it over
batches of samples.

What a tape's gradient is: by default, the derivative of the MEAN over the batch of the
function's first output (its loss), a training step's usual loss. `Value.backward()`
differentiates the one Value it is called on, so on per-sample losses added up it gives the
derivative of their SUM: `reduction="sum"` asks the tape for that. Either agrees with the
eager engine to rounding.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import numpy as np

from ..vectors import values_to_vector
from ..walk import data_of
from .codegen import write_program
from .diagnose import explain_non_finite_gradient, explain_non_finite_values
from .plan import make_plan

REDUCTIONS = ("mean", "sum")


# a batch: rows of numbers, one row per sample (a 2-D array or a list of lists)
Batch = Union[np.ndarray, Sequence[Sequence[float]]]


class Tape:
    """A traced function, ready to replay over batches (made by `trace`).

    tape.run(batch): the outputs for every sample (row) of the batch.
    tape.value_and_grad(batch, at=vector): the outputs, and the gradient of the first output's
        mean over the batch (reduction="sum": its sum) with respect to `tape.wrt`, as a
        vector; writes nothing.
    tape.backward(batch): the same gradient, added to each parameter's `.grad`.

    Its program — one numpy call per group of nodes, a forward and a backward function — is
    compiled once; `tape.source` is its text.
    """

    def __init__(self, recording, wrt):
        self.plan = make_plan(recording, wrt)
        program = write_program(self.plan)
        self.source = program.source
        namespace = dict(program.constants)
        exec(compile(self.source, "<tape>", "exec"), namespace)
        self._forward_program, self._backward_program = namespace["forward"], namespace["backward"]
        # what callers and every run read, as plain attributes
        self.wrt = self.plan.wrt  # the gradient vector's order
        self.groups = self.plan.groups  # one numpy call each
        self.size = self.plan.size  # how many nodes were recorded
        self.input_count = self.plan.input_count  # the batch's columns

    def __repr__(self):
        return (f"<tape of {self.size} nodes in {len(self.groups)} batched operations, "
                f"{self.input_count} inputs per sample>")

    # -- what users call --

    def run(self, batch: Batch) -> list[np.ndarray]:
        """The traced outputs for every row of batch: a list of arrays, one per output."""
        with np.errstate(all="ignore"):
            shared, batched = self._forward(batch)
        return self._outputs(shared, batched)

    def value_and_grad(self, batch: Batch, at: np.ndarray | None = None,
                       reduction: str = "mean") -> tuple[list[np.ndarray], np.ndarray]:
        """The outputs for every row of batch, and the gradient, with respect to `wrt` (the
        parameters) as a vector in wrt's order, of the first output's MEAN over the batch
        (reduction="mean", the default) or its SUM (reduction="sum": what Value.backward()
        on the sum of the per-sample outputs gives).

        at: the parameters' values to use, as a vector in wrt's order (see values_to_vector);
            by default their `.data`. Nothing is written: no `.grad`, no `.data`, so a
            training loop can keep its parameters in one numpy vector between steps."""
        reduction = checked_reduction(reduction)
        with np.errstate(all="ignore"):
            shared, batched = self._forward(batch, at)
            gradient = self._gradient(shared, batched, reduction)[:len(self.wrt)]
        if not all_finite(gradient):
            with np.errstate(all="ignore"):
                explain_non_finite_gradient(self.plan, shared, batched)
        return self._outputs(shared, batched), gradient

    def backward(self, batch: Batch, reduction: str = "mean") -> list[np.ndarray]:
        """Add to `.grad` of every Value v in `wrt` (the parameters) d/dv of the first output's
        MEAN over the batch (reduction="mean", the default: like backward() on the mean of the
        per-sample outputs), or of its SUM (reduction="sum": like backward() on each sample's
        output in turn). Returns the per-sample outputs, one array per output."""
        outputs, gradient = self.value_and_grad(batch, reduction=reduction)
        for leaf, g in zip(self.wrt, gradient.tolist()):
            leaf.grad += g
        return outputs

    # -- running the program --

    def _forward(self, batch, at=None):
        """The slot arrays after the forward program: shared (one number per slot) and
        batched (one row per slot, one column per sample)."""
        batch = self._checked_batch(batch)
        width, known = len(batch), len(self.wrt)
        shared = np.empty(self.plan.shared_size)
        shared[:known] = values_to_vector(self.wrt) if at is None else self._checked_point(at)
        shared[known:known + len(self.plan.others)] = list(map(data_of, self.plan.others))
        batched = np.empty((self.plan.batched_size, width))
        batched[:self.input_count] = batch.T
        self._forward_program(shared, batched)
        if not all_finite(shared, batched):  # (NaN or inf in the data itself flows on, IEEE)
            explain_non_finite_values(self.plan, shared, batched)
        return shared, batched

    def _gradient(self, shared, batched, reduction):
        """d (mean or sum over the batch of the first output) / d every shared slot."""
        shared_grads, batched_grads = np.zeros(shared.shape), np.zeros(batched.shape)
        is_batched, out = self.plan.outputs[0]
        samples = batched.shape[1]
        if is_batched:  # one number per sample: the mean weighs each by 1 / samples
            batched_grads[out] = 1.0 / samples if reduction == "mean" else 1.0
        else:  # one number for the batch: its mean is itself, its sum `samples` times it
            shared_grads[out] = 1.0 if reduction == "mean" else float(samples)
        self._backward_program(shared, batched, shared_grads, batched_grads)
        return shared_grads

    def _outputs(self, shared, batched):
        width = batched.shape[1]
        return [batched[s] if b else np.full(width, shared[s]) for b, s in self.plan.outputs]

    def _checked_batch(self, batch):
        try:
            batch = np.asarray(batch)
        except ValueError:
            raise TypeError("the tape takes a batch of numbers, got rows of different "
                            "lengths") from None
        if batch.dtype.kind not in "biuf":
            raise TypeError(f"the tape takes a batch of numbers, got an array of {batch.dtype}")
        batch = batch.astype(float, copy=False)
        if batch.ndim != 2 or batch.shape[1] != self.input_count:
            raise ValueError(f"the tape takes a batch of shape (samples, "
                             f"{self.input_count}), got {batch.shape}")
        if len(batch) == 0:
            raise ValueError("the batch is empty: give at least one sample")
        return batch

    def _checked_point(self, at):
        at = np.asarray(at, dtype=float)
        if at.shape != (len(self.wrt),):
            raise ValueError(f"`at` gives the {len(self.wrt)} parameters' values as one vector, "
                             f"got an array of shape {at.shape}")
        return at


def checked_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction is 'mean' or 'sum' (of the first output over the batch), "
                         f"got {reduction!r}"[:200])
    return reduction


def all_finite(*arrays):
    # A sum is finite only if every term is (inf and NaN never cancel out), so one sum per
    # array answers at once in the usual case; only a sum that overflowed needs a closer look.
    with np.errstate(all="ignore"):  # (inf - inf in the sum is not worth a warning)
        return all(math.isfinite(a.sum()) or np.isfinite(a).all() for a in arrays)
