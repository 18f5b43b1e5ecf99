"""Code a user might write against autograd's public API: tests/test_typing.py type-checks it
with mypy --strict, so the annotations shipped with py.typed must accept it as written."""
import numpy as np

import autograd
from autograd import (Tape, Value, define, dot, exp, gradcheck, grad, hessian, logsumexp,
                      no_grad, topological_order, total, trace)

x = Value(2.0, label="x")
w = Value(-3.0)
n: Value = x * w + 1 - x / 2 + 2 ** x + (-x) ** 2
o: Value = n.tanh()
o.backward()
gradient: float = x.grad + float(o) + o.item()
shown: str = f"{o:.3f}"
order: list[Value] = topological_order(o)
dx: Value = grad(o, x)
both: list[Value] = grad(o, [x, w], create_graph=True, allow_unused=True)
h: list[list[float]] = hessian(o, [x, w])
p = Value(0.0)
p.m = 0.0  # optimizer state kept on the Value, as micrograd's 2024 script does
with no_grad():
    q = x * 2
on_float: float = exp(1.0)
on_value: Value = exp(x)
on_array: np.ndarray = autograd.log1p(np.ones(3))
s = dot([x, w], [1.0, 2.0], 0.5)
t = total([x, w, q])
m = logsumexp([x, w])
report = gradcheck(lambda a, b: a * b, [0.5, 2.0])
ok: bool = report.ok
softsign = define("softsign", lambda v: v / (1 + abs(v)),
                  derivative=lambda v, out: 1 / (1 + abs(v)) ** 2)
tape: Tape = trace(lambda xs: xs[0] * w, [1.0])
outputs, vector = tape.value_and_grad([[1.0], [2.0]])
f_out, f_tangent = autograd.jvp(lambda a, b: a * b, [1.0, 2.0], [1.0, 0.0])
value_at, hessian_times_v = autograd.hvp(lambda a: a * a * a, [2.0], [1.0])
curvature: float = hessian_times_v[0] + value_at
rows: list[list[float]] = autograd.jacobian(lambda a: [a.sin(), a.cos()], [0.5], mode="forward")
print(f_out, f_tangent, curvature, rows)
print(n, o, gradient, shown, order, dx, both, h, on_float, on_value, on_array, s, t, m, ok,
      softsign(x), outputs, vector)
