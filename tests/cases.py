"""Every operation of the engine, the same operation in PyTorch, and the points to test it at.

The one table of test cases: shared by the reference tests (against torch float64), the
finite-difference tests, the tape's tests and the hostile-input tests; tests/test_table.py
checks that every entry of the rule table (`autograd.ops.TABLE`) has at least one. Each case's
`points` include edge ones (zero, kinks, huge and tiny magnitudes) for the comparison with
torch; `smooth_points` are where the function is smooth and of moderate size, for finite
differences. `ours` is written with autograd's exported functions and operators, so the same
case also runs on floats and on numpy arrays.
"""
from dataclasses import dataclass, field

import autograd
from autograd import dot as _dot
from autograd import logsumexp as _logsumexp
from autograd import total as _total


@dataclass
class Case:
    name: str
    op: str               # the entry of autograd.ops.TABLE it exercises
    ours: object          # f(*Values) -> Value (and f(*floats) -> float, f(*arrays) -> array)
    theirs: object        # f(*tensors) -> tensor (imports torch lazily)
    points: list
    smooth_points: list = field(default_factory=list)

    def __str__(self):
        return self.name


def _torch():
    import torch

    return torch


def torch_softplus(x):
    # PyTorch's softplus returns x itself above threshold=20, an approximation; with the
    # threshold lifted it computes log1p(exp(x)) exactly until exp(x) overflows near 709,
    # where logaddexp(x, 0) takes over.
    torch = _torch()
    if x.item() < 700:
        return torch.nn.functional.softplus(x, threshold=1e300)
    return torch.logaddexp(x, torch.zeros_like(x))


def _torch_function(name):
    return lambda *xs: getattr(_torch(), name)(*xs)


MODERATE = [-2.5, -1.0, -0.3, 0.4, 1.0, 2.2]
BINARY_MODERATE = [(1.5, 2.0), (-0.7, 0.4), (3.0, -1.25), (-2.0, -0.5)]

