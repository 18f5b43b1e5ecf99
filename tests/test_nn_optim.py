"""Optimizers and schedules follow torch.optim step for step."""
import math

import numpy as np
import pytest

from autograd import Value, grad
from nn import optim
from reference import needs_torch

START = [0.5, -1.3, 0.8, 2.0, -0.1]
A = [1.0, 0.5, -2.0, 0.3, 1.5]


def objective(ps, tanh):
    # a smooth, non-quadratic function of five parameters, written for Values and tensors
    total = 0.0
    for p, a in zip(ps, A):
        total = total + tanh(p * a) * a + 0.1 * p * p
    cross = ps[0] * ps[1] - ps[2] * ps[3] + ps[4]
    return total + cross * cross * 0.05


def train(ps, optimizer, schedule, tanh, lr_of, steps):
    """The same loop for both libraries; returns the learning rate used at each step."""
    sched = schedule(optimizer) if schedule else None
    lrs = []
    for _ in range(steps):
        optimizer.zero_grad()
        objective(ps, tanh).backward()
        optimizer.step()
        lrs.append(lr_of(optimizer))
        if sched:
            sched.step()
    return lrs


def run_ours(make, steps, schedule=None):
    ps = [Value(x) for x in START]
    lrs = train(ps, make(ps), schedule, Value.tanh, lambda o: o.lr, steps)
    return [p.data for p in ps], lrs


def run_ours_on_vectors(make, steps):
    """The loop nn.fit runs on the traced engine: the parameters kept in one vector, the
    gradient computed at that vector, update() giving the next vector."""
    ps = [Value(x) for x in START]
    optimizer = make(ps)
    vector = np.array(START)
    for _ in range(steps):
        at = [Value(x) for x in vector]
        gradient = np.array([g.data for g in grad(objective(at, Value.tanh), at)])
        vector = optimizer.update(vector, gradient)
    assert [p.data for p in ps] == START  # update() leaves the Values alone
    return list(vector)


def run_torch(make, steps, schedule=None):
    import torch

    ps = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    lrs = train(ps, make(ps), schedule, torch.tanh, lambda o: o.param_groups[0]["lr"], steps)
    return [p.item() for p in ps], lrs


CONFIGS = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), "SGD", dict(lr=0.1)),
    "sgd momentum": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
                     "SGD", dict(lr=0.05, momentum=0.9)),
    "sgd nesterov wd": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True,
                                             weight_decay=0.01),
                        "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    "sgd dampening": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, dampening=0.3),
                      "SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    "adam": (lambda ps: optim.Adam(ps, lr=0.05), "Adam", dict(lr=0.05)),
    "adam wd": (lambda ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6,
                                      weight_decay=0.1),
                "Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
              "AdamW", dict(lr=0.05, weight_decay=0.1)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_trajectories_equal_torch(name):
    import torch

    ours_make, torch_name, kwargs = CONFIGS[name]
    ours, _ = run_ours(ours_make, 200)
    on_vectors = run_ours_on_vectors(ours_make, 200)
    theirs, _ = run_torch(lambda ps: getattr(torch.optim, torch_name)(ps, **kwargs), 200)
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12)
    assert on_vectors == pytest.approx(theirs, rel=1e-10, abs=1e-12)


SCHEDULES = {
    "step": (lambda o: optim.StepLR(o, step_size=7, gamma=0.5),
             lambda o: __import__("torch").optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    "linear": (lambda o: optim.LinearLR(o, 1.0, 0.1, 30),
               lambda o: __import__("torch").optim.lr_scheduler.LinearLR(o, 1.0, 0.1, 30)),
    "cosine": (lambda o: optim.CosineAnnealingLR(o, T_max=25, eta_min=0.001),
               lambda o: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(
                   o, T_max=25, eta_min=0.001)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_equal_torch(name):
    import torch

    ours_schedule, torch_schedule = SCHEDULES[name]
    ours, our_lrs = run_ours(lambda ps: optim.SGD(ps, lr=0.2), 40, ours_schedule)
    theirs, their_lrs = run_torch(lambda ps: torch.optim.SGD(ps, lr=0.2), 40, torch_schedule)
    assert our_lrs == pytest.approx(their_lrs, rel=1e-12)
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-12)


def test_sgd_step_by_hand():
    p = Value(2.0)
    p.grad = 0.5
    optim.SGD([p], lr=0.1).step()
    assert p.data == 2.0 - 0.1 * 0.5


def test_micrograd_schedule_is_linear_lr():
    opt = optim.SGD([Value(0.0)], lr=1.0)
    schedule = optim.LinearLR(opt, 1.0, 0.1, 100)
    for k in range(100):
        assert opt.lr == pytest.approx(1.0 - 0.9 * k / 100, rel=1e-14)
        schedule.step()


def test_zero_grad():
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    optim.Adam(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize("make, error, words", [
    (lambda: optim.SGD([], lr=0.1), ValueError, "no parameters"),
    (lambda: optim.SGD([1.0], lr=0.1), TypeError, "parameter 0 is float"),
    (lambda: optim.SGD([Value(1.0)], lr=-1), ValueError, "learning rate must be a finite number > 0"),
    (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "Nesterov"),
    (lambda: optim.Adam([Value(1.0)], betas=(1.0, 0.9)), ValueError, "first beta"),
])
def test_bad_settings(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_a_diverged_gradient_is_an_error_not_a_nan_weight():
    p = Value(1.0)
    p.grad = math.inf
    with pytest.raises(FloatingPointError, match="diverged"):
        optim.SGD([p], lr=0.1).step()
    assert p.data == 1.0


def test_update_checks_its_vectors():
    optimizer = optim.Adam([Value(1.0), Value(2.0)])
    with pytest.raises(ValueError, match=r"gradient has shape \(1,\)"):
        optimizer.update(np.zeros(2), np.zeros(1))  # numpy would broadcast it silently
    with pytest.raises(ValueError, match="parameters has shape"):
        optimizer.update(np.zeros(3), np.zeros(2))
    with pytest.raises(FloatingPointError, match="parameter 1 has gradient nan"):
        optimizer.update(np.zeros(2), np.array([0.0, math.nan]))
    assert optimizer.steps == 0  # a refused update leaves the state as it was


def test_an_update_that_overflows_is_an_error_and_changes_nothing():
    p = Value(1e300)
    p.grad = 1e300
    optimizer = optim.SGD([p], lr=1e10, momentum=0.9)
    with pytest.raises(FloatingPointError, match="parameter 0 would become -inf"):
        optimizer.step()
    assert p.data == 1e300 and optimizer.velocity is None
