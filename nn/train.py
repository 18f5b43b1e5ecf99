"""The training loop: forward pass, loss, backward pass, update — repeated over epochs.

`fit` does for any model and loss what micrograd's demo writes by hand, with minibatches,
shuffling, a progress bar, metrics, validation and a History that can plot itself.
"""
import math

import numpy as np

from autograd import (TraceError, collector_paused, no_grad, trace, values_to_vector,
                      vector_to_values)

from .losses import LOSSES, hinge, l2 as l2_penalty
from .optim import OPTIMIZERS, Optimizer


def accuracy(predicted, classes):
    """The fraction of samples whose predicted class is the true one."""
    predicted, classes = np.asarray(predicted), np.asarray(classes)
    return float(np.mean(predicted == classes))


class History(dict):
    """Per-epoch lists: 'loss' and each metric, with 'val_' versions when validating."""

    @property
    def epochs(self):
        return len(self.get("loss", []))

    def plot(self, ax=None):
        """Loss (and accuracy, when recorded) per epoch; returns the matplotlib Figure."""
        plt = _pyplot()
        metrics = [key for key in self if key != "loss" and not key.startswith("val_")]
        if ax is None:
            figure, axes = plt.subplots(1, 1 + len(metrics), figsize=(5 * (1 + len(metrics)), 3.5),
                                        squeeze=False)
            axes = axes[0]
        else:
            figure, axes = ax.figure, [ax]
        for axis, key in zip(axes, ["loss"] + metrics):
            epochs = range(1, len(self[key]) + 1)
            axis.plot(epochs, self[key], label=f"training {key}")
            if f"val_{key}" in self:
                axis.plot(epochs, self[f"val_{key}"], label=f"validation {key}")
            axis.set_xlabel("epoch")
            axis.set_ylabel(key)
            axis.legend()
            axis.grid(alpha=0.3)
        figure.tight_layout()
        return figure

    def __repr__(self):
        last = ", ".join(f"{key} {values[-1]:.4g}" for key, values in self.items() if values)
        return f"History({self.epochs} epochs; last: {last})"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'chainrule[plot]' "
                          "(or pip install matplotlib)") from None
    return plt


def _loss_function(loss):
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[loss]


def _classes(y):
    """Class labels as 0, 1, ...; ±1 labels (hinge style) become 0 and 1."""
    y = np.asarray(y)
    if y.ndim == 1 and len(y) and set(np.unique(y).tolist()) <= {-1, 1} and -1 in y:
        return (y > 0).astype(int)
    return y


def _targets(loss, classes, outputs_per_sample):
    """What the loss compares outputs with: ±1 for hinge, one-hot rows for several outputs
    of an elementwise loss, the class labels otherwise."""
    classes = np.asarray(classes)
    if loss is hinge and classes.ndim == 1:
        return [2 * int(c) - 1 for c in classes]
    if outputs_per_sample > 1 and classes.ndim == 1 and loss in (LOSSES["mse"], LOSSES["mae"],
                                                                 LOSSES["bce"],
                                                                 LOSSES["bce_logits"]):
        return [[1.0 if k == c else 0.0 for k in range(outputs_per_sample)] for c in classes]
    return [c.tolist() if isinstance(c, np.ndarray) else c.item() for c in classes]


def _classify(loss, outputs):
    classify = getattr(loss, "classify", LOSSES["cross_entropy"].classify)
    return [classify(output) for output in outputs]


def _width(output):
    return len(output) if isinstance(output, (list, tuple)) else 1


def _check_data(X, y):
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"{len(X)} samples in X but {len(y)} targets in y")
    if len(X) == 0:
        raise ValueError("no samples to train on (X is empty)")
    return X, y


