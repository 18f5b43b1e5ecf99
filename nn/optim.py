"""Optimizers and learning-rate schedules, step for step as `torch.optim` defines them.

An optimizer holds a list of parameters (Values); `step()` moves each `.data` against its
`.grad`, and `zero_grad()` clears the gradients for the next backward pass. Each update rule is
written once, on numpy vectors of all the parameters at once: `step()` reads the Values into
vectors and writes the result back, and `update(parameters, gradient)` is the same step for a
training loop that keeps its parameters in one vector (`nn.fit` on the traced engine).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from autograd import Value, all_finite, values_to_vector, vector_to_values


class Optimizer:
    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters (an empty list)")
        for position, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"optimizer parameters must be Values; parameter {position} is "
                                f"{type(p).__name__}")
        if len(set(self.params)) < len(self.params):
            raise ValueError("the optimizer got the same parameter twice (a weight shared by "
                             "two layers?): give each Value once")
        self.lr = finite_number(lr, "the learning rate", low=0, low_included=False)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter's `.data` one step against its `.grad`."""
        gradient = np.fromiter((p.grad for p in self.params), dtype=float,
                               count=len(self.params))
        vector_to_values(self.update(values_to_vector(self.params), gradient), self.params)

    def update(self, parameters: ArrayLike, gradient: ArrayLike) -> np.ndarray:
        """The parameters after one step, as a new vector: `parameters` and `gradient` are
        numpy vectors in the order of `self.params`. The optimizer's own state (momentum,
        running averages) advances as with step()."""
        parameters, gradient = np.asarray(parameters, float), np.asarray(gradient, float)
        for name, vector in (("parameters", parameters), ("gradient", gradient)):
            if vector.shape != (len(self.params),):
                raise ValueError(f"update() takes vectors of the {len(self.params)} parameters; "
                                 f"{name} has shape {vector.shape}")
        with np.errstate(all="ignore"):
            if not all_finite(gradient):
                bad = np.flatnonzero(~np.isfinite(gradient))
                raise FloatingPointError(
                    f"parameter {bad[0]} has gradient {gradient[bad[0]]}: training diverged "
                    f"(try a smaller learning rate; it is {self.lr})")
        return self.update_checked(parameters, gradient)

    def update_checked(self, parameters: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """update() of vectors the caller has checked (float vectors of the right length, a
        finite gradient), as the traced engine has (its tape checks every gradient it gives), so
        that a step checks its gradient once; the result is still checked."""
        state = {key: getattr(self, key) for key in self._state}
        with np.errstate(all="ignore"):
            updated = self._update(parameters, gradient)
            bad = [] if all_finite(updated) else \
                np.flatnonzero(~np.isfinite(updated) & np.isfinite(parameters))
        if len(bad):
            for key, value in state.items():  # as if this step had not been asked for
                setattr(self, key, value)
            raise FloatingPointError(
                f"parameter {bad[0]} would become {updated[bad[0]]} (from {parameters[bad[0]]} "
                f"with gradient {gradient[bad[0]]}): training diverged (try a smaller "
                f"learning rate; it is {self.lr})")
        return updated

    _state = ()  # the names of the attributes an update changes

    def _update(self, w, g):
        """The new parameters; may replace (never modify in place) the state's arrays."""
        raise NotImplementedError


class SGD(Optimizer):
    """w ← w − lr·g, with optional momentum (heavy ball or Nesterov) and weight decay."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        momentum = finite_number(momentum, "SGD's momentum", low=0)
        dampening = finite_number(dampening, "SGD's dampening", low=0, high=1)
        weight_decay = finite_number(weight_decay, "SGD's weight_decay", low=0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening 0")
        self.momentum, self.dampening = momentum, dampening
        self.nesterov, self.weight_decay = bool(nesterov), weight_decay
        self.velocity: np.ndarray | None = None  # the momentum buffer, from the first step on

    _state = ("velocity",)

    def _update(self, w, g):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            v = self.velocity
            v = g.copy() if v is None else self.momentum * v + (1 - self.dampening) * g
            self.velocity = v
            g = g + self.momentum * v if self.nesterov else v
        return w - self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba): steps scaled by running averages of the gradient and its square.

    `weight_decay` adds weight_decay·w to the gradient (L2, as torch's Adam); AdamW decays the
    weights directly instead."""

    decoupled = False

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam's betas are a pair of numbers in [0, 1), got {betas!r}")
        self.beta1 = finite_number(betas[0], "Adam's first beta", low=0, high=1, high_included=False)
        self.beta2 = finite_number(betas[1], "Adam's second beta", low=0, high=1, high_included=False)
        self.eps = finite_number(eps, "Adam's eps", low=0)
        self.weight_decay = finite_number(weight_decay, "Adam's weight_decay", low=0)
        self.steps = 0
        self.m = np.zeros(len(self.params))  # running average of the gradient
        self.v = np.zeros(len(self.params))  # ... and of its square

    _state = ("steps", "m", "v")

    def _update(self, w, g):
        self.steps += 1
        correction1 = 1 - self.beta1 ** self.steps
        correction2_sqrt = math.sqrt(1 - self.beta2 ** self.steps)
        step_size = self.lr / correction1
        if self.weight_decay and self.decoupled:
            w = w * (1 - self.lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * w
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        return w - step_size * self.m / (np.sqrt(self.v) / correction2_sqrt + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w ← w·(1 − lr·decay) each step."""

    decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def finite_number(value: object, name: str, low: float | None = None, high: float | None = None,
                  low_included: bool = True, high_included: bool = True) -> float:
    """A finite real number within the bounds given, as a float; else a ValueError naming it."""
    ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
    ok = ok and (low is None or value > low or (low_included and value == low))
    ok = ok and (high is None or value < high or (high_included and value == high))
    if not ok:
        bounds = " and ".join(
            part for part in (
                None if low is None else f"{'>=' if low_included else '>'} {low:g}",
                None if high is None else f"{'<=' if high_included else '<'} {high:g}")
            if part)
        raise ValueError(f"{name} must be a finite number{' ' + bounds if bounds else ''}, "
                         f"got {value!r}")
    return float(value)


@overload
def whole_number(value: object, name: str, allow_none: Literal[False] = ...) -> int: ...
@overload
def whole_number(value: object, name: str, allow_none: bool) -> int | None: ...


def whole_number(value: object, name: str, allow_none: bool = False) -> int | None:
    """A whole number >= 1 (numpy's too, not a bool), as an int; None too if allowed."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1{' or None' * allow_none}, "
                         f"got {value!r}")
    return int(value)


# ---- learning-rate schedules: call .step() once per epoch, after the optimizer's steps ----

class Schedule:
    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule takes an optimizer from nn.optim, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self) -> None:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError


class StepLR(Schedule):
    """Multiply the learning rate by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = whole_number(step_size, "StepLR's step_size")
        self.gamma = finite_number(gamma, "StepLR's gamma", low=0, low_included=False)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class LinearLR(Schedule):
    """Scale the learning rate linearly from start_factor to end_factor over total_iters epochs
    (micrograd's demo: 1.0 → 0.1 over 100 steps)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        super().__init__(optimizer)
        # as torch: the rate stays positive at the start and never goes negative
        self.start_factor = finite_number(start_factor, "LinearLR's start_factor", low=0, high=1,
                                    low_included=False)
        self.end_factor = finite_number(end_factor, "LinearLR's end_factor", low=0, high=1)
        self.total_iters = whole_number(total_iters, "LinearLR's total_iters")
        optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(Schedule):
    """Follow half a cosine from the base rate down to eta_min over T_max epochs."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = whole_number(T_max, "CosineAnnealingLR's T_max")
        self.eta_min = finite_number(eta_min, "CosineAnnealingLR's eta_min", low=0)

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * \
            (1 + math.cos(math.pi * epoch / self.T_max)) / 2
