"""The two ways `nn.fit` runs a training step, behind one small interface, so that fit's loop
is written once:

    loss, outputs = engine.forward_backward(batch)  # the batch's objective; its gradient kept
                                                    # (outputs=False: outputs is None)
    engine.step()                                   # the optimizer's update, from that gradient
    engine.weights(), engine.restore(weights)       # the trained parameters as one vector
    engine.write_back()                             # those weights into the model's Values
    loss, outputs = engine.evaluate(X, rows)        # the loss alone (no penalty), no training

`batch` holds indices of samples; `rows` are targets as the loss's `encode` reads them; outputs
come back as numbers, one row per sample. EagerEngine builds each batch's graph from Values,
sample by sample; TracedEngine traces one sample once and replays the tape over each batch.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from autograd import (Tape, TraceError, Value, collector_paused, no_grad, trace,
                      values_to_vector, vector_to_values)

from .losses import Loss, l2 as l2_penalty, output_list

if TYPE_CHECKING:
    from .module import Module
    from .optim import Optimizer

E = TypeVar("E", bound=BaseException)

# How many samples, spread over the data, the traced engine checks its tape on against the
# eager engine (a model that branches on .data takes another path on some of them).
TRACE_CHECKS = 64


def output_numbers(outputs: Iterable[Sequence[Value]]) -> np.ndarray:
    """Outputs as lists of Values (output_list) -> a float array, one row per sample."""
    return np.array([[o.data for o in out] for out in outputs], dtype=float)


def evaluate_eagerly(model: Module, loss: Loss, X: np.ndarray,
                     rows: ArrayLike) -> tuple[float, np.ndarray]:
    """(the loss over X, the outputs), without recording a graph and without the penalty."""
    with no_grad():
        outputs = [output_list(model(x)) for x in X]
        return loss.batch(outputs, np.asarray(rows).tolist()).data, output_numbers(outputs)


class EagerEngine:
    """Each batch's graph built from Values, sample by sample, then backward: works for any
    model and any loss."""

    name = "eager"

    def __init__(self, model: Module, loss: Loss, X: np.ndarray, rows: ArrayLike,
                 optimizer: Optimizer, l2: float = 0.0) -> None:
        self.model, self.loss, self.optimizer, self.l2 = model, loss, optimizer, l2
        self.X, self.rows = X, np.asarray(rows).tolist()  # floats, not numpy scalars, in graphs

    def forward_backward(self, batch: np.ndarray,
                         outputs: bool = True) -> tuple[float, np.ndarray | None]:
        self.optimizer.zero_grad()
        with collector_paused():  # the step's graph has no cycles: see autograd
            predictions = [output_list(self.model(x)) for x in self.X[batch]]
            objective = self.loss.batch(predictions, [self.rows[i] for i in batch])
            if self.l2:
                objective = objective + l2_penalty(self.model.parameters(), self.l2)
            objective.backward()
        return objective.data, output_numbers(predictions) if outputs else None

    def step(self) -> None:
        self.optimizer.step()

    def weights(self) -> np.ndarray:
        return values_to_vector(self.optimizer.params)

    def restore(self, weights: np.ndarray) -> None:
        vector_to_values(weights, self.optimizer.params)

    def write_back(self) -> None:
        pass  # the model's Values are the weights already

    def evaluate(self, X: np.ndarray, rows: ArrayLike) -> tuple[float, np.ndarray]:
        return evaluate_eagerly(self.model, self.loss, X, rows)


class TracedEngine:
    """One sample's objective traced once (autograd's trace) and replayed over each batch with
    numpy: the eager engine's numbers, many times faster. While training runs, the optimizer's
    parameters live in one vector; write_back() puts them into the model. Raises TraceError
    where the loss or the model cannot be traced."""

    name = "traced"

    def __init__(self, model: Module, loss: Loss, X: np.ndarray, rows: ArrayLike,
                 optimizer: Optimizer, l2: float = 0.0) -> None:
        if not loss.traceable:
            raise TraceError(f"the loss {loss.name!r} has no traceable form")
        self.optimizer = optimizer
        self.samples = np.column_stack([X, rows])  # a sample's row: its inputs, its targets
        self.tape = trace_objective(model, loss, self.samples, X.shape[1], l2, optimizer.params)
        self.replay = self.tape.replay_on(self.samples)  # its arrays kept from step to step
        self.parameters = values_to_vector(optimizer.params)
        self.gradient: np.ndarray | None = None

    def forward_backward(self, batch: np.ndarray,
                         outputs: bool = True) -> tuple[float, np.ndarray | None]:
        try:  # (the gradient is a view into the replay's arrays: step() reads it before the
            # next forward_backward writes them again)
            rows, self.gradient = self.replay.value_and_grad(batch, at=self.parameters,
                                                             outputs=outputs)
        except ArithmeticError as error:  # the replay names the sample by its row of X
            raise named_by_row(error) from None
        # (objective, data loss, outputs...) rows, or (outputs=False) the objective's row: its
        # mean as numpy's mean computes it, without its overhead; the outputs a row per sample
        if not outputs:
            return float(rows.sum()) / len(batch), None
        return float(rows[0].sum()) / len(batch), rows[2:].T

    def step(self) -> None:
        # (the tape checked the gradient: finite, one number per parameter, float)
        self.parameters = self.optimizer.update_checked(self.parameters, self.gradient)

    def weights(self) -> np.ndarray:
        return self.parameters  # update() makes a new vector: this one stays as it is

    def restore(self, weights: np.ndarray) -> None:
        self.parameters = weights

    def write_back(self) -> None:
        vector_to_values(self.parameters, self.optimizer.params)

    def evaluate(self, X: np.ndarray, rows: ArrayLike) -> tuple[float, np.ndarray]:
        _, data_loss, *outputs = self.tape.run(np.column_stack([X, rows]))
        return float(data_loss.sum()) / len(X), np.array(outputs).T


def trace_objective(model: Module, loss: Loss, samples: np.ndarray, n_inputs: int, l2: float,
                    trained: Sequence[Value]) -> Tape:
    """A tape of one sample's objective (its term plus the penalty), its term alone and the
    model's outputs, whose gradient is taken with respect to `trained` (the optimizer's
    parameters); or TraceError."""
    params = model.parameters()

    def one_sample(row):
        outputs = output_list(model(row[:n_inputs]))
        data_loss = loss.term(outputs, row[n_inputs:])
        objective = data_loss + l2_penalty(params, l2) if l2 else data_loss
        return (objective, data_loss, *outputs)

    # The tape follows the path the first sample took; samples from across the data check
    # that every sample takes it (a branch on .data in a model of one's own would not).
    spread = np.unique(np.linspace(1, len(samples) - 1,
                                   min(TRACE_CHECKS, len(samples) - 1)).astype(int))
    try:
        return trace(one_sample, samples[0], checks=samples[spread], wrt=trained)
    except ArithmeticError as error:  # bad data in a sample checked: name its row of X
        raise named_by_row(error, [0, *spread]) from None
    except TypeError as error:  # e.g. float(target) in a loss of one's own: Values, not floats
        raise TraceError(f"the model or the loss does not run on the tape's Values ({error}): "
                         f"it trains eagerly") from error


def named_by_row(error: E, rows: Sequence[int] | np.ndarray | None = None) -> E:
    """A tape's error about sample i of a batch, about row rows[i] of X instead (row i where
    the batch was X's own rows: a replay's); an error about no sample in particular as it is."""
    if getattr(error, "sample", None) is None:
        return error
    return type(error)(f"X row {error.sample if rows is None else rows[error.sample]}: "
                       f"{error.detail}")


def choose_engine(choice: str, model: Module, loss: Loss, X: np.ndarray, rows: ArrayLike,
                  optimizer: Optimizer, l2: float = 0.0) -> EagerEngine | TracedEngine:
    """The engine fit runs: 'traced' (or TraceError), 'eager', or 'auto': traced where the
    model and loss allow it, else eager."""
    if choice != "eager":
        try:
            return TracedEngine(model, loss, X, rows, optimizer, l2)
        except TraceError:
            if choice == "traced":
                raise
    return EagerEngine(model, loss, X, rows, optimizer, l2)
