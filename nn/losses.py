"""Losses, each defined once: the term one sample contributes, and how it reads its targets.

A `Loss` is built from a per-sample term, `term(outputs, targets) -> Value`: one sample's
outputs (a list of Values, one per model output) against its row of target numbers. The loss
of a batch is the mean of the terms, as `torch.nn.functional` defines each loss:

    nn.losses.mse(outputs, targets)       # one output (a Value, or a list) and target per sample

A term written without branches on the data (no `if` on `.data`) traces, so `nn.fit` can
replay it over whole batches (autograd's `trace`). A Loss also knows how to read a whole set of
targets (`loss.encode(y, width)`: what `nn.fit` is given, class labels 0, 1, ... or rows of
numbers, checked once before training on either engine) and how to read outputs as classes
(`loss.classify`, for accuracy and `nn.predict`). A loss of your own:

    from nn.losses import mean

    def pseudo_huber_term(outputs, targets):
        return mean([((1 + (o - t) ** 2) ** 0.5 - 1) for o, t in zip(outputs, targets)])

    pseudo_huber = nn.Loss(pseudo_huber_term, "pseudo_huber")
    nn.fit(model, X, y, loss=pseudo_huber)
"""
from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from autograd import Value, dot, logsumexp, total

LOG_FLOOR = -100.0  # PyTorch clamps log(p) in binary cross-entropy at -100

# One sample's term, (outputs, targets) -> Value: its outputs as a list of Values, its targets
# as a list of numbers (of Values standing for them while tracing, hence Any).
Term: TypeAlias = Callable[[list[Value], list[Any]], Value]
# Outputs as numbers, one row per sample -> the class of each.
Classify: TypeAlias = Callable[[ArrayLike], np.ndarray]
# One sample's output, or its target, in a direct call: a number, or one per model output.
PerSample: TypeAlias = Value | float | Sequence[Value | float]


def output_list(output: Value | list[Value] | tuple[Value, ...]) -> list[Value]:
    """A model's output for one sample as a list: a single Value (one output) becomes a list
    of one. Every part of nn reads outputs through this."""
    return list(output) if isinstance(output, (list, tuple)) else [output]


def mean(values: Sequence[Value]) -> Value:
    """The mean of a list of Values (a single Value is its own mean: no extra nodes)."""
    return values[0] if len(values) == 1 else total(values) * (1.0 / len(values))


def threshold(at: float) -> Classify:
    """A loss's `classify`: one output is class 1 above `at`, else 0; of several outputs, the
    largest is the class. Takes the outputs as numbers, one row per sample."""
    def classify(outputs: ArrayLike) -> np.ndarray:
        outputs = np.asarray(outputs, dtype=float)
        outputs = outputs.reshape(len(outputs), -1)  # a flat list: one output per sample
        if outputs.shape[1] > 1:
            return outputs.argmax(axis=1)
        return (outputs[:, 0] > at).astype(int)
    return classify