CASES = [
    Case("total", "total", lambda a, b, c: _total([a, b, c]), lambda a, b, c: a + b + c,
         [(0.5, -1.0, 2.0), (1e300, -1e300, 1.0), (0.0, 0.0, 0.0)],
         [(0.5, -1.0, 2.0), (1.3, 0.2, -0.7)]),
    Case("logsumexp", "logsumexp", lambda a, b, c: _logsumexp([a, b, c]),
         lambda a, b, c: _torch().logsumexp(_torch().stack([a, b, c]), 0),
         [(0.5, -1.0, 2.0), (1000.0, 999.0, -1000.0), (-800.0, -801.0, -1e4), (0.0, 0.0, 0.0)],
         [(0.5, -1.0, 2.0), (1.3, 0.2, -0.7)]),
    Case("dot", "dot", lambda w1, w2, x1, x2, b: _dot([w1, w2], [x1, x2], b),
         lambda w1, w2, x1, x2, b: b + w1 * x1 + w2 * x2,
         [(0.5, -1.0, 2.0, 3.0, 0.25), (1e100, 1e100, 1e100, -1e100, 0.0),
          (0.0, 0.0, 0.0, 0.0, 0.0)], [(0.5, -1.0, 2.0, 3.0, 0.25), (1.3, 0.2, -0.7, 2.0, -1.0)]),
    Case("add", "add", lambda a, b: a + b, lambda a, b: a + b,
         BINARY_MODERATE + [(0.0, 0.0), (1e300, -1e300), (1e-300, 5e-301)], BINARY_MODERATE),
    Case("sub", "sub", lambda a, b: a - b, lambda a, b: a - b,
         BINARY_MODERATE + [(0.0, -0.0), (1e300, 1e300)], BINARY_MODERATE),
    Case("mul", "mul", lambda a, b: a * b, lambda a, b: a * b,
         BINARY_MODERATE + [(0.0, 3.0), (1e150, 1e150), (1e-200, 1e-200)], BINARY_MODERATE),
    Case("div", "div", lambda a, b: a / b, lambda a, b: a / b,
         BINARY_MODERATE + [(0.0, 3.0), (1e150, 1e-100), (1e-300, 7.0)], BINARY_MODERATE),
    Case("neg", "neg", lambda x: -x, lambda x: -x, [(x,) for x in MODERATE + [0.0, 1e300]],
         [(x,) for x in MODERATE]),
    Case("number - Value", "sub", lambda x: 3 - x, lambda x: 3 - x, [(x,) for x in MODERATE],
         [(x,) for x in MODERATE]),
    Case("number / Value", "div", lambda x: 1 / x, lambda x: 1 / x,
         [(x,) for x in MODERATE + [1e-150, -1e150]], [(x,) for x in MODERATE]),
    Case("Value ** Value", "pow", lambda a, b: a ** b, lambda a, b: a ** b,
         [(1.5, 2.0), (0.3, -1.7), (2.0, 0.5), (7.0, 3.0), (1e-3, 2.5), (1e3, -2.0)],
         [(1.5, 2.0), (0.3, -1.7), (2.0, 0.5), (1.2, 3.0)]),
    Case("number ** Value", "exponential", lambda x: 2 ** x, lambda x: 2 ** x,
         [(x,) for x in MODERATE + [0.0, 100.0, -100.0]], [(x,) for x in MODERATE]),
    Case("0.5 ** Value", "exponential", lambda x: 0.5 ** x, lambda x: 0.5 ** x,
         [(x,) for x in MODERATE], [(x,) for x in MODERATE]),
    Case("x ** 2", "power", lambda x: x ** 2, lambda x: x ** 2,
         [(x,) for x in MODERATE + [0.0, 1e100, -1e-100]], [(x,) for x in MODERATE]),
    Case("x ** 3", "power", lambda x: x ** 3, lambda x: x ** 3,
         [(x,) for x in MODERATE + [0.0]], [(x,) for x in MODERATE]),
    Case("x ** -1", "power", lambda x: x ** -1, lambda x: x ** -1,
         [(x,) for x in MODERATE], [(x,) for x in MODERATE]),
    Case("x ** -2.5", "power", lambda x: x ** -2.5, lambda x: x ** -2.5,
         [(x,) for x in [0.1, 0.4, 1.0, 3.0, 1e10]], [(x,) for x in [0.4, 1.0, 3.0]]),
    Case("x ** 0.5", "power", lambda x: x ** 0.5, lambda x: x ** 0.5,
         [(x,) for x in [1e-10, 0.4, 1.0, 2.2, 1e10]], [(x,) for x in [0.4, 1.0, 2.2]]),
    Case("x ** 1.5", "power", lambda x: x ** 1.5, lambda x: x ** 1.5,
         [(x,) for x in [1e-10, 0.4, 1.0, 2.2, 1e10]], [(x,) for x in [0.4, 1.0, 2.2]]),
    Case("x ** 0", "power", lambda x: x ** 0, lambda x: x ** 0,
         [(x,) for x in MODERATE + [0.0]], [(x,) for x in MODERATE]),
    Case("x ** 1", "power", lambda x: x ** 1, lambda x: x ** 1,
         [(x,) for x in MODERATE + [0.0]], [(x,) for x in MODERATE]),
    Case("abs", "abs", lambda x: abs(x), lambda x: x.abs(),
         [(x,) for x in MODERATE + [0.0, -1e300]], [(x,) for x in MODERATE]),
    Case("exp", "exp", autograd.exp, lambda x: x.exp(),
         [(x,) for x in MODERATE + [0.0, -745.0, 700.0, 709.0]], [(x,) for x in MODERATE]),
    Case("log", "log", autograd.log, lambda x: x.log(),
         [(x,) for x in [1e-300, 1e-5, 0.4, 1.0, 2.2, 1e300]], [(x,) for x in [0.4, 1.0, 2.2]]),
    Case("sqrt", "sqrt", autograd.sqrt, lambda x: x.sqrt(),
         [(x,) for x in [1e-100, 0.4, 1.0, 2.2, 1e300]], [(x,) for x in [0.4, 1.0, 2.2]]),
    Case("sin", "sin", autograd.sin, lambda x: x.sin(),
         [(x,) for x in MODERATE + [0.0, 3.141592653589793, 1e5]], [(x,) for x in MODERATE]),
    Case("cos", "cos", autograd.cos, lambda x: x.cos(),
         [(x,) for x in MODERATE + [0.0, 1.5707963267948966, -1e5]], [(x,) for x in MODERATE]),
    Case("tanh", "tanh", autograd.tanh, lambda x: x.tanh(),
         [(x,) for x in MODERATE + [0.0, 19.0, -19.0, 355.0, -400.0, 1e308]],
         [(x,) for x in MODERATE]),
    Case("sigmoid", "sigmoid", autograd.sigmoid, lambda x: x.sigmoid(),
         [(x,) for x in MODERATE + [0.0, 30.0, -30.0, -700.0, 800.0, -1e308]],
         [(x,) for x in MODERATE]),
    Case("softplus", "softplus", autograd.softplus, torch_softplus,
         [(x,) for x in MODERATE + [0.0, 25.0, -40.0, 800.0, -800.0, 1e308]],
         [(x,) for x in MODERATE]),
    Case("relu", "relu", autograd.relu, lambda x: x.relu(),
         [(x,) for x in MODERATE + [0.0, 1e300, -1e300]], [(x,) for x in MODERATE]),
    Case("leaky_relu", "leaky_relu", autograd.leaky_relu,
         lambda x: _torch().nn.functional.leaky_relu(x, 0.01),
         [(x,) for x in MODERATE + [0.0, -1e300]], [(x,) for x in MODERATE]),
    Case("leaky_relu(0.2)", "leaky_relu", lambda x: autograd.leaky_relu(x, 0.2),
         lambda x: _torch().nn.functional.leaky_relu(x, 0.2),
         [(x,) for x in MODERATE + [0.0]], [(x,) for x in MODERATE]),
    *[Case(name, name, getattr(autograd, name), _torch_function(name), points, smooth)
      for name, points, smooth in [
          ("expm1", MODERATE + [0.0, 1e-10, -745.0, 700.0], MODERATE),
          ("log1p", [-0.999999, -0.5, 0.0, 1e-10, 2.2, 1e300], [-0.5, 0.4, 2.2]),
          ("log2", [1e-300, 0.4, 1.0, 2.2, 1e300], [0.4, 1.0, 2.2]),
          ("log10", [1e-300, 0.4, 1.0, 2.2, 1e300], [0.4, 1.0, 2.2]),
          ("tan", MODERATE + [0.0, 1.5, -1.5], MODERATE),
          ("asin", [-0.99, -0.5, 0.0, 1e-10, 0.3, 0.9], [-0.5, 0.0, 0.3]),
          ("acos", [-0.99, -0.5, 0.0, 1e-10, 0.3, 0.9], [-0.5, 0.0, 0.3]),
          ("atan", MODERATE + [0.0, 1e10, -1e10], MODERATE),
          ("sinh", MODERATE + [0.0, 700.0, -700.0], MODERATE),
          ("cosh", MODERATE + [0.0, 700.0, -700.0], MODERATE),
          ("asinh", MODERATE + [0.0, 1e10, -1e10], MODERATE),
          ("acosh", [1.0001, 1.5, 2.0, 10.0, 1e10], [1.5, 2.0, 10.0]),
          ("atanh", [-0.99, -0.5, 0.0, 1e-10, 0.3, 0.9], [-0.5, 0.0, 0.3]),
      ] for points, smooth in [([(x,) for x in points], [(x,) for x in smooth])]],
    Case("clamp(-1, 2)", "clamp", lambda x: autograd.clamp(x, -1.0, 2.0),
         lambda x: _torch().clamp(x, -1.0, 2.0),
         [(x,) for x in MODERATE + [-1.0, 2.0, 0.0, 1e300]], [(x,) for x in [-2.5, -0.3, 0.4, 3.0]]),
    Case("clamp(low=0)", "clamp", lambda x: autograd.clamp(x, low=0.0),
         lambda x: _torch().clamp(x, min=0.0),
         [(x,) for x in MODERATE + [0.0, -1e300]], [(x,) for x in [-2.5, -0.3, 0.4, 2.2]]),
]
