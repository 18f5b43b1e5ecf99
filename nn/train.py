"""The training loop: forward pass, loss, backward pass, update — repeated over epochs.

`fit` does for any model and loss what micrograd's demo writes by hand, with minibatches,
shuffling, a progress bar, metrics, validation and a History that can plot itself.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from autograd import Value, no_grad

from .engines import choose_engine, evaluate_eagerly, output_numbers
from .losses import Loss, as_loss, output_list
from .module import Module, clipped
from .optim import OPTIMIZERS, Optimizer, Schedule, finite_number, whole_number

# A metric: (predicted classes, true classes) -> a number, recorded under its __name__.
Metric: TypeAlias = Callable[[list[Any], list[Any]], float]
# What fit and evaluate take as metrics=: one, several, or {name: metric}.
Metrics: TypeAlias = Metric | Iterable[Metric] | dict[str, Metric]
# What fit, predict and evaluate take as loss=: a name from nn.losses.LOSSES, a Loss, or a
# function (outputs, targets) -> Value over a whole batch.
LossLike: TypeAlias = str | Loss | Callable[[Any, Any], Value]


def accuracy(predicted: ArrayLike, classes: ArrayLike) -> float:
    """The fraction of samples whose predicted class is the true one."""
    predicted, classes = np.ravel(predicted), np.ravel(classes)
    if len(predicted) != len(classes):
        raise ValueError(f"accuracy: {len(predicted)} predictions but {len(classes)} classes")
    return float(np.mean(predicted == classes))


class History(dict[str, list[float]]):
    """Per-epoch lists: 'loss' and each metric, with 'val_' versions when validating."""

    engine: str  # the engine that trained: "traced" or "eager" (set by fit)

    @property
    def epochs(self) -> int:
        return len(self.get("loss", []))

    def plot(self, ax: Any = None) -> Any:  # matplotlib's Axes and Figure (it is optional)
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

    def __repr__(self) -> str:
        last = ", ".join(f"{key} {values[-1]:.4g}" for key, values in self.items() if values)
        return f"History({self.epochs} epochs; last: {last})"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'chainrule[plot]' "
                          "(or pip install matplotlib)") from None
    return plt


def _classes(y):
    """The true classes as a list of 0, 1, ..., for metrics: ±1 labels (hinge style) become 0
    and 1, one-hot rows their column of the 1."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:  # a column: one label per row
        y = y[:, 0]
    if y.ndim == 2:
        return y.argmax(axis=1).tolist()
    if y.ndim == 1 and len(y) and set(np.unique(y).tolist()) <= {-1, 1} and -1 in y:
        return (y > 0).astype(int).tolist()
    return y.tolist()


def _width(model, x):
    """How many outputs the model gives (for one sample, x), checking that they are Values."""
    with no_grad():
        out = output_list(model(x))
    if not out or not all(isinstance(o, Value) for o in out):
        raise TypeError(f"a model returns a Value, or a list of Values (one per output); this "
                        f"one returned {clipped(repr(out), 80)}")
    return len(out)


def _check_data(X, y=None, who="X"):
    """X as a float array of samples (rows), and y beside it: checked for what would
    otherwise fail deep inside (or silently train on nonsense)."""
    try:
        array = np.asarray(X)
    except ValueError:  # rows of different lengths
        raise ValueError(f"{who}: the samples are rows of different lengths") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{who} must hold numbers, got an array of {array.dtype} "
                         f"(first item {array.ravel()[:1].tolist()!r})"[:200])
    X = array.astype(float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"{who} is a table of samples (one row each), got shape {X.shape}")
    if len(X) == 0:
        raise ValueError(f"no samples: {who} is empty")
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise ValueError(f"{who} row {row} holds {X[row][~np.isfinite(X[row])][0]}: samples "
                         f"must be finite numbers")
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or len(X) != len(y):
            raise ValueError(f"{len(X)} samples in {who} but {y.size if y.ndim == 0 else len(y)} "
                             f"targets")
    return X, y