class Loss:
    """A loss from its per-sample term: the loss of a batch is the mean of the terms.

    term: (outputs, targets) -> Value, one sample's share: its outputs (a list of Values, one
        per model output) and its targets (a list of numbers; Values standing for them while
        tracing). Write it without branches on the data and nn.fit trains it on the tape.
    name: the loss's name in messages (default: the term's __name__).
    targets: how targets are read (see TARGETS): 'numbers' (one per output; a class label
        for several outputs reads as a one-hot row), 'probabilities' (the same, in [0, 1]),
        'signs' (-1 or +1; class labels 0 and 1 read as -1 and +1), 'classes' (class labels,
        or one-hot rows, read as one-hot rows) or 'as given' (a number or a row per sample).
    classify: outputs as numbers, one row per sample -> the class of each, for accuracy and
        nn.predict. Default threshold(0.5): one output above 0.5, or the largest of several.
    traceable: False for a term that has to look at the data (binary_cross_entropy clamps
        log p by looking at p): nn.fit then trains it eagerly.
    """

    def __init__(self, term: Term, name: str | None = None, targets: str = "numbers",
                 classify: Classify | None = None, traceable: bool = True) -> None:
        if not callable(term):
            raise TypeError(f"a Loss is made from a term, a function (outputs, targets) -> "
                            f"Value; got {type(term).__name__}")
        if targets not in TARGETS:
            raise ValueError(f"targets is one of {', '.join(map(repr, TARGETS))}, got "
                             f"{targets!r}")
        if classify is not None and not callable(classify):
            raise TypeError(f"classify is a function (outputs, a row per sample) -> classes, "
                            f"such as nn.losses.threshold(0.0); got {type(classify).__name__}")
        self.function = term
        self.name = name or _name_of(term)
        self.targets = targets
        self.classify = classify or threshold(0.5)
        self.traceable = bool(traceable)
        self.__doc__ = getattr(term, "__doc__", None)

    def __repr__(self) -> str:
        return f"<nn.Loss {self.name}>"

    def term(self, outputs: list[Value], targets: list[Any]) -> Value:
        """One sample's share of the loss: its outputs (a list) against its targets (a row)."""
        value = self.function(outputs, targets)
        if not isinstance(value, Value):
            raise TypeError(f"{self.name}: the term must return a Value (to call backward on), "
                            f"got {type(value).__name__}")
        return value

    def batch(self, outputs: Sequence[list[Value]], rows: Sequence[list[Any]]) -> Value:
        """The loss of a batch: the mean of the terms, from the outputs as lists (output_list)
        and the targets as rows of numbers (read already, by encode)."""
        return mean([self.term(out, row) for out, row in zip(outputs, rows)])

    def __call__(self, outputs: Iterable[PerSample], targets: Iterable[PerSample]) -> Value:
        """The mean loss over a batch: one output (a Value, or a list of Values for several)
        and one target per sample, as this loss takes them (for 'signs' -1 or +1, for
        'classes' integer labels, otherwise a number or a list of numbers per output)."""
        outputs, targets = list(outputs), list(targets)
        if len(outputs) != len(targets):
            raise ValueError(f"{self.name}: {len(outputs)} outputs but {len(targets)} targets")
        if not outputs:
            raise ValueError(f"{self.name}: no samples (the batch is empty)")
        outputs = [[o if isinstance(o, Value) else Value(o) for o in output_list(out)]
                   for out in outputs]
        read = TARGETS[self.targets].row
        return self.batch(outputs, [read(t, len(out), self.name)
                                    for out, t in zip(outputs, targets)])

    def encode(self, y: ArrayLike, width: int) -> np.ndarray:
        """A whole set of targets (what nn.fit is given) for a model with `width` outputs, as
        one row of numbers per sample (a float array), checked: a ValueError names the first
        target this loss cannot read."""
        return TARGETS[self.targets].encode(target_numbers(y, self.name), width, self.name)


def _name_of(function):
    name = getattr(function, "__name__", None)
    return name if isinstance(name, str) and name != "<lambda>" else "loss"


class _WholeBatchFunction(Loss):
    """A function (outputs, targets) -> Value over a whole batch, as nn.fit has long taken
    one: its outputs as the model gives them, its targets as given. It has no per-sample term,
    so it trains eagerly."""

    def __init__(self, function):
        super().__init__(function, targets="as given", traceable=False)

    def batch(self, outputs, rows):
        value = self.function([out[0] if len(out) == 1 else out for out in outputs],
                              [row[0] if len(row) == 1 else row for row in rows])
        if not isinstance(value, Value):
            raise TypeError(f"the loss must return a Value (to call backward on), got "
                            f"{type(value).__name__}")
        return value


