"""Losses: each the mean over a batch, as `torch.nn.functional` defines it, built from Values.

Every loss takes `outputs` (one model output per sample: a Value, or a list of Values for
several outputs) and `targets` (one per sample), and returns a single Value to call
`backward()` on. Each also knows how to turn an output into a predicted class
(`loss.classify`, giving a class index 0, 1, ...), which `nn.fit` uses for accuracy, and how to
read and check a whole set of targets (`loss.encode(y, outputs_per_sample)`), which `nn.fit`
does once, before it trains on either engine.
"""
import math
from numbers import Real

import numpy as np

from autograd import Value, dot, logsumexp, total

LOG_FLOOR = -100.0  # PyTorch clamps log(p) in binary cross-entropy at -100


def _classifier(classify, term=None, encode=None):
    """Attach to a loss how it reads an output as a class, how it reads targets
    (`encode(y, width)` -> (targets for the loss, one row of numbers per sample), checked),
    and (for nn.fit's traced engine) `term(output, row)`: one sample's share, with its row of
    target numbers, written without branches on the data so that it traces."""
    def attach(loss):
        loss.classify = classify
        loss.term = term
        loss.encode = encode or _encoder(loss.__name__, _as_given)
        return loss
    return attach


# ---- reading targets: checked once for a whole set, the same for both engines ----

def target_numbers(y, who):
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


def _as_given(y, width, who):
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
    rows = _as_given(y, width, who)
    bad = np.argwhere((rows < 0) | (rows > 1))
    if len(bad):
        raise ValueError(f"{who} takes targets in [0, 1], got {rows[tuple(bad[0])]:g} "
                         f"(sample {bad[0][0]})")
    return rows


def _plus_minus_one(y, width, who):
    """Class labels 0 and 1, or -1 and +1, as -1 and +1."""
    rows = _as_given(y, width, who) if y.ndim == 2 else _as_given(y, 1, who)
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


def _encoder(who, rows_of, labels=False):
    """encode(y, width) -> (targets as the loss takes them, rows of numbers), checked: the
    loss takes class labels (labels=True), one number per sample, or a list per sample."""
    def encode(y, width):
        rows = rows_of(target_numbers(y, who), width, who)
        if labels:
            return rows.argmax(axis=1).tolist(), rows
        return (rows[:, 0].tolist() if rows.shape[1] == 1 else rows.tolist()), rows
    return encode


def _per_output(function):
    """A per-sample term that averages `function(output, target)` over a sample's outputs."""
    def term(output, targets):
        outputs = output if isinstance(output, (list, tuple)) else [output]
        return total([function(o, t) for o, t in zip(outputs, targets)]) * (1.0 / len(outputs))
    return term


def _pairs(outputs, targets, who):
    outputs, targets = list(outputs), list(targets)
    if len(outputs) != len(targets):
        raise ValueError(f"{who}: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError(f"{who}: no samples (the batch is empty)")
    return outputs, targets


def _flat_pairs(outputs, targets, who):
    """Element pairs for elementwise losses; a sample may have several outputs."""
    pairs = []
    for output, target in zip(*_pairs(outputs, targets, who)):
        if isinstance(output, (list, tuple)):
            target = list(target) if not isinstance(target, Real) else [target]
            if len(target) != len(output):
                raise ValueError(f"{who}: a sample has {len(output)} outputs but "
                                 f"{len(target)} targets")
            pairs.extend(zip(output, target))
        else:
            pairs.append((output, target))
    return pairs


def _listed(output):
    return list(output) if isinstance(output, (list, tuple)) else [output]


def _mean(terms):
    return total(terms) * (1.0 / len(terms))


def _threshold(at):
    """One output: class 1 above `at`. Several (one-hot targets): the largest."""
    return lambda output: _argmax(output) if isinstance(output, (list, tuple)) else \
        (1 if _number(output) > at else 0)


def _number(x):
    return x.data if isinstance(x, Value) else float(x)


def _argmax(output):
    if not isinstance(output, (list, tuple)):
        return _threshold(0.5)(output)
    scores = [_number(o) for o in output]
    return scores.index(max(scores))


@_classifier(_argmax, _per_output(lambda o, t: (o - t) ** 2))
def mse(outputs, targets):
    """Mean squared error: mean (output − target)² (torch's mse_loss)."""
    return _mean([(o - t) ** 2 for o, t in _flat_pairs(outputs, targets, "mse")])


@_classifier(_argmax, _per_output(lambda o, t: abs(o - t)))
def mae(outputs, targets):
    """Mean absolute error: mean |output − target| (torch's l1_loss)."""
    return _mean([abs(o - t) for o, t in _flat_pairs(outputs, targets, "mae")])


def _clamped_log(p):
    # As PyTorch: log(p) never below -100, so p = 0 or 1 gives a large loss, not an error.
    if isinstance(p, Value):
        return p.log() if p.data > math.exp(LOG_FLOOR) else Value(LOG_FLOOR)
    return math.log(p) if p > math.exp(LOG_FLOOR) else LOG_FLOOR


@_classifier(_threshold(0.5), encode=_encoder("binary_cross_entropy", _in_unit_interval))
def binary_cross_entropy(probabilities, targets):
    """−mean [t·log p + (1 − t)·log(1 − p)] for probabilities p in [0, 1] (a sigmoid output)
    and targets t in [0, 1] (torch's binary_cross_entropy, log clamped at -100 likewise)."""
    terms = []
    for p, t in _flat_pairs(probabilities, targets, "binary_cross_entropy"):
        if not 0.0 <= _number(p) <= 1.0:
            raise ValueError(f"binary_cross_entropy takes probabilities in [0, 1], got "
                             f"{_number(p)!r}: use binary_cross_entropy_with_logits for scores")
        _check_unit_target(t, "binary_cross_entropy")
        terms.append(-(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p)))
    return _mean(terms)