def _named_metrics(metrics):
    """{name: metric}: each a function (predicted classes, true classes) -> number, with a
    name of its own (its __name__) that is not 'loss' and not another's."""
    if isinstance(metrics, dict):  # named already
        return metrics
    if callable(metrics):
        metrics = (metrics,)
    if isinstance(metrics, (str, bytes)) or not hasattr(metrics, "__iter__"):
        raise TypeError(f"metrics is a tuple of functions, got {type(metrics).__name__}")
    named = {}
    for metric in metrics:
        if not callable(metric):
            raise TypeError(f"a metric is a function (predicted, classes) -> number, got "
                            f"{type(metric).__name__}")
        name = getattr(metric, "__name__", None) or getattr(getattr(metric, "func", None),
                                                            "__name__", None)
        if not isinstance(name, str) or name in ("loss", "<lambda>") or name.startswith("val_") \
                or name in named:
            raise ValueError(f"each metric needs a name of its own to be recorded under (its "
                             f"__name__), not {name!r}: define it with def, or set "
                             f"metric.__name__")
        named[name] = metric
    return named


def _optimizer_for(model, optimizer, lr):
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        # each Value once, even where a model shares a weight between two of its parts
        return OPTIMIZERS[optimizer](list(dict.fromkeys(model.parameters())), lr=lr)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a name or an nn.optim optimizer, got "
                        f"{type(optimizer).__name__}")
    own = set(model.parameters())
    foreign = sum(1 for p in optimizer.params if p not in own)
    if foreign:
        raise ValueError(f"the optimizer holds {foreign} Value{'s' * (foreign > 1)} that "
                         f"{'are' if foreign > 1 else 'is'} not among this model's parameters: "
                         f"make it from model.parameters() (or a part of them)")
    return optimizer


# Training has diverged when a step overflows or turns a number into inf or NaN, or when the
# loss grows past this many times its value at the start (or past this many times 1, for a
# loss that starts below 1).
DIVERGENCE = 1e4


class _Diverged(Exception):
    """Raised inside the loop; fit turns it into one short FloatingPointError."""