def as_loss(loss: Loss | str | Callable[[Any, Any], Value]) -> Loss:
    """The Loss that `loss` names: a Loss itself, a name from LOSSES, or a function
    (outputs, targets) -> Value over a whole batch (trained eagerly)."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    if callable(loss):
        return _WholeBatchFunction(loss)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}, or an nn.Loss")


# ---- reading targets: a whole set for nn.fit (encode), or one at a time in a direct call ----

def target_numbers(y: ArrayLike, who: str) -> np.ndarray:
    """y as a float array, refusing what is not a finite number (strings, None, NaN, inf)."""
    try:
        array = np.asarray(y)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{who}: the targets are rows of different lengths") from None
    if array.dtype.kind == "O" and all(isinstance(t, Real) for t in array.ravel().tolist()):
        array = array.astype(float)  # numbers that came as Python objects
    if array.dtype.kind not in "biuf":
        bad = next((t for t in array.ravel().tolist() if not isinstance(t, Real)), array.dtype)
        raise ValueError(f"{who}: targets must be numbers, got {type(bad).__name__} "
                         f"{bad!r}"[:200])
    array = array.astype(float)
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{who}: target {where[0]} is {array[where]}: targets must be finite")
    return array


def _class_labels(y, width, who):
    """1-D y as integer class labels 0 .. width-1."""
    bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= width))
    if len(bad):
        raise ValueError(f"{who}: target {bad[0]} is {y[bad[0]]:g}, not a class label for "
                         f"{width} output{'s' * (width > 1)} (0 to {width - 1})")
    return y.astype(int)


def _one_hot(labels, width):
    rows = np.zeros((len(labels), width))
    rows[np.arange(len(labels)), labels] = 1.0
    return rows


def _one_per_output(y, width, who):
    """One number per output: a column for one output; for several, a row per sample, or
    class labels read as one-hot rows."""
    if y.ndim == 1 and width == 1:
        return y[:, None]
    if y.ndim == 1:
        return _one_hot(_class_labels(y, width, who), width)
    if y.ndim == 2 and y.shape[1] == width:
        return y
    raise ValueError(f"{who}: targets of shape {y.shape} do not fit a model with {width} "
                     f"output{'s' * (width > 1)} per sample")


def _in_unit_interval(y, width, who):
    rows = _one_per_output(y, width, who)
    bad = np.argwhere((rows < 0) | (rows > 1))
    if len(bad):
        raise ValueError(f"{who} takes targets in [0, 1], got {rows[tuple(bad[0])]:g} "
                         f"(sample {bad[0][0]})")
    return rows


def _plus_minus_one(y, width, who):
    """Class labels 0 and 1, or -1 and +1, as -1 and +1."""
    rows = _one_per_output(y, width, who) if y.ndim == 2 else _one_per_output(y, 1, who)
    if rows.shape[1] != width:
        raise ValueError(f"{who}: one target per output; the model gives {width} outputs")
    values = set(np.unique(rows).tolist())
    if values <= {0.0, 1.0}:
        return 2.0 * rows - 1.0
    if values <= {-1.0, 1.0}:
        return rows
    odd = sorted(values - {0.0, 1.0, -1.0})
    if odd:
        raise ValueError(f"{who} takes class labels 0 and 1 (or -1 and +1), got {odd[0]:g}")
    raise ValueError(f"{who} takes class labels 0 and 1, or -1 and +1, not both: the "
                     f"targets hold -1, 0 and 1")


def _one_hot_classes(y, width, who):
    """Integer labels, or one-hot rows (exactly one 1 per row), as one-hot rows."""
    if y.ndim == 1:
        return _one_hot(_class_labels(y, width, who), width)
    if y.ndim == 2 and y.shape[1] == width and \
            ((y == 0) | (y == 1)).all() and (y.sum(axis=1) == 1).all():
        return y
    raise ValueError(f"{who}: targets are class labels 0 to {width - 1}, or one-hot rows of "
                     f"{width} numbers (one 1, the rest 0); got an array of shape {y.shape}"
                     + (" whose rows are not one-hot" if y.ndim == 2 else ""))


def _as_given(y, width, who):
    return y[:, None] if y.ndim == 1 else y.reshape(len(y), -1)


# One target in a direct call, `loss(outputs, targets)`: as the loss itself takes it (hinge
# -1 or +1, cross_entropy an integer label), read as a row; Values pass through, as in torch.

def _given_row(target, width, who):
    return [target] if isinstance(target, (Real, Value)) else list(target)


def _number_row(target, width, who):
    row = _given_row(target, width, who)
    if len(row) != width:
        raise ValueError(f"{who}: a sample has {width} outputs but {len(row)} targets")
    return row


def _probability_row(target, width, who):
    row = _number_row(target, width, who)
    for t in row:
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"{who} takes targets in [0, 1], got {t!r}")
    return row


def _sign_row(target, width, who):
    row = _number_row(target, width, who)
    for t in row:
        if t not in (-1, 1):
            raise ValueError(f"{who} takes targets -1 or +1, got {t!r}")
    return row


def _label_row(label, width, who):
    if isinstance(label, bool) or not float(label).is_integer() or not 0 <= int(label) < width:
        raise ValueError(f"{who}: label {label!r} is not a class index for {width} scores "
                         f"(0 to {width - 1})")
    row = [0.0] * width
    row[int(label)] = 1.0
    return row


# Each kind of target: how nn.fit reads a whole set (encode(y, width, who) -> rows), and how a
# direct call reads one (row(target, width, who) -> a list).
Targets = namedtuple("Targets", "encode row")
TARGETS = {
    "numbers": Targets(_one_per_output, _number_row),
    "probabilities": Targets(_in_unit_interval, _probability_row),
    "signs": Targets(_plus_minus_one, _sign_row),
    "classes": Targets(_one_hot_classes, _label_row),
    "as given": Targets(_as_given, _given_row),
}


# ---- the losses ----

def mse_term(outputs: Sequence[Value], targets: Sequence[Value | float]) -> Value:
    """Mean squared error: mean (output − target)² (torch's mse_loss)."""
    return mean([(o - t) ** 2 for o, t in zip(outputs, targets)])


def mae_term(outputs: Sequence[Value], targets: Sequence[Value | float]) -> Value:
    """Mean absolute error: mean |output − target| (torch's l1_loss)."""
    return mean([abs(o - t) for o, t in zip(outputs, targets)])


def _clamped_log(p):
    # As PyTorch: log(p) never below -100, so p = 0 or 1 gives a large loss, not an error.
    return p.log() if p.data > math.exp(LOG_FLOOR) else Value(LOG_FLOOR)


def bce_term(probabilities: Sequence[Value], targets: Sequence[Value | float]) -> Value:
    """−mean [t·log p + (1 − t)·log(1 − p)] for probabilities p in [0, 1] (a sigmoid output)
    and targets t in [0, 1] (torch's binary_cross_entropy, log clamped at -100 likewise)."""
    for p in probabilities:
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy takes probabilities in [0, 1], got "
                             f"{p.data!r}: use binary_cross_entropy_with_logits for scores")
    return mean([-(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p))
                 for p, t in zip(probabilities, targets)])