def fit(model, X, y, loss="mse", optimizer="sgd", lr=0.1, epochs=100, batch_size=None,
        shuffle=True, seed=0, metrics=(accuracy,), validation=None, l2=0.0, schedule=None,
        progress=True, engine="auto"):
    """Train `model` on samples X (rows) with targets y by gradient descent; return a History.

    loss: a name ('mse', 'mae', 'bce', 'bce_logits', 'cross_entropy', 'hinge') or a function
        (outputs, targets) -> Value from nn.losses.
    optimizer: 'sgd', 'adam', 'adamw' (made with `lr`) or an optimizer from nn.optim.
    batch_size: None for the whole set at once (full-batch gradient descent).
    validation: (X_val, y_val), evaluated after each epoch.
    l2: the weight of an L2 penalty on every parameter (0 for none).
    schedule: a function (optimizer) -> schedule from nn.optim (StepLR, LinearLR, ...).
    engine: 'traced' replays one traced sample over each whole batch with numpy (autograd's
        trace: the same numbers, many times faster); 'eager' builds the graph sample by
        sample; 'auto' (the default) traces when the model and loss allow it. The engine
        used is in history.engine.
    """
    X, y = _check_data(X, y)
    loss = _loss_function(loss)
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        optimizer = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a name or an nn.optim optimizer, got "
                        f"{type(optimizer).__name__}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}")
    batch_size = len(X) if batch_size is None else batch_size
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1 or None, got {batch_size!r}")
    schedule = schedule(optimizer) if schedule is not None else None

    if engine not in ("auto", "traced", "eager"):
        raise ValueError(f"engine is 'auto', 'traced' or 'eager', got {engine!r}")

    classes = _classes(y)
    with no_grad():
        width = _width(model(X[0]))
    targets = _targets(loss, classes, width)
    tape = None
    if engine != "eager":
        rows = _traced_rows(loss, X, targets, width)
        try:
            tape = _trace_training(model, loss, rows, X.shape[1], l2, optimizer.params)
        except TraceError:
            if engine == "traced":
                raise
    history = History(loss=[], **{m.__name__: [] for m in metrics})
    history.engine = "traced" if tape is not None else "eager"
    if validation is not None:
        X_val, y_val = _check_data(*validation)
        history.update(val_loss=[], **{f"val_{m.__name__}": [] for m in metrics})
        if tape is not None:
            val_rows = _traced_rows(loss, X_val, _targets(loss, _classes(y_val), width), width)

    rng = np.random.default_rng(seed)
    bar = _progress(epochs, progress)
    # On the tape, the optimizer's parameters live in one vector while an epoch runs; they are
    # written back into the model after every epoch (and if training stops with an error).
    parameters = values_to_vector(optimizer.params) if tape is not None else None
    try:
        for _ in bar:
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            total, predicted = 0.0, np.empty(len(X), dtype=object)
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                if tape is not None:
                    (per_sample, _, *columns), gradient = tape.value_and_grad(rows[batch],
                                                                              at=parameters)
                    parameters = optimizer.update(parameters, gradient)
                    batch_objective = float(per_sample.mean())
                    outputs = _per_sample(columns)
                else:
                    batch_objective, outputs = _eager_step(model, loss, optimizer, X[batch],
                                                           [targets[i] for i in batch], l2)
                total += batch_objective * len(batch)
                predicted[batch] = _classify(loss, outputs)
            if schedule is not None:
                schedule.step()
            if tape is not None:  # the model as it now is, for validation and the user
                vector_to_values(parameters, optimizer.params)
            history["loss"].append(total / len(X))
            for metric in metrics:
                history[metric.__name__].append(metric(list(predicted), list(classes)))
            if validation is not None:
                scores = _evaluate_traced(tape, loss, val_rows, y_val, metrics) \
                    if tape is not None else evaluate(model, X_val, y_val, loss=loss,
                                                      metrics=metrics)
                for key, value in scores.items():
                    history[f"val_{key}"].append(value)
            if not math.isfinite(history["loss"][-1]):
                raise FloatingPointError(f"the loss became {history['loss'][-1]}: training "
                                         f"diverged (try a smaller learning rate)")
            if hasattr(bar, "set_postfix"):
                bar.set_postfix({key: f"{values[-1]:.4f}" for key, values in history.items()})
    finally:
        if tape is not None:  # also when training stops with an error: nothing is lost
            vector_to_values(parameters, optimizer.params)
    return history


