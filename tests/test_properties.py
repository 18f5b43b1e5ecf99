"""Property tests: random expression graphs with shared sub-expressions.

A program is a list of steps; each step applies an operation to earlier results, picked by
index, so the same node often feeds several later ones (the case micrograd's doubled-gradient
and set-of-parents bugs come from). The engine's gradients are checked against finite
differences always, against PyTorch where installed, and against themselves (create_graph).
"""
import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck, hessian
from reference import close, needs_torch


def _torch():
    import torch

    return torch


# name -> (arity, f on Values or tensors); every f keeps to the real domain of its parts.
OPERATIONS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (1 + b * b)),
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a ** 2),
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "sin": (1, lambda a: a.sin()),
    "cos": (1, lambda a: a.cos()),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (1 + a * a).log()),
    "sqrt": (1, lambda a: (1 + a * a).sqrt()),
    "softplus": (1, lambda a: a.softplus() if isinstance(a, Value)
                 else _torch().nn.functional.softplus(a, threshold=1e300)),
    "pow": (2, lambda a, b: (1 + a * a) ** b.tanh()),
    "scale": (1, lambda a: 0.5 * a + 0.25),
}


@st.composite
def programs(draw, max_steps=20):
    inputs = draw(st.lists(st.floats(-2, 2), min_size=1, max_size=3))
    steps = draw(st.lists(
        st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 10 ** 6),
                  st.integers(0, 10 ** 6)),
        min_size=1, max_size=max_steps))
    return inputs, steps


def run(program, leaves):
    """Replay a program on leaves (Values or tensors); the output sums the last three results so
    that several branches, sharing earlier nodes, meet at the end."""
    _, steps = program
    nodes = list(leaves)
    for name, i, j in steps:
        arity, f = OPERATIONS[name]
        operands = [nodes[i % len(nodes)], nodes[j % len(nodes)]][:arity]
        nodes.append(f(*operands))
    last = nodes[-3:]
    return sum(last[1:], last[0])


def forward(program):
    xs = [Value(x) for x in program[0]]
    try:
        out = run(program, xs)
    except OverflowError:
        assume(False)  # a long run of products can leave the floats; not what is tested here
    assume(abs(out.data) < 1e6)
    return xs, out


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@PROPERTY
@given(programs())
def test_gradients_match_finite_differences(program):
    forward(program)
    report = gradcheck(lambda *xs: run(program, xs), program[0], eps=1e-6, atol=1e-5, rtol=1e-4)
    assert report, report


@PROPERTY
@given(programs())
def test_create_graph_and_plain_gradients_agree_bit_for_bit(program):
    xs, out = forward(program)
    plain = [g.data for g in grad(out, xs)]
    recorded = [g.data for g in grad(out, xs, create_graph=True)]
    out.backward()
    assert plain == recorded == [x.grad for x in xs]


@PROPERTY
@given(programs())
def test_backward_twice_doubles(program):
    xs, out = forward(program)
    out.backward()
    once = [x.grad for x in xs]
    out.backward()
    assert [x.grad for x in xs] == [2 * g for g in once]


def _torch_gradients(program, order):
    torch = _torch()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program[0]]
    out = run(program, ts)
    first = torch.autograd.grad(out, ts, create_graph=order > 1, allow_unused=True)
    first = [g if g is not None else torch.zeros((), dtype=torch.float64) for g in first]
    if order == 1:
        return out.item(), [g.item() for g in first]
    rows = []
    for g in first:
        row = (torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
               if g.requires_grad else [None] * len(ts))
        rows.append([r.item() if r is not None else 0.0 for r in row])
    return out.item(), rows


def _agree(ours, theirs, scale):
    # Sums taken in a different order differ in the last bits of the largest term.
    return close(ours, theirs, rel=1e-10, abs_tol=1e-12 * scale)


@needs_torch
@PROPERTY
@given(programs())
def test_gradients_match_torch(program):
    xs, out = forward(program)
    ours = [g.data for g in grad(out, xs)]
    value, theirs = _torch_gradients(program, order=1)
    assert close(out.data, value, rel=1e-12, abs_tol=1e-12)
    scale = max([1.0] + [abs(g) for g in theirs])
    assert all(_agree(a, b, scale) for a, b in zip(ours, theirs)), (ours, theirs)


@needs_torch
@PROPERTY
@given(programs(max_steps=10))
def test_hessians_match_torch(program):
    xs, out = forward(program)
    ours = hessian(out, xs)
    _, theirs = _torch_gradients(program, order=2)
    scale = max([1.0] + [abs(h) for row in theirs for h in row])
    for row_ours, row_theirs in zip(ours, theirs):
        assert all(math.isfinite(a) for a in row_ours)
        assert all(_agree(a, b, scale) for a, b in zip(row_ours, row_theirs)), (ours, theirs)