def bce_with_logits_term(logits: Sequence[Value], targets: Sequence[Value | float]) -> Value:
    """Binary cross-entropy from a raw score z: mean [softplus(z) − t·z], the stable form of
    −[t·log σ(z) + (1 − t)·log(1 − σ(z))] for any z (torch's binary_cross_entropy_with_logits)."""
    return mean([z.softplus() - t * z for z, t in zip(logits, targets)])


def cross_entropy_term(logits: Sequence[Value], one_hot: Sequence[Value | float]) -> Value:
    """Softmax cross-entropy from raw scores: log Σ_j e^{z_j} − z_label, by autograd's
    logsumexp, which never overflows (torch's cross_entropy). The label comes as a one-hot
    row, so that picking z_label is a dot product, not a branch."""
    return logsumexp(logits) - dot(one_hot, logits)


def hinge_term(scores: Sequence[Value], targets: Sequence[Value | float]) -> Value:
    """The SVM max-margin loss of micrograd's demo: mean relu(1 − t·s), targets ±1."""
    return mean([(1 - t * s).relu() for s, t in zip(scores, targets)])


mse = Loss(mse_term, "mse")
mae = Loss(mae_term, "mae")
binary_cross_entropy = Loss(bce_term, "binary_cross_entropy", targets="probabilities",
                            traceable=False)
binary_cross_entropy_with_logits = Loss(bce_with_logits_term, "binary_cross_entropy_with_logits",
                                        targets="probabilities", classify=threshold(0.0))
cross_entropy = Loss(cross_entropy_term, "cross_entropy", targets="classes")
hinge = Loss(hinge_term, "hinge", targets="signs", classify=threshold(0.0))


def l2(parameters: Iterable[Value], alpha: float = 1e-4) -> Value:
    """The L2 penalty alpha · Σ p² (micrograd's regularisation), added to a loss."""
    return alpha * total([p * p for p in parameters])


LOSSES: dict[str, Loss] = {
    "mse": mse,
    "mae": mae,
    "bce": binary_cross_entropy,
    "bce_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}
