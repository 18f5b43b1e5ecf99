"""Phase 4, running: the Tape plans a recording, compiles its program once, and runs it over
batches of samples.

What a tape's gradient is: by default, the derivative of the MEAN over the batch of the
function's first output (its loss), a training step's usual loss. `Value.backward()`
differentiates the one Value it is called on, so on per-sample losses added up it gives the
derivative of their SUM: `reduction="sum"` asks the tape for that. Either agrees with the
eager engine to rounding.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Union

import numpy as np

from ..vectors import all_finite, values_to_vector
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
    tape.replay_on(samples): a Replay, for a training loop over those samples (its arrays
        made once and reused between steps).

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
        self._views_program = namespace["views"]
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
        batch = self._checked_batch(batch)
        arrays = SlotArrays(self.plan, len(batch))
        with np.errstate(all="ignore"):
            self._forward(arrays, batch.T, self._point(None))
        return self._outputs(arrays)

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
        batch = self._checked_batch(batch)
        arrays = SlotArrays(self.plan, len(batch))  # fresh ones: a tape runs on any thread
        with np.errstate(all="ignore"):
            gradient = self._forward_backward(arrays, batch.T, self._point(at), reduction)
        return self._outputs(arrays), gradient.copy()  # (not a view keeping every slot alive)

    def backward(self, batch: Batch, reduction: str = "mean") -> list[np.ndarray]:
        """Add to `.grad` of every Value v in `wrt` (the parameters) d/dv of the first output's
        MEAN over the batch (reduction="mean", the default: like backward() on the mean of the
        per-sample outputs), or of its SUM (reduction="sum": like backward() on each sample's
        output in turn). Returns the per-sample outputs, one array per output."""
        outputs, gradient = self.value_and_grad(batch, reduction=reduction)
        for leaf, g in zip(self.wrt, gradient.tolist()):
            leaf.grad += g
        return outputs

    def replay_on(self, samples: Batch) -> Replay:
        """The tape over one set of samples, for a training loop: batches given as row indices,
        the arrays kept between steps (see Replay)."""
        return Replay(self, samples)

    # -- running the program (under np.errstate(all="ignore"): inf and NaN are looked at
    # once, at the end of each pass) --

    def _forward(self, arrays, columns, point):
        """The forward program over the arrays, the batch's samples given as columns, the
        parameters at `point`; then every value checked at once."""
        s, b = arrays.s, arrays.b
        known = len(self.wrt)
        s[:known] = point
        if self.plan.others:
            s[known:known + len(self.plan.others)] = list(map(data_of, self.plan.others))
        if columns is not None:  # (None: the caller wrote them into b already, as a Replay does)
            b[:self.input_count] = columns
        if arrays.views is None:  # (made once for a set of arrays: a Replay keeps them)
            arrays.views = self._views_program(s, b, arrays.gs, arrays.gb)
        self._forward_program(s, b, arrays.views[0])
        if not all_finite(arrays.values):  # (NaN or inf in the data itself flows on, IEEE)
            explain_non_finite_values(self.plan, s, b)

    def _forward_backward(self, arrays, columns, point, reduction):
        """The forward and the backward program: d (mean or sum over the batch of the first
        output) / d every parameter, as a view of arrays.gs, checked."""
        self._forward(arrays, columns, point)
        arrays.gradients.fill(0.0)
        is_batched, out = self.plan.outputs[0]
        samples = arrays.b.shape[1]
        if is_batched:  # one number per sample: the mean weighs each by 1 / samples
            arrays.gb[out] = 1.0 / samples if reduction == "mean" else 1.0
        else:  # one number for the batch: its mean is itself, its sum `samples` times it
            arrays.gs[out] = 1.0 if reduction == "mean" else float(samples)
        self._backward_program(arrays.s, arrays.b, arrays.gs, arrays.gb, arrays.views[1])
        gradient = arrays.gs[:len(self.wrt)]
        if not all_finite(gradient):
            explain_non_finite_gradient(self.plan, arrays.s, arrays.b)
        return gradient

    def _outputs(self, arrays):
        width = arrays.b.shape[1]
        return [arrays.b[s] if b else np.full(width, arrays.s[s]) for b, s in self.plan.outputs]

    def _point(self, at):
        """The parameters' values: `at`, checked, or by default their .data."""
        return values_to_vector(self.wrt) if at is None else self._checked_point(at)

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


def named_by_row(error, rows):
    """A tape's error about sample i of a batch, about row rows[i] of the samples the batch was
    taken from instead (an error about no sample in particular, as it is); `.sample` is then
    that row."""
    if getattr(error, "sample", None) is None:
        return error
    row = int(rows[error.sample])
    renamed = type(error)(f"row {row} of the samples: {error.detail}")
    renamed.sample, renamed.detail = row, error.detail
    return renamed


def checked_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction is 'mean' or 'sum' (of the first output over the batch), "
                         f"got {reduction!r}"[:200])
    return reduction