@_classifier(_threshold(0.0), _per_output(lambda z, t: z.softplus() - t * z),
             _encoder("binary_cross_entropy_with_logits", _in_unit_interval))
def binary_cross_entropy_with_logits(logits, targets):
    """Binary cross-entropy from a raw score z: mean [softplus(z) − t·z], the stable form of
    −[t·log σ(z) + (1 − t)·log(1 − σ(z))] for any z (torch's binary_cross_entropy_with_logits)."""
    terms = []
    for z, t in _flat_pairs(logits, targets, "binary_cross_entropy_with_logits"):
        _check_unit_target(t, "binary_cross_entropy_with_logits")
        z = z if isinstance(z, Value) else Value(z)
        terms.append(z.softplus() - t * z)
    return _mean(terms)


@_classifier(_argmax, lambda scores, one_hot: logsumexp(_listed(scores)) - dot(one_hot,
                                                                             _listed(scores)),
             _encoder("cross_entropy", _one_hot_classes, labels=True))
def cross_entropy(logits, labels):
    """Softmax cross-entropy from raw scores and integer class labels: mean over samples of
    log Σ_j e^{z_j} − z_label, by autograd's logsumexp, which never overflows (torch's
    cross_entropy)."""
    terms = []
    for scores, label in zip(*_pairs(logits, labels, "cross_entropy")):
        scores = list(scores) if isinstance(scores, (list, tuple)) else [scores]
        if isinstance(label, bool) or not float(label).is_integer() \
                or not 0 <= int(label) < len(scores):
            raise ValueError(f"cross_entropy: label {label!r} is not a class index for "
                             f"{len(scores)} scores (0 to {len(scores) - 1})")
        terms.append(logsumexp(scores) - scores[int(label)])
    return _mean(terms)


@_classifier(_threshold(0.0), _per_output(lambda s, t: (1 - t * s).relu()),
             _encoder("hinge", _plus_minus_one))
def hinge(scores, targets):
    """The SVM max-margin loss of micrograd's demo: mean relu(1 − t·s), targets ±1."""
    terms = []
    for s, t in _flat_pairs(scores, targets, "hinge"):
        if t not in (-1, 1):
            raise ValueError(f"hinge takes targets -1 or +1, got {t!r}")
        terms.append((1 - t * s).relu())
    return _mean(terms)


def l2(parameters, alpha=1e-4):
    """The L2 penalty alpha · Σ p² (micrograd's regularisation), added to a loss."""
    return alpha * total([p * p for p in parameters])


def _check_unit_target(t, who):
    if not 0.0 <= float(t) <= 1.0:
        raise ValueError(f"{who} takes targets in [0, 1], got {t!r}")


LOSSES = {
    "mse": mse,
    "mae": mae,
    "bce": binary_cross_entropy,
    "bce_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}
