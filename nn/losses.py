"""Losses: each the mean over a batch, as `torch.nn.functional` defines it, built from Values.

Every loss takes `outputs` (one model output per sample: a Value, or a list of Values for
several outputs) and `targets` (one per sample), and returns a single Value to call
`backward()` on. Each also knows how to turn an output into a predicted class
(`loss.classify`, giving a class index 0, 1, ...), which `nn.fit` uses for accuracy.
"""
import math
from numbers import Real

from autograd import Value, dot, logsumexp, total

LOG_FLOOR = -100.0  # PyTorch clamps log(p) in binary cross-entropy at -100


def _classifier(classify, term=None):
    """Attach to a loss how it reads an output as a class, and (for nn.fit's traced engine)
    `term(output, targets)`: one sample's share, with the targets as a list of numbers or
    Values, written without branches on the data so that it traces."""
    def attach(loss):
        loss.classify = classify
        loss.term = term
        return loss
    return attach


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
    return lambda output: 1 if _number(output) > at else 0


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


@_classifier(_threshold(0.5))
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


@_classifier(_threshold(0.0), _per_output(lambda z, t: z.softplus() - t * z))
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
                                                                             _listed(scores)))
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


@_classifier(_threshold(0.0), _per_output(lambda s, t: (1 - t * s).relu()))
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