class SlotArrays:
    """The program's arrays for batches of `width` samples: the values s (shared slots) and b
    (batched slots, one row each, one column per sample), and their gradients gs and gb. Each
    pair is a view of one block, so that one sum checks every value and one fill clears every
    gradient."""

    def __init__(self, plan, width):
        shared, batched = plan.shared_size, plan.batched_size
        self.values = np.empty(shared + batched * width)
        self.gradients = np.empty(shared + batched * width)
        # (contiguous: the program reads a layer's weights as reshaped slices of s, views)
        self.s, self.b = self.values[:shared], self.values[shared:].reshape(batched, width)
        self.gs = self.gradients[:shared]
        self.gb = self.gradients[shared:].reshape(batched, width)
        self.views = None  # the program's views of these (its views(), at the first run)


class Replay:
    """A tape over one set of samples (tape.replay_on(samples)), for a training loop such as
    nn.fit's traced engine: the samples are checked once, a batch is given as the indices of
    its rows, and the program's arrays are made once per batch size and then reused.

    So the gradient it returns is a view into those arrays, good until its next call; and one
    Replay serves the one thread that first used it (another gets a RuntimeError rather than
    numbers another thread's call overwrote; the tape itself serves any number). The samples
    are copied: changing the array given afterwards changes nothing here."""

    KEPT = 4  # the batch sizes whose arrays are kept (a training run meets one or two)

    def __init__(self, tape, samples):
        self.tape = tape
        self.samples = tape._checked_batch(samples).copy()
        # the samples as columns, taken straight into the arrays' input rows at each step
        self.columns = np.ascontiguousarray(self.samples.T)
        self.arrays = {}  # batch size -> SlotArrays
        self.thread = None  # the thread it serves (the first to call it)
        # the outputs' rows of b, read in one go, where every output is per sample
        batched = all(is_batched for is_batched, _ in tape.plan.outputs)
        self.output_rows = np.array([slot for _, slot in tape.plan.outputs]) if batched else None

    def value_and_grad(self, rows, at=None, reduction="mean", outputs=True):
        """tape.value_and_grad(samples[rows], at, reduction), in the arrays kept for batches of
        len(rows): (the outputs as one array, a row per output, a copy; the gradient as a
        vector, a view into those arrays). rows: indices of the samples, or a boolean mask
        over them. An error about a sample names its row of the samples.

        outputs=False: the first output alone (the loss), one number per sample, in place of
        the outputs: a view into the arrays as the gradient is (the others are not read out,
        which a training loop without metrics has no use for)."""
        if self.thread != threading.get_ident():
            self._serve_this_thread()
        reduction = checked_reduction(reduction)
        rows = self._checked_rows(rows)
        arrays = self.arrays.get(len(rows)) or self._new_arrays(len(rows))
        try:  # the batch's samples as columns, into b's input rows in one call
            self.columns.take(rows, 1, arrays.b[:self.tape.input_count])
        except IndexError:
            self.samples[rows]  # numpy's own message, about the rows of the samples
            raise
        try:
            with np.errstate(all="ignore"):
                gradient = self.tape._forward_backward(arrays, None, self.tape._point(at),
                                                       reduction)
        except ArithmeticError as error:
            raise named_by_row(error, rows) from None
        if not outputs:
            is_batched, slot = self.tape.plan.outputs[0]
            return (arrays.b[slot] if is_batched else np.full(len(rows), arrays.s[slot])), gradient
        if self.output_rows is None:
            return np.array(self.tape._outputs(arrays)), gradient
        return arrays.b[self.output_rows], gradient

    def _serve_this_thread(self):
        if self.thread is not None:
            raise RuntimeError("this Replay serves one thread, the first that used it: its "
                               "arrays (and the gradient it returned, a view of them) would "
                               "be overwritten under that thread; give each thread its own "
                               "tape.replay_on(samples)")
        self.thread = threading.get_ident()

    def _checked_rows(self, rows):
        """rows as a 1-D array of indices of the samples (a mask: the indices where it is
        True), not empty."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            if rows.shape != (len(self.samples),):
                raise ValueError(f"a boolean mask of rows has one entry per sample "
                                 f"({len(self.samples)}), got shape {rows.shape}")
            rows = np.flatnonzero(rows)
        elif rows.dtype.kind not in "iu":
            raise TypeError(f"rows are indices of the samples (integers) or a boolean mask, "
                            f"got an array of {rows.dtype}")
        if rows.ndim != 1:
            raise ValueError(f"rows are a flat list of indices of the samples, got shape "
                             f"{rows.shape}")
        if len(rows) == 0:
            raise ValueError("the batch is empty: give at least one sample")
        return rows

    def _new_arrays(self, width):
        if len(self.arrays) >= self.KEPT:
            del self.arrays[next(iter(self.arrays))]  # the oldest
        arrays = self.arrays[width] = SlotArrays(self.tape.plan, width)
        return arrays