def _traced_rows(loss, X, targets, width):
    """Each sample as one row: its inputs, then its targets as numbers (one-hot for labels of
    a loss over several outputs)."""
    encoded = []
    for t in targets:
        if isinstance(t, list):
            encoded.append(t)
        elif loss is LOSSES["cross_entropy"]:
            encoded.append([1.0 if k == t else 0.0 for k in range(width)])
        else:
            encoded.append([float(t)])
    return np.column_stack([X, np.array(encoded, dtype=float)])


def _eager_step(model, loss, optimizer, X, targets, l2):
    """One step on the eager engine: the batch's graph, backward, update. Returns the batch's
    objective and the model's outputs."""
    optimizer.zero_grad()
    with collector_paused():  # the step's graph has no cycles: see autograd
        outputs = [model(x) for x in X]
        objective = loss(outputs, targets)
        if l2:
            objective = objective + l2_penalty(model.parameters(), l2)
        objective.backward()
    optimizer.step()
    return objective.data, outputs


def _trace_training(model, loss, rows, n_inputs, l2, trained):
    """A tape of one sample's objective (and the model's outputs) whose gradient is taken with
    respect to `trained` (the optimizer's parameters), or TraceError."""
    term = getattr(loss, "term", None)
    if term is None:
        raise TraceError(f"the loss {getattr(loss, '__name__', loss)!r} has no traceable form")
    params = model.parameters()

    def one_sample(row):
        out = model(row[:n_inputs])
        data_loss = term(out, row[n_inputs:])
        objective = data_loss + l2_penalty(params, l2) if l2 else data_loss
        return (objective, data_loss, *(out if isinstance(out, (list, tuple)) else [out]))

    return trace(one_sample, rows[0], checks=rows[1:4], wrt=trained)


def _per_sample(columns):
    """A tape's output columns as one output per sample: a float, or a list for several."""
    return np.column_stack(columns).tolist() if len(columns) > 1 else columns[0].tolist()


def _scores(loss_value, predicted, y, metrics):
    """{'loss': ..., metric name: ...}: what evaluate() reports."""
    classes = list(_classes(y))
    scores = {"loss": loss_value}
    for metric in metrics:
        scores[metric.__name__] = metric(predicted, classes)
    return scores


def _evaluate_traced(tape, loss, rows, y, metrics):
    """evaluate(), by replaying the training tape: the loss without the penalty, and metrics."""
    _, data_loss, *columns = tape.run(rows)
    return _scores(float(data_loss.mean()), _classify(loss, _per_sample(columns)), y, metrics)


def _progress(epochs, progress):
    if not progress:
        return range(epochs)
    try:
        import ipywidgets  # noqa: F401  (without it tqdm.auto warns in Jupyter; use plain text)
        from tqdm.auto import tqdm
    except ImportError:
        try:
            from tqdm import tqdm
        except ImportError:
            return range(epochs)
    return tqdm(range(epochs), desc="training", unit="epoch")


@no_grad()
def outputs(model, X):
    """The model's raw outputs for every row of X, as floats (lists for several outputs)."""
    X, _ = _check_data(X, np.zeros(len(np.asarray(X))))
    result = []
    for x in X:
        out = model(x)
        result.append([o.data for o in out] if isinstance(out, (list, tuple)) else out.data)
    return result


@no_grad()
def predict(model, X, loss="cross_entropy"):
    """The predicted class of every row of X, as the loss reads an output."""
    loss = _loss_function(loss)
    X, _ = _check_data(X, np.zeros(len(np.asarray(X))))
    return np.array(_classify(loss, [model(x) for x in X]))


@no_grad()
def evaluate(model, X, y, loss="mse", metrics=(accuracy,)):
    """{'loss': ..., metric name: ...} over X, y, without recording a graph."""
    X, y = _check_data(X, y)
    loss = _loss_function(loss)
    out = [model(x) for x in X]
    loss_value = loss(out, _targets(loss, _classes(y), _width(out[0]))).data
    return _scores(loss_value, _classify(loss, out), y, metrics)