def fit(model: Module, X: ArrayLike, y: ArrayLike, loss: LossLike = "mse",
        optimizer: str | Optimizer = "sgd", lr: float = 0.1, epochs: int = 100,
        batch_size: int | None = None, shuffle: bool = True, seed: int | None = 0,
        metrics: Metrics = (accuracy,), validation: tuple[ArrayLike, ArrayLike] | None = None,
        l2: float = 0.0, schedule: Callable[[Optimizer], Schedule] | None = None,
        progress: bool | None = None,
        engine: Literal["auto", "traced", "eager"] = "auto") -> History:
    """Train `model` on samples X (rows) with targets y by gradient descent; return a History.

    loss: a name ('mse', 'mae', 'bce', 'bce_logits', 'cross_entropy', 'hinge'), a loss from
        nn.losses, or an nn.Loss of your own (from its per-sample term). Its targets are read
        and checked once, before training: class labels 0, 1, ... (±1 for hinge; one-hot rows
        for several outputs of mse, mae, bce), or rows of numbers, one per output. (A plain
        function (outputs, targets) -> Value over a whole batch trains eagerly.)
    optimizer: 'sgd', 'adam', 'adamw' (made with `lr`) or an optimizer from nn.optim over
        this model's parameters (or some of them).
    batch_size: None for the whole set at once (full-batch gradient descent).
    validation: (X_val, y_val), evaluated after each epoch.
    l2: the weight of an L2 penalty on every parameter (0 for none).
    schedule: a function (optimizer) -> schedule from nn.optim (StepLR, LinearLR, ...).
    progress: a progress bar (True), none (False), or by default one only where stderr is a
        terminal (none in a notebook, whose saved outputs would keep it).
    engine: 'traced' replays one traced sample over each whole batch with numpy (autograd's
        trace: the same numbers, many times faster); 'eager' builds the graph sample by
        sample; 'auto' (the default) traces when the model and loss allow it. The engine
        used is in history.engine (see nn.engines).

    Training that diverges (a step overflows or gives inf or NaN, or the loss grows past
    DIVERGENCE times its first value) stops with a FloatingPointError naming the epoch, the
    loss and the learning rate, and leaves the model at its last good weights. The model
    remembers the loss (`model.trained_loss`), so that predict() and evaluate() read its
    outputs the same way.
    """
    X, y = _check_data(X, y)
    loss = as_loss(loss)
    optimizer = _optimizer_for(model, optimizer, lr)
    epochs = whole_number(epochs, "epochs")
    batch_size = whole_number(batch_size, "batch_size", allow_none=True) or len(X)
    l2 = finite_number(l2, "l2", low=0)
    if engine not in ("auto", "traced", "eager"):
        raise ValueError(f"engine is 'auto', 'traced' or 'eager', got {engine!r}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress is True, False or None (a bar only on a terminal), got "
                        f"{progress!r}"[:200])
    metrics = _named_metrics(metrics)
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError("validation is a pair (X_val, y_val)")
        X_val, y_val = _check_data(*validation, who="X_val")
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"X_val has {X_val.shape[1]} columns but X has {X.shape[1]}")

    width = _width(model, X[0])
    rows = loss.encode(y, width)  # read and checked once, for either engine
    classes = _classes(y)
    if validation is not None:
        val_rows, val_classes = loss.encode(y_val, width), _classes(y_val)
    schedule = schedule(optimizer) if schedule is not None else None
    model.trained_loss = loss

    engine = choose_engine(engine, model, loss, X, rows, optimizer, l2)
    history = History(loss=[], **{name: [] for name in metrics})
    history.engine = engine.name
    if validation is not None:
        history.update(val_loss=[], **{f"val_{name}": [] for name in metrics})

    rng = np.random.default_rng(seed)
    bar = _progress(epochs, progress)
    last_good, sound_steps, first_epoch_largest, limit = engine.weights(), 0, -math.inf, None
    in_order = np.arange(len(X))
    # every sample's outputs, for the metrics (none asked for: none kept); each epoch fills it
    outputs = np.empty((len(X), width)) if metrics else None
    shows_postfix = hasattr(bar, "set_postfix")
    try:
        for epoch in bar:
            order = rng.permutation(len(X)) if shuffle else in_order
            total = 0.0
            try:
                for start in range(0, len(X), batch_size):
                    batch = order[start:start + batch_size]
                    before = engine.weights()
                    batch_loss, batch_outputs = engine.forward_backward(
                        batch, outputs=outputs is not None)  # (read out for metrics only)
                    _check_progress(batch_loss, limit)  # before the step, which it may stop
                    engine.step()
                    last_good, sound_steps = before, sound_steps + 1
                    if epoch == 0:
                        first_epoch_largest = max(first_epoch_largest, batch_loss)
                    total += batch_loss * len(batch)
                    if outputs is not None:
                        outputs[batch] = batch_outputs
            except (_Diverged, OverflowError, FloatingPointError) as problem:
                if sound_steps == 0 and isinstance(problem, OverflowError):
                    raise  # the very first forward pass overflowed: the data's, not the steps'
                engine.restore(last_good)  # the weights of the last step whose loss was sound
                raise _divergence(problem, epoch, optimizer.lr) from None
            if epoch == 0:  # the scale of this loss, from every batch of the first epoch
                limit = DIVERGENCE * max(1.0, first_epoch_largest)
            if schedule is not None:
                schedule.step()
            for key, value in _scores(loss, total / len(X), outputs, classes, metrics):
                history[key].append(value)
            if validation is not None:
                # (the model as it now is: the traced engine's evaluate reads its Values; the
                # user gets it from the `finally` below, so an epoch without validation writes
                # nothing back)
                engine.write_back()
                val_loss, val_outputs = engine.evaluate(X_val, val_rows)
                for key, value in _scores(loss, val_loss, val_outputs, val_classes,
                                          metrics):
                    history[f"val_{key}"].append(value)
            if shows_postfix:  # shown at the bar's next refresh, with its count
                # (refreshing now would show a stale count: tqdm counts epochs lazily)
                bar.set_postfix({key: f"{values[-1]:.4f}" for key, values in history.items()},
                                refresh=False)
    except BaseException as stopped:  # divergence, Ctrl-C, ...: the epochs so far are kept
        stopped.history = history
        raise
    finally:
        engine.write_back()  # also when training stops otherwise: nothing is lost
    return history


def _divergence(problem, epoch, lr):
    """The one short error fit raises when training diverges."""
    what = problem if isinstance(problem, _Diverged) else \
        f"a step overflowed ({clipped(str(problem), 110)})"
    return FloatingPointError(f"training diverged in epoch {epoch + 1}: {what}, with learning "
                              f"rate {lr:g}. The model keeps its last good weights; try a "
                              f"smaller learning rate.")


def _check_progress(batch_loss, limit):
    if not math.isfinite(batch_loss):
        raise _Diverged(f"the loss became {batch_loss}")
    if limit is not None and batch_loss > limit:  # (a loss falling without end is no
        # divergence of the steps: it is the loss's own business)
        raise _Diverged(f"the loss reached {batch_loss:.3g}, over {DIVERGENCE:g} times "
                        f"its first value")


def _scores(loss, loss_value, outputs, classes, metrics):
    """('loss', ...), then (metric name, ...) for each metric: the outputs (numbers, a row per
    sample) read as classes by the loss and compared with the true classes (a list). One at a
    time, so that fit records each as it comes (a metric stopped by Ctrl-C leaves the epoch's
    loss recorded)."""
    yield "loss", loss_value
    if metrics:
        predicted = loss.classify(outputs).tolist()
        for name, metric in metrics.items():
            yield name, metric(predicted, classes)


def _progress(epochs, progress):
    if progress is None:
        # someone watching a terminal: a bar; a notebook, a pipe or a log file: none (a bar
        # there is a stack of stale lines, or a widget that shows 0% once the notebook is saved)
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
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
def outputs(model: Module, X: ArrayLike) -> list[float] | list[list[float]]:
    """The model's raw outputs for every row of X, as floats (lists for several outputs)."""
    X, _ = _check_data(X)
    result = []
    for x in X:
        out = model(x)
        result.append([o.data for o in out] if isinstance(out, (list, tuple)) else out.data)
    return result


def _trained_loss(model, loss, who):
    """The loss given, else the one fit() trained the model with, else an error: reading
    outputs as classes by the wrong loss gives wrong classes without a word."""
    if loss is not None:
        return as_loss(loss)
    trained = getattr(model, "trained_loss", None)
    if trained is None:
        raise ValueError(f"{who}() needs loss=... (which loss the model was trained with says "
                         f"how to read its outputs as classes); after nn.fit it is remembered")
    return trained


@no_grad()
def predict(model: Module, X: ArrayLike, loss: LossLike | None = None) -> np.ndarray:
    """The predicted class of every row of X, as the loss reads an output: by default the loss
    fit() trained the model with. Without either, several outputs are read by their largest
    (as every loss reads them); one output needs the loss (the threshold differs)."""
    X, _ = _check_data(X)
    numbers = output_numbers([output_list(model(x)) for x in X])
    if loss is None and getattr(model, "trained_loss", None) is None and numbers.shape[1] > 1:
        return numbers.argmax(axis=1)
    return _trained_loss(model, loss, "predict").classify(numbers)


def evaluate(model: Module, X: ArrayLike, y: ArrayLike, loss: LossLike | None = None,
             metrics: Metrics = (accuracy,)) -> dict[str, float]:
    """{'loss': ..., metric name: ...} over X, y, without recording a graph (by default with
    the loss fit() trained the model with)."""
    X, y = _check_data(X, y)
    loss = _trained_loss(model, loss, "evaluate")
    loss_value, numbers = evaluate_eagerly(model, loss, X, loss.encode(y, _width(model, X[0])))
    return dict(_scores(loss, loss_value, numbers, _classes(y), _named_metrics(metrics)))
