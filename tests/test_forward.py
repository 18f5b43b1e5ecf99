"""Forward mode (#15): jvp, hvp and jacobian.

Against PyTorch float64 (torch.func.jvp, torch.autograd.functional.hvp and .jacobian), to
1e-12 relative, on every case of the one table (tests/cases.py) at every point, edge ones
included, and on random graphs (hypothesis); against reverse mode (jvp along e_j is grad's
j-th component, along v it is grad·v; hvp is hessian·v; jacobian forward == reverse); against
central finite differences (always run, no torch needed); higher order (forward over forward,
reverse over forward); custom operations, the many-input ones and a network's loss; bad
inputs and micrograd-style closure nodes. The torch tests skip cleanly without torch.
"""
import math
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import (Value, define, dot, grad, hessian, hvp, is_grad_enabled, jacobian, jvp,
                      logsumexp, no_grad, total)
from autograd import forward as forward_module
from cases import CASES, torch_softplus
from reference import REL, close, needs_torch
from test_chain_rule_steps import hand_built_tanh
from test_micrograd_closures import skip_node

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _torch():
    import torch

    return torch


def tensors(numbers):
    torch = _torch()
    return tuple(torch.tensor(float(x), dtype=torch.float64) for x in numbers)


def torch_jvp(f, point, direction):
    out, tangent = _torch().func.jvp(f, tensors(point), tensors(direction))
    return out.item(), tangent.item()


def torch_hvp(f, point, vector):
    out, product = _torch().autograd.functional.hvp(f, tensors(point), tensors(vector))
    return out.item(), [p.item() for p in product]


def torch_jacobian(f, point):
    """torch's Jacobian of f (one output or a tuple of outputs) as a list of rows."""
    outputs = f(*tensors(point))
    single = not isinstance(outputs, (tuple, list))
    result = _torch().autograd.functional.jacobian(f, tensors(point))
    rows = [result] if single else list(result)
    return [[entry.item() for entry in row] for row in rows]


def directions(k):
    """Tangent directions for an operation of k inputs: each axis, and a mixed one (and for
    one input a negative, larger one)."""
    axes = [tuple(float(i == j) for i in range(k)) for j in range(k)]
    mixed = (0.7, -1.3, 0.4, 2.0, -0.6)[:k] if k > 1 else (-2.5,)
    return axes + [mixed]


def agrees(ours, theirs, what, floor=1e-300):
    """ours (a float) matches torch's number: close where torch's is finite, the same
    non-finite number (an overflow both see) where it is not."""
    if math.isfinite(theirs):
        assert math.isfinite(ours) and close(ours, theirs, REL, floor), (
            f"{what}: ours {ours!r} vs torch {theirs!r}")
    else:
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (
            f"{what}: ours {ours!r} vs torch {theirs!r}")


def dotted(row, vector):
    return sum(a * b for a, b in zip(row, vector))


def scale_of(row, vector):
    """Σ |row_j · vector_j|: the size of the terms of row·vector, the floor of the rounding
    error a sum of them can carry (cancellation)."""
    return sum(abs(a * b) for a, b in zip(row, vector))


# ---------------------------------------------------------------------------------------------
# every operation of the rule table, against torch float64 at every point of its case

JVP_POINTS = [(case, point, direction) for case in CASES for point in case.points
              for direction in directions(len(point))]

def _jvp_param(case, point, direction):
    return pytest.param(case, point, direction, id=f"{case.name}{point}->{direction}")


@needs_torch
@pytest.mark.parametrize("case, point, direction",
                         [_jvp_param(*p) for p in JVP_POINTS])
def test_jvp_matches_torch_on_every_operation(case, point, direction):
    t_value, t_tangent = torch_jvp(case.theirs, point, direction)
    try:
        value, tangent = jvp(case.ours, list(point), list(direction))
    except ArithmeticError as error:  # an infinite slope refused by name, as grad refuses it
        assert not (math.isfinite(t_value) and math.isfinite(t_tangent)), (
            f"jvp raised {error!r} where torch gives {t_value!r}, {t_tangent!r}")
        return
    assert isinstance(value, Value) and isinstance(tangent, Value)
    agrees(value.data, t_value, "value")
    agrees(tangent.data, t_tangent, "tangent")


def test_the_zero_tangent_point_is_in_the_table():
    # a / b at (1e150, 1e-100) along a: d/db overflows, but b's tangent is 0 (see below)
    assert ("div", (1e150, 1e-100), (1.0, 0.0)) in {(c.name, p, d) for c, p, d in JVP_POINTS}


HVP_POINTS = [(case, point, vector) for case in CASES for point in case.points
              for vector in directions(len(point))[-1:] + directions(len(point))[:1]]


@needs_torch
@pytest.mark.parametrize("case, point, vector", HVP_POINTS,
                         ids=[f"{c.name}{p}->{v}" for c, p, v in HVP_POINTS])
def test_hvp_matches_torch_on_every_operation(case, point, vector):
    t_value, t_product = torch_hvp(case.theirs, point, vector)
    try:
        value, product = hvp(case.ours, list(point), list(vector))
    except ArithmeticError as error:
        assert not all(math.isfinite(x) for x in [t_value, *t_product]), (
            f"hvp raised {error!r} where torch gives {t_product!r}")
        return
    assert type(value) is float and len(product) == len(point)
    assert all(type(x) is float for x in product)
    agrees(value, t_value, "value")
    for i, (ours, theirs) in enumerate(zip(product, t_product)):
        agrees(ours, theirs, f"(H·v)[{i}]")


JACOBIAN_POINTS = [(case, point) for case in CASES for point in case.points]


@needs_torch
@pytest.mark.parametrize("case, point", JACOBIAN_POINTS,
                         ids=[f"{c.name}{p}" for c, p in JACOBIAN_POINTS])
def test_jacobian_both_modes_match_torch_on_every_operation(case, point):
    theirs = torch_jacobian(case.theirs, point)
    for mode in ("forward", "reverse", "auto"):
        try:
            ours = jacobian(case.ours, list(point), mode=mode)
        except ArithmeticError as error:
            assert not all(math.isfinite(x) for x in theirs[0]), (
                f"{mode}: raised {error!r} where torch gives {theirs}")
            continue
        assert len(ours) == 1 and len(ours[0]) == len(point)
        for j, (a, b) in enumerate(zip(ours[0], theirs[0])):
            agrees(a, b, f"{mode} d/dx{j}")


def test_a_zero_tangent_never_meets_an_overflowed_slope():
    # a / b at (1e150, 1e-100): d/da = 1/b = 1e100 is finite; d/db = -a/b² overflows. Forward
    # mode along a must give 1e100 (torch.func.jvp does), not inf * 0 = NaN.
    _, tangent = jvp(lambda a, b: a / b, [1e150, 1e-100], [1.0, 0.0])
    assert tangent.data == pytest.approx(1e100, rel=1e-12)
    # the whole Jacobian holds d/db, which overflows: refused by name in both modes
    for mode in ("forward", "reverse"):
        with pytest.raises(OverflowError):
            jacobian(lambda a, b: a / b, [1e150, 1e-100], mode=mode)


# ---------------------------------------------------------------------------------------------
# every operation, against reverse mode (no torch needed)

SMOOTH = [(case, point) for case in CASES for point in case.smooth_points]
SMOOTH_IDS = [f"{c.name}{p}" for c, p in SMOOTH]


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_jvp_along_each_axis_is_the_gradient_and_along_v_is_grad_dot_v(case, point):
    xs = [Value(x) for x in point]
    out = case.ours(*xs)
    gradient = [g.data for g in grad(out, xs)]
    for j, axis in enumerate(directions(len(point))[:-1]):
        value, tangent = jvp(case.ours, list(point), list(axis))
        assert value.data == out.data  # the same forward pass, bit for bit
        assert close(tangent.data, gradient[j], REL, 1e-300), (j, tangent.data, gradient)
    v = directions(len(point))[-1]
    _, tangent = jvp(case.ours, list(point), list(v))
    assert close(tangent.data, dotted(gradient, v), REL, 1e-15 * scale_of(gradient, v) + 1e-300)


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_hvp_is_the_hessian_times_v(case, point):
    v = directions(len(point))[-1]
    matrix = _hessian(case.ours, point)
    value, product = hvp(case.ours, list(point), list(v))
    assert value == case.ours(*point)
    for i, row in enumerate(matrix):
        assert close(product[i], dotted(row, v), REL, 1e-15 * scale_of(row, v) + 1e-300), (
            i, product, matrix)


def _hessian(f, point):
    xs = [Value(x) for x in point]
    return hessian(f(*xs), xs)


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_jacobian_forward_equals_reverse(case, point):
    forward = jacobian(case.ours, list(point), mode="forward")
    reverse = jacobian(case.ours, list(point), mode="reverse")
    assert len(forward) == len(reverse) == 1
    for a, b in zip(forward[0], reverse[0]):
        assert close(a, b, REL, 1e-300), (forward, reverse)


# ---------------------------------------------------------------------------------------------
# every operation, against central finite differences (always run)

def central_along(f, point, v, h=1e-6):
    up = [x + h * t for x, t in zip(point, v)]
    down = [x - h * t for x, t in zip(point, v)]
    return (f(*up) - f(*down)) / (2 * h)


def float_gradient(f, point):
    xs = [Value(x) for x in point]
    return [g.data for g in grad(f(*xs), xs)]


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_jvp_matches_central_differences_of_the_value(case, point):
    for v in directions(len(point)):
        value, tangent = jvp(case.ours, list(point), list(v))
        numeric = central_along(case.ours, point, v)
        assert math.isclose(value.data, case.ours(*point), rel_tol=1e-15, abs_tol=1e-300)
        assert math.isclose(tangent.data, numeric, rel_tol=1e-6, abs_tol=1e-8), (
            v, tangent.data, numeric)


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_hvp_matches_central_differences_of_the_gradient(case, point):
    v = directions(len(point))[-1]
    h = 1e-5
    _, product = hvp(case.ours, list(point), list(v))
    up = float_gradient(case.ours, [x + h * t for x, t in zip(point, v)])
    down = float_gradient(case.ours, [x - h * t for x, t in zip(point, v)])
    for i in range(len(point)):
        numeric = (up[i] - down[i]) / (2 * h)
        assert math.isclose(product[i], numeric, rel_tol=1e-5, abs_tol=1e-7), (
            i, product, numeric)


# ---------------------------------------------------------------------------------------------
# random graphs over several inputs, from the table's operations

class TorchFunctions:
    """The table's functions, as the random graphs call them, on torch tensors."""

    def __getattr__(self, name):
        torch = _torch()
        special = {
            "softplus": torch_softplus,  # the table's case: exact over the whole line
            "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.01),
            "clamp": lambda x, low, high: torch.clamp(x, low, high),
            "total": lambda xs: sum(xs[1:], xs[0]),
            "dot": lambda ws, xs, b: sum((w * x for w, x in zip(ws, xs)), b),
            "logsumexp": lambda xs: torch.logsumexp(torch.stack(list(xs)), 0),
        }
        return special[name] if name in special else getattr(torch, name)


# (name, smooth?, maker(F, a, b, c, d)): F is autograd (Values) or TorchFunctions (tensors).
# Every maker's inputs are nodes of moderate size or leaves, and its result is squashed
# (tanh past 5) before it is used again, as test_chain_rule_steps.random_graph does.
MAKERS = [
    ("add", True, lambda F, a, b, c, d: a + b),
    ("sub", True, lambda F, a, b, c, d: a - b),
    ("mul", True, lambda F, a, b, c, d: a * b),
    ("used twice", True, lambda F, a, b, c, d: a * a),
    ("div", True, lambda F, a, b, c, d: a / (1 + b * b)),
    ("number / Value", True, lambda F, a, b, c, d: 1 / (2 + F.sin(a))),
    ("neg", True, lambda F, a, b, c, d: -a + 0.5 * b),
    ("tanh", True, lambda F, a, b, c, d: F.tanh(a * b)),
    ("sigmoid", True, lambda F, a, b, c, d: F.sigmoid(a)),
    ("exp", True, lambda F, a, b, c, d: F.exp(F.tanh(a) * 3)),
    ("softplus", True, lambda F, a, b, c, d: F.softplus(a)),
    ("sin", True, lambda F, a, b, c, d: F.sin(a)),
    ("cos", True, lambda F, a, b, c, d: F.cos(b) * a),
    ("log", True, lambda F, a, b, c, d: F.log(1 + a * a)),
    ("sqrt", True, lambda F, a, b, c, d: F.sqrt(1 + b * b)),
    ("x ** 3", True, lambda F, a, b, c, d: a ** 3),
    ("x ** -1.5", True, lambda F, a, b, c, d: (1 + a * a) ** -1.5),
    ("Value ** Value", True, lambda F, a, b, c, d: (1 + a * a) ** F.tanh(b)),
    ("2 ** Value", True, lambda F, a, b, c, d: 2.0 ** F.tanh(a)),
    ("expm1", True, lambda F, a, b, c, d: F.expm1(F.tanh(a))),
    ("log1p", True, lambda F, a, b, c, d: F.log1p(a * a)),
    ("log2", True, lambda F, a, b, c, d: F.log2(2 + b * b)),
    ("log10", True, lambda F, a, b, c, d: F.log10(1 + a * a) * b),
    ("tan", True, lambda F, a, b, c, d: F.tan(F.tanh(a))),
    ("asin", True, lambda F, a, b, c, d: F.asin(0.9 * F.tanh(a))),
    ("acos", True, lambda F, a, b, c, d: F.acos(0.9 * F.tanh(b)) * a),
    ("atan", True, lambda F, a, b, c, d: F.atan(a * b)),
    ("sinh", True, lambda F, a, b, c, d: F.sinh(F.tanh(a) * 2)),
    ("cosh", True, lambda F, a, b, c, d: F.cosh(F.tanh(a)) + b),
    ("asinh", True, lambda F, a, b, c, d: F.asinh(a)),
    ("acosh", True, lambda F, a, b, c, d: F.acosh(1.5 + a * a)),
    ("atanh", True, lambda F, a, b, c, d: F.atanh(0.9 * F.tanh(a))),
    ("dot", True, lambda F, a, b, c, d: F.dot([a, b, a], [c, d, b], b)),
    ("total", True, lambda F, a, b, c, d: F.total([a, b, c, d])),
    ("logsumexp", True, lambda F, a, b, c, d: F.logsumexp([a, b, b, c])),
    ("relu", False, lambda F, a, b, c, d: F.relu(a) + b),
    ("abs", False, lambda F, a, b, c, d: abs(a) * b),
    ("leaky_relu", False, lambda F, a, b, c, d: F.leaky_relu(a) * c),
    ("clamp", False, lambda F, a, b, c, d: F.clamp(a, -1.0, 2.0) + d),
]
SMOOTH_MAKERS = [i for i, (_, smooth, _) in enumerate(MAKERS) if smooth]
SQUASH_AT = 5.0


def test_the_random_graphs_use_every_operation_of_the_table():
    leaves = [Value(0.3), Value(-0.7), Value(1.1), Value(0.2)]
    keys = set()
    for _, _, maker in MAKERS:
        out = maker(autograd, *leaves)
        keys |= {node.rule.key for node in autograd.topological_order(out) if node.rule}
    assert set(autograd.ops.TABLE) - keys == set()


def run_program(program, xs, F, squashes=None):
    """The program's nodes from the inputs xs: each step (maker, i, j, k, l) applies a maker
    to earlier nodes, then squashes the result with tanh past SQUASH_AT. The squashes are
    decided on our numbers (and then given, for torch, so that both take the same branch).
    Returns (the nodes, the squash decisions, the closest approach to the squash's edge)."""
    nodes = list(xs)
    decided = []
    margin = math.inf
    for position, (m, *picks) in enumerate(program):
        a, b, c, d = (nodes[p % len(nodes)] for p in picks)
        y = MAKERS[m][2](F, a, b, c, d)
        if squashes is None:
            size = abs(y.data)
            margin = min(margin, abs(size - SQUASH_AT))
            squash = size > SQUASH_AT
        else:
            squash = squashes[position]
        decided.append(squash)
        nodes.append(F.tanh(y) if squash else y)
    return nodes, decided, margin


def scalar_output(F, nodes):
    """One output using several nodes, the last twice: total(last three) * last."""
    return F.total(nodes[-3:]) * nodes[-1]


class Graph:
    """A random program over n inputs at a point: our function, torch's, and its outputs."""

    def __init__(self, program, point):
        self.program, self.point = program, list(point)
        nodes, self.squashes, self.margin = run_program(program, [Value(x) for x in point],
                                                        autograd)
        self.value = scalar_output(autograd, nodes).data

    def __repr__(self):
        names = [MAKERS[m][0] for m, *_ in self.program]
        return f"Graph(program={self.program!r}, point={self.point!r}) # {names}"

    def ours(self, *xs):
        nodes, _, _ = run_program(self.program, xs, autograd, self.squashes)
        return scalar_output(autograd, nodes)

    def ours_several(self, *xs):
        nodes, _, _ = run_program(self.program, xs, autograd, self.squashes)
        return [nodes[-1], nodes[-2] * nodes[0], nodes[-3]]

    def theirs(self, *xs):
        F = TorchFunctions()
        nodes, _, _ = run_program(self.program, xs, F, self.squashes)
        return scalar_output(F, nodes)

    def theirs_several(self, *xs):
        nodes, _, _ = run_program(self.program, xs, TorchFunctions(), self.squashes)
        return (nodes[-1], nodes[-2] * nodes[0], nodes[-3])

    def floats(self, *xs):
        nodes, _, _ = run_program(self.program, [Value(x) for x in xs], autograd, self.squashes)
        return scalar_output(autograd, nodes).data


EDGES = [0.0, -0.0, 1.0, -1.0, -2.0, 1e-8, 30.0, -30.0, 1e3, -1e3, 1e8]


def valid(graph):
    """Whether the graph is one to test: finite, and its first derivatives exist (no overflow
    or infinite slope, which are not what these tests are about)."""
    try:
        xs = [Value(x) for x in graph.point]
        grad(graph.ours(*xs), xs, create_graph=True)
    except ArithmeticError:
        return False
    return math.isfinite(graph.value)


@st.composite
def graphs(draw, makers=range(len(MAKERS)), edges=True):
    n = draw(st.integers(2, 4))
    moderate = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    leaf = st.one_of(moderate, st.sampled_from(EDGES)) if edges else moderate
    point = draw(st.lists(leaf, min_size=n, max_size=n))
    step = st.tuples(st.sampled_from(list(makers)), *[st.integers(0, 60)] * 4)
    program = draw(st.lists(step, min_size=3, max_size=16))
    try:
        graph = Graph(program, point)
    except ArithmeticError:
        graph = None
    assume(graph is not None and valid(graph))
    return graph


def seeded_graph(seed, makers=range(len(MAKERS)), edges=True):
    """A longer random graph (10 to 25 operations) from a seed, as random_graph builds one;
    with edges, about a third of the inputs are edge points."""
    rng = random.Random(seed)
    while True:
        n = rng.randint(2, 4)
        point = [rng.choice(EDGES) if edges and rng.random() < 0.35 else rng.uniform(-2, 2)
                 for _ in range(n)]
        program = [(rng.choice(list(makers)), *(rng.randrange(60) for _ in range(4)))
                   for _ in range(rng.randint(10, 25))]
        try:
            graph = Graph(program, point)
        except ArithmeticError:
            continue
        if valid(graph):
            return graph, [rng.uniform(-3, 3) for _ in range(n)], [rng.uniform(-3, 3)
                                                                    for _ in range(n)]


SEEDS = range(30)


def test_the_seeded_graphs_use_every_maker_and_edge_points():
    used, edges = set(), 0
    for seed in SEEDS:
        graph, _, _ = seeded_graph(seed)
        used |= {m for m, *_ in graph.program}
        edges += sum(x in EDGES for x in graph.point)
    assert used == set(range(len(MAKERS)))
    assert edges >= 15


def tangent_strategy(n):
    return st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=n, max_size=n)


def near(ours, theirs, scale, what):
    """Agreement to 1e-12 relative, with a small absolute floor near 0: 1e-13 of the size of
    the terms summed (cancellation), and at least 1e-13."""
    assert math.isfinite(ours) and close(ours, theirs, REL, 1e-13 * max(scale, 1.0)), (
        f"{what}: {ours!r} vs {theirs!r} (terms of size {scale:.3g})")


def quadratic_size(matrix, u, v):
    return sum(abs(u[i] * matrix[i][j] * v[j]) for i in range(len(u)) for j in range(len(v)))


def check_against_torch(graph, u, v):
    torch = _torch()
    n = len(graph.point)
    xs = [Value(x) for x in graph.point]
    gradient = [g.data for g in grad(graph.ours(*xs), xs)]
    matrix = _hessian(graph.ours, graph.point)

    value, tangent = jvp(graph.ours, graph.point, v)
    t_value, t_tangent = torch_jvp(graph.theirs, graph.point, v)
    near(value.data, t_value, abs(t_value), "value")
    near(tangent.data, t_tangent, scale_of(gradient, v), "jvp vs torch")

    h_value, product = hvp(graph.ours, graph.point, v)
    _, t_product = torch_hvp(graph.theirs, graph.point, v)
    assert h_value == value.data
    for i in range(n):
        near(product[i], t_product[i], scale_of(matrix[i], v), f"hvp[{i}] vs torch")

    rows = torch.autograd.functional.hessian(graph.theirs, tensors(graph.point))
    t_matrix = [[rows[i][j].item() for j in range(n)] for i in range(n)]
    near(second_directional(graph.ours, graph.point, u, v),
         dotted([dotted(row, v) for row in t_matrix], u), quadratic_size(matrix, u, v),
         "forward over forward vs torch's uᵀHv")

    theirs = torch_jacobian(graph.theirs_several, graph.point)
    forward = jacobian(graph.ours_several, graph.point, mode="forward")
    reverse = jacobian(graph.ours_several, graph.point, mode="reverse")
    assert len(forward) == len(reverse) == 3 and all(len(r) == n for r in forward + reverse)
    size = max([1.0] + [abs(x) for row in theirs for x in row])
    for i in range(3):
        for j in range(n):
            near(forward[i][j], theirs[i][j], size, f"forward J[{i}][{j}]")
            near(reverse[i][j], theirs[i][j], size, f"reverse J[{i}][{j}]")


def check_against_reverse_mode(graph, u, v):
    n = len(graph.point)
    xs = [Value(x) for x in graph.point]
    gradient = [g.data for g in grad(graph.ours(*xs), xs)]
    for j in range(n):
        axis = [float(i == j) for i in range(n)]
        _, tangent = jvp(graph.ours, graph.point, axis)
        near(tangent.data, gradient[j], abs(gradient[j]), f"jvp along e_{j} vs grad")
    _, tangent = jvp(graph.ours, graph.point, v)
    near(tangent.data, dotted(gradient, v), scale_of(gradient, v), "jvp vs grad·v")
    # the recorded pass gives the same numbers as the float one
    _, recorded = jvp(graph.ours, graph.point, v, create_graph=True)
    near(recorded.data, tangent.data, scale_of(gradient, v), "create_graph")

    matrix = _hessian(graph.ours, graph.point)
    _, product = hvp(graph.ours, graph.point, v)
    for i in range(n):
        near(product[i], dotted(matrix[i], v), scale_of(matrix[i], v), f"hvp[{i}] vs H·v")

    forward = jacobian(graph.ours_several, graph.point, mode="forward")
    reverse = jacobian(graph.ours_several, graph.point, mode="reverse")
    for row_f, row_r in zip(forward, reverse):
        for a, b in zip(row_f, row_r):
            near(a, b, max(1.0, abs(b)), "forward vs reverse Jacobian")

    # higher order: forward over forward is uᵀHv, reverse over forward is H·v
    near(second_directional(graph.ours, graph.point, u, v),
         dotted([dotted(row, v) for row in matrix], u), quadratic_size(matrix, u, v), "uᵀHv")
    _, tangent = jvp(graph.ours, xs, v, create_graph=True)
    for i, g in enumerate(grad(tangent, xs)):
        near(g.data, product[i], scale_of(matrix[i], v), f"reverse over forward [{i}]")


def check_against_differences(graph, u, v):
    n = len(graph.point)
    value, tangent = jvp(graph.ours, graph.point, v)
    assert value.data == graph.value
    scale = 1 + abs(graph.value)
    numeric = central_along(graph.floats, graph.point, v)
    assert math.isclose(tangent.data, numeric, rel_tol=1e-5, abs_tol=1e-6 * scale), (
        tangent.data, numeric)

    h = 1e-5
    _, product = hvp(graph.ours, graph.point, v)
    up = float_gradient(graph.ours, [x + h * t for x, t in zip(graph.point, v)])
    down = float_gradient(graph.ours, [x - h * t for x, t in zip(graph.point, v)])
    for i in range(n):
        numeric = (up[i] - down[i]) / (2 * h)
        assert math.isclose(product[i], numeric, rel_tol=1e-4, abs_tol=1e-5 * scale), (
            i, product, numeric)

    # forward over forward against differences of the first directional derivative
    up = jvp(graph.ours, [x + h * t for x, t in zip(graph.point, u)], v)[1].data
    down = jvp(graph.ours, [x - h * t for x, t in zip(graph.point, u)], v)[1].data
    assert math.isclose(second_directional(graph.ours, graph.point, u, v), (up - down) / (2 * h),
                        rel_tol=1e-4, abs_tol=1e-5 * scale)


@needs_torch
@PROPERTY
@given(graphs(), st.data())
def test_random_graphs_match_torch(graph, data):
    n = len(graph.point)
    check_against_torch(graph, data.draw(tangent_strategy(n)), data.draw(tangent_strategy(n)))


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_seeded_random_graphs_match_torch(seed):
    check_against_torch(*seeded_graph(seed))


@PROPERTY
@given(graphs(), st.data())
def test_random_graphs_forward_mode_equals_reverse_mode(graph, data):
    n = len(graph.point)
    check_against_reverse_mode(graph, data.draw(tangent_strategy(n)),
                               data.draw(tangent_strategy(n)))


@pytest.mark.parametrize("seed", SEEDS)
def test_seeded_random_graphs_forward_mode_equals_reverse_mode(seed):
    check_against_reverse_mode(*seeded_graph(seed))


@PROPERTY
@given(graphs(makers=SMOOTH_MAKERS, edges=False), st.data())
def test_random_graphs_match_central_differences(graph, data):
    assume(graph.margin > 1e-3)  # no squash decided within a step of the edge
    n = len(graph.point)
    u, v = data.draw(tangent_strategy(n)), data.draw(tangent_strategy(n))
    assume(any(abs(t) > 0.1 for t in u) and any(abs(t) > 0.1 for t in v))
    check_against_differences(graph, u, v)


@pytest.mark.parametrize("seed", SEEDS)
def test_seeded_random_graphs_match_central_differences(seed):
    graph, u, v = seeded_graph(1000 + seed, makers=SMOOTH_MAKERS, edges=False)
    if graph.margin > 1e-3:
        check_against_differences(graph, u, v)


# ---------------------------------------------------------------------------------------------
# higher order: forward over forward, reverse over forward

def second_directional(f, point, u, v):
    """uᵀ H v, forward over forward: the jvp along u of the (recorded) jvp along v."""
    def inner(*xs):
        return jvp(f, list(xs), list(v), create_graph=True)[1]

    return jvp(inner, list(point), list(u))[1].data


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_forward_over_forward_is_the_second_directional_derivative(case, point):
    k = len(point)
    u, v = directions(k)[-1], directions(k)[0]
    matrix = _hessian(case.ours, point)
    expected = dotted([dotted(row, v) for row in matrix], u)
    ours = second_directional(case.ours, point, u, v)
    size = sum(abs(u[i] * matrix[i][j] * v[j]) for i in range(k) for j in range(k))
    assert close(ours, expected, REL, 1e-15 * size + 1e-300), (ours, expected, matrix)
    # and against finite differences of the first directional derivative
    h = 1e-5
    up = jvp(case.ours, [x + h * t for x, t in zip(point, u)], list(v))[1].data
    down = jvp(case.ours, [x - h * t for x, t in zip(point, u)], list(v))[1].data
    assert math.isclose(ours, (up - down) / (2 * h), rel_tol=1e-5, abs_tol=1e-7)


@needs_torch
@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_forward_over_forward_matches_torchs_hessian(case, point):
    torch = _torch()
    k = len(point)
    u, v = directions(k)[-1], directions(k)[0]
    rows = torch.autograd.functional.hessian(case.theirs, tensors(point))
    matrix = [[rows[i][j].item() for j in range(k)] for i in range(k)]
    expected = dotted([dotted(row, v) for row in matrix], u)
    size = sum(abs(u[i] * matrix[i][j] * v[j]) for i in range(k) for j in range(k))
    ours = second_directional(case.ours, point, u, v)
    assert close(ours, expected, REL, 1e-15 * size + 1e-300), (ours, expected)


@pytest.mark.parametrize("case, point", SMOOTH, ids=SMOOTH_IDS)
def test_reverse_over_forward_is_the_hessian_vector_product(case, point):
    v = directions(len(point))[-1]
    xs = [Value(x) for x in point]
    _, tangent = jvp(case.ours, xs, list(v), create_graph=True)
    assert isinstance(tangent, Value)
    over = grad(tangent, xs)
    _, product = hvp(case.ours, list(point), list(v))
    matrix = _hessian(case.ours, point)
    for i, g in enumerate(over):
        assert close(g.data, product[i], REL, 1e-15 * scale_of(matrix[i], v) + 1e-300), (
            i, [g.data for g in over], product)


def test_third_order_forward_over_forward_over_forward():
    from test_finite_differences import nested, third_derivatives

    point, u = [0.7, -0.4], [0.3, -1.2]
    third = third_derivatives(nested, point)

    def second(*xs):
        def first(*ys):
            return jvp(nested, list(ys), u, create_graph=True)[1]
        return jvp(first, list(xs), u, create_graph=True)[1]

    ours = jvp(second, point, u)[1].data
    expected = sum(third[i][j][k] * u[i] * u[j] * u[k]
                   for i in range(2) for j in range(2) for k in range(2))
    assert ours == pytest.approx(expected, rel=1e-12)


def test_forward_over_forward_of_a_cubic_by_hand():
    # f = x³y: ∂²f/∂x² = 6xy, so along u = v = e_x at (2, 5): 60
    f = lambda x, y: x ** 3 * y  # noqa: E731
    assert second_directional(f, [2.0, 5.0], [1.0, 0.0], [1.0, 0.0]) == pytest.approx(60.0)
    # ∂²f/∂x∂y = 3x² = 12
    assert second_directional(f, [2.0, 5.0], [0.0, 1.0], [1.0, 0.0]) == pytest.approx(12.0)


# ---------------------------------------------------------------------------------------------
# custom operations (autograd.define), the many-input ones, a network's loss

softsign = define("softsign", lambda x: x / (1 + abs(x)),
                  derivative=lambda x, out: 1 / (1 + abs(x)) ** 2)
logcosh = define("logcosh", lambda x: x + autograd.log1p(autograd.exp(-2 * x)) - math.log(2.0),
                 derivative=lambda x, out: 1 - 2 / (1 + autograd.exp(2 * x)))
hypot = define("hypot", lambda a, b: (a * a + b * b) ** 0.5,
               partials=lambda a, b, out: (a / out, b / out))
fma = define("fma", lambda a, b, c: a * b + c, partials=lambda a, b, c, out: (b, a, 1.0))

CUSTOM = [
    ("softsign", lambda x: softsign(x) * x, lambda x: x / (1 + x.abs()) * x, [(0.7,), (-2.0,)]),
    ("logcosh", lambda x: logcosh(x), lambda x: x.cosh().log(), [(0.3,), (-1.4,)]),
    ("hypot", lambda a, b: hypot(a, b) * a, lambda a, b: (a * a + b * b).sqrt() * a,
     [(3.0, -4.0), (0.5, 1.2)]),
    ("fma", lambda a, b, c: fma(a, b, c) * fma(c, a, b),
     lambda a, b, c: (a * b + c) * (c * a + b), [(1.5, -2.0, 0.5), (0.3, 0.2, -1.1)]),
    ("dot of 6", lambda *z: dot(list(z[:6]), list(z[6:12]), z[12]) * z[0],
     lambda *z: (sum((w * x for w, x in zip(z[:6], z[6:12])), z[12])) * z[0],
     [tuple(0.1 * i - 0.55 for i in range(13))]),
    ("total of 7", lambda *z: total(list(z)) ** 2, lambda *z: sum(z[1:], z[0]) ** 2,
     [(0.5, -1.0, 2.0, 0.25, 1e3, -1e3, 0.0)]),
    ("logsumexp of 6", lambda *z: logsumexp(list(z)),
     lambda *z: _torch().logsumexp(_torch().stack(list(z)), 0),
     [(0.5, -1.0, 2.0, 0.25, -3.0, 1.5), (1000.0, 999.0, -1000.0, 0.0, 998.5, 1000.0)]),
]
CUSTOM_POINTS = [(name, ours, theirs, point) for name, ours, theirs, points in CUSTOM
                 for point in points]
CUSTOM_IDS = [f"{name}{point}" for name, _, _, point in CUSTOM_POINTS]


def mixed(k):
    return [math.sin(1.7 * i + 0.4) * 2 for i in range(k)]


@pytest.mark.parametrize("name, ours, theirs, point", CUSTOM_POINTS, ids=CUSTOM_IDS)
def test_custom_and_many_input_operations_against_reverse_mode_and_differences(
        name, ours, theirs, point):
    k = len(point)
    v = mixed(k)
    gradient = float_gradient(ours, point)
    value, tangent = jvp(ours, list(point), v)
    assert value.data == ours(*[Value(x) for x in point]).data
    assert close(tangent.data, dotted(gradient, v), REL, 1e-15 * scale_of(gradient, v))
    for j in range(k):
        axis = [float(i == j) for i in range(k)]
        assert close(jvp(ours, list(point), axis)[1].data, gradient[j], REL, 1e-300)
    matrix = _hessian(ours, point)
    _, product = hvp(ours, list(point), v)
    for i in range(k):
        assert close(product[i], dotted(matrix[i], v), REL, 1e-15 * scale_of(matrix[i], v))
    if max(abs(x) for x in point) < 10:  # finite differences where steps are meaningful
        numeric = central_along(lambda *z: ours(*z), point, v)
        assert math.isclose(tangent.data, numeric, rel_tol=1e-6, abs_tol=1e-8)
    # forward over forward and reverse over forward
    u = [1.0] + [0.0] * (k - 1)
    size = sum(abs(u[i] * matrix[i][j] * v[j]) for i in range(k) for j in range(k))
    expected = dotted([dotted(row, v) for row in matrix], u)
    assert close(second_directional(ours, point, u, v), expected, REL, 1e-15 * size + 1e-300)
    xs = [Value(x) for x in point]
    over = grad(jvp(ours, xs, v, create_graph=True)[1], xs)
    for i in range(k):
        assert close(over[i].data, product[i], REL, 1e-15 * scale_of(matrix[i], v) + 1e-300)


@needs_torch
@pytest.mark.parametrize("name, ours, theirs, point", CUSTOM_POINTS, ids=CUSTOM_IDS)
def test_custom_and_many_input_operations_match_torch(name, ours, theirs, point):
    k = len(point)
    v = mixed(k)
    gradient = float_gradient(ours, point)
    matrix = _hessian(ours, point)
    value, tangent = jvp(ours, list(point), v)
    t_value, t_tangent = torch_jvp(theirs, point, v)
    assert close(value.data, t_value, REL, 1e-300)
    assert close(tangent.data, t_tangent, REL, 1e-15 * scale_of(gradient, v) + 1e-300)
    _, product = hvp(ours, list(point), v)
    _, t_product = torch_hvp(theirs, point, v)
    for i in range(k):
        assert close(product[i], t_product[i], REL, 1e-15 * scale_of(matrix[i], v) + 1e-300)
    t_jacobian = torch_jacobian(theirs, point)
    for mode in ("forward", "reverse"):
        for a, b in zip(jacobian(ours, list(point), mode=mode)[0], t_jacobian[0]):
            assert close(a, b, REL, 1e-300), (mode, a, b)


def network_loss(activation, seed=0):
    """(the parameters, f(*parameters) -> the MLP's mean loss over a small batch)."""
    model = nn.MLP(3, [4, 4, 2], activation=activation, seed=seed)
    rng = random.Random(seed)
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(5)]
    y = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(5)]
    loss = nn.losses.LOSSES["mse"]
    parameters = model.parameters()

    def f(*ps):
        assert list(ps) == parameters and all(p is q for p, q in zip(ps, parameters))
        return loss([model(x) for x in X], y)

    return parameters, f


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_networks_loss_jvp_is_grad_dot_v_and_hvp_is_hessian_times_v(activation):
    parameters, f = network_loss(activation)
    n = len(parameters)
    assert n == 3 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2
    v = mixed(n)
    loss = f(*parameters)
    gradient = [g.data for g in grad(loss, parameters)]
    value, tangent = jvp(f, parameters, v)
    assert value.data == loss.data
    assert close(tangent.data, dotted(gradient, v), REL, 1e-15 * scale_of(gradient, v))
    assert all(p.grad == 0.0 for p in parameters)  # jvp leaves .grad alone
    for j in (0, 7, n - 1):
        axis = [float(i == j) for i in range(n)]
        assert close(jvp(f, parameters, axis)[1].data, gradient[j], REL, 1e-15)
    matrix = hessian(f(*parameters), parameters)
    _, product = hvp(f, parameters, v)
    for i in range(n):
        assert close(product[i], dotted(matrix[i], v), REL,
                     1e-14 * scale_of(matrix[i], v) + 1e-300), i
    # finite differences of the loss along v, moving the parameters' data
    h, saved = 1e-6, [p.data for p in parameters]

    def loss_at(sign):
        for p, x, t in zip(parameters, saved, v):
            p.data = x + sign * h * t
        try:
            return f(*parameters).data
        finally:
            for p, x in zip(parameters, saved):
                p.data = x

    assert math.isclose(tangent.data, (loss_at(1) - loss_at(-1)) / (2 * h), rel_tol=1e-6,
                        abs_tol=1e-9)


@needs_torch
def test_a_networks_loss_matches_torch():
    torch = _torch()
    parameters, f = network_loss("tanh", seed=3)
    rng = random.Random(3)  # the batch network_loss draws
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(5)]
    y = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(5)]
    sizes = [(3, 4), (4, 4), (4, 2)]

    def theirs(*ps):
        # the same network in torch: nn.MLP's parameters are, layer by layer, each neuron's
        # weights and then its bias; mse is the mean over samples of the mean over outputs
        weights, biases, at = [], [], 0
        for nin, nout in sizes:
            rows = []
            for _ in range(nout):
                rows.append(torch.stack(ps[at:at + nin]))
                biases.append(ps[at + nin])
                at += nin + 1
            weights.append(torch.stack(rows))
        assert at == len(ps)
        h = torch.tensor(X, dtype=torch.float64)
        start = 0
        for layer, (nin, nout) in enumerate(sizes):
            h = h @ weights[layer].T + torch.stack(biases[start:start + nout])
            start += nout
            if layer < len(sizes) - 1:
                h = h.tanh()
        target = torch.tensor(y, dtype=torch.float64)
        return ((h - target) ** 2).mean(1).mean()

    point = [p.data for p in parameters]
    n = len(parameters)
    v = mixed(n)
    value, tangent = jvp(f, parameters, v)
    t_value, t_tangent = torch_jvp(theirs, point, v)
    assert close(value.data, t_value, REL, 1e-15)
    assert close(tangent.data, t_tangent, REL, 1e-15)
    _, product = hvp(f, parameters, v)
    _, t_product = torch_hvp(theirs, point, v)
    for a, b in zip(product, t_product):
        assert close(a, b, 1e-11, 1e-14), (a, b)


def test_jacobian_of_a_network_forward_equals_reverse_and_auto_takes_fewer_passes(monkeypatch):
    model = nn.MLP(3, [5, 4], activation="tanh", seed=1)
    x = [0.3, -0.8, 0.5]
    f = lambda *inputs: model(list(inputs))  # noqa: E731  three inputs, four outputs
    forward = jacobian(f, x, mode="forward")
    reverse = jacobian(f, x, mode="reverse")
    assert len(forward) == 4 and all(len(row) == 3 for row in forward)
    for row_f, row_r in zip(forward, reverse):
        for a, b in zip(row_f, row_r):
            assert close(a, b, REL, 1e-15)
    passes = {"forward": 0, "reverse": 0}
    push, reverse_grad = forward_module.push_tangents, forward_module.grad

    def counted_push(*args, **kwargs):
        passes["forward"] += 1
        return push(*args, **kwargs)

    def counted_grad(*args, **kwargs):
        passes["reverse"] += 1
        return reverse_grad(*args, **kwargs)

    monkeypatch.setattr(forward_module, "push_tangents", counted_push)
    monkeypatch.setattr(forward_module, "grad", counted_grad)
    assert jacobian(f, x) == forward  # 3 inputs, 4 outputs: forward, 3 passes
    assert passes == {"forward": 3, "reverse": 0}
    passes.update(forward=0, reverse=0)
    g = lambda *inputs: model(list(inputs))[:2]  # noqa: E731  3 inputs, 2 outputs
    assert jacobian(g, x) == jacobian(g, x, mode="reverse")
    assert passes == {"forward": 0, "reverse": 4}  # 2 + 2: auto took reverse, then reverse
    passes.update(forward=0, reverse=0)
    jacobian(lambda a, b: [a * b, a + b], [1.0, 2.0])  # a tie: forward
    assert passes == {"forward": 2, "reverse": 0}


# ---------------------------------------------------------------------------------------------
# the answer's form

def test_several_outputs_give_lists_and_an_output_not_depending_on_the_inputs_gets_zero():
    c = Value(4.0)
    outputs, tangents = jvp(lambda x, y: (x * y, c * 2, x), [2.0, 3.0], [1.0, -1.0])
    assert isinstance(outputs, list) and isinstance(tangents, list)
    assert [o.data for o in outputs] == [6.0, 8.0, 2.0]
    assert [t.data for t in tangents] == [3.0 - 2.0, 0.0, 1.0]
    assert all(isinstance(t, Value) and not t.parents for t in tangents)
    value, tangent = jvp(lambda x: x, [5.0], [2.5])  # the identity: the tangent itself
    assert value.data == 5.0 and tangent.data == 2.5
    value, product = hvp(lambda x, y: x + 3 * y, [1.0, 2.0], [1.0, 1.0])  # linear: H = 0
    assert value == 7.0 and product == [0.0, 0.0]
    assert jacobian(lambda x, y: [c, x], [1.0, 2.0], mode="forward") == [[0.0, 0.0],
                                                                         [1.0, 0.0]]
    assert jacobian(lambda x, y: [c, x], [1.0, 2.0], mode="reverse") == [[0.0, 0.0],
                                                                         [1.0, 0.0]]


def test_value_inputs_keep_their_graph_upstream_which_the_tangent_does_not_enter():
    w = Value(2.0)
    y = w * 3  # y is the variable; w lies upstream of it
    value, tangent = jvp(lambda y: y * y, [y], [1.0])
    assert value.data == 36.0 and tangent.data == 12.0
    # the output is still a graph down to w: reverse mode through it sees w
    assert grad(value, w).data == 2 * 6.0 * 3
    # create_graph: the tangent is a graph over y (2·y·t), differentiable again
    _, recorded = jvp(lambda y: y * y, [y], [1.0], create_graph=True)
    assert recorded.data == 12.0 and grad(recorded, y).data == 2.0
    assert grad(recorded, w).data == 6.0


def test_jvp_leaves_every_grad_alone_and_numbers_of_every_kind_are_accepted():
    import numpy as np

    xs = [Value(0.5), Value(-1.5)]
    xs[0].grad = 7.0
    jvp(lambda a, b: (a * b).tanh() + a.exp(), xs, [np.float64(1.0), 2])
    hvp(lambda a, b: (a * b).tanh() + a.exp(), xs, [np.float32(1.0), -1])
    assert [x.grad for x in xs] == [7.0, 0.0]
    value, tangent = jvp(lambda a: a * a, [np.float64(3.0)], [np.int64(2)])
    assert value.data == 9.0 and tangent.data == 12.0
    value, tangent = jvp(lambda a: a * a, (3,), (1.0,))  # ints and tuples
    assert value.data == 9.0 and tangent.data == 6.0


# ---------------------------------------------------------------------------------------------
# bad inputs get clear errors

def test_mismatched_counts_are_value_errors_naming_the_counts():
    with pytest.raises(ValueError, match=r"jvp: 2 tangents for 3 inputs"):
        jvp(lambda a, b, c: a + b + c, [1.0, 2.0, 3.0], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"jvp: 3 tangents for 1 inputs"):
        jvp(lambda a: a, [1.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"hvp: 1 vector for 2 inputs"):
        hvp(lambda a, b: a * b, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"jvp: 0 tangents for 1 inputs"):
        jvp(lambda a: a, [1.0], [])
    for who in (jvp, hvp, jacobian):
        args = ([], []) if who is not jacobian else ([],)
        with pytest.raises(ValueError, match="no inputs"):
            who(lambda: Value(1.0), *args)


@pytest.mark.parametrize("bad", ["1", None, Value(1.0), True, [1.0], complex(1, 0)])
def test_tangents_that_are_not_numbers_are_type_errors(bad):
    with pytest.raises(TypeError, match=r"jvp: tangents\[1\] is .*tangents are numbers"):
        jvp(lambda a, b: a * b, [1.0, 2.0], [1.0, bad])
    with pytest.raises(TypeError, match=r"hvp: vector\[0\] is"):
        hvp(lambda a, b: a * b, [1.0, 2.0], [bad, 1.0])


@pytest.mark.parametrize("bad", [1.0, Value(1.0), "ab", None])
def test_tangents_not_given_as_a_list_are_type_errors(bad):
    with pytest.raises(TypeError, match="tangents is a list of numbers"):
        jvp(lambda a: a, [1.0], bad)
    with pytest.raises(TypeError, match="vector is a list of numbers"):
        hvp(lambda a: a * a, [1.0], bad)


def test_a_tangent_beyond_the_floats_is_refused():
    with pytest.raises(OverflowError, match="beyond the largest float"):
        jvp(lambda a: a, [1.0], [10 ** 400])


@pytest.mark.parametrize("bad", ["x", None, True, [1.0], complex(1, 2)])
def test_inputs_that_are_not_numbers_or_values_are_type_errors(bad):
    for who, args in ((jvp, ([1.0, 1.0],)), (hvp, ([1.0, 1.0],)), (jacobian, ())):
        with pytest.raises(TypeError, match=rf"{who.__name__}: input 1 is "
                                            rf"{type(bad).__name__}; inputs are numbers or "
                                            rf"Values"):
            who(lambda a, b: a * b, [2.0, bad], *args)


@pytest.mark.parametrize("bad", [Value(2.0), 2.0, None])
def test_inputs_not_given_as_a_list_are_type_errors(bad):
    for who, args in ((jvp, ([1.0],)), (hvp, ([1.0],)), (jacobian, ())):
        with pytest.raises(TypeError, match=rf"{who.__name__}\(f, inputs, \.\.\.\): inputs "
                                            r"is a list of numbers or Values"):
            who(lambda a: a * a, bad, *args)


@pytest.mark.parametrize("result", [2.0, None, [Value(1.0), 2.0], [], "Value", (None,)])
def test_f_returning_what_is_not_a_value_is_a_type_error(result):
    with pytest.raises(TypeError, match="jvp: f returns a Value or a list of Values, got"):
        jvp(lambda a: result, [1.0], [1.0])
    with pytest.raises(TypeError, match="jacobian: f returns a Value or a list of Values"):
        jacobian(lambda a: result, [1.0])


def test_hvp_needs_f_to_return_one_value():
    with pytest.raises(TypeError, match="hvp: f returns one Value, got list"):
        hvp(lambda a: [a * a, a], [1.0], [1.0])
    with pytest.raises(TypeError, match="hvp: f returns one Value, got float"):
        hvp(lambda a: 3.0, [1.0], [1.0])


@pytest.mark.parametrize("who", ["jvp", "hvp", "jacobian forward", "jacobian reverse"])
def test_the_same_value_given_twice_or_an_input_computed_from_another_is_refused(who):
    def call(inputs):
        f = lambda a, b: a * b  # noqa: E731
        if who == "jvp":
            return jvp(f, inputs, [1.0, 0.0])
        if who == "hvp":
            return hvp(f, inputs, [1.0, 0.0])  # gave [0.0, 0.0] silently before the check
        return jacobian(f, inputs, mode=who.split()[1])

    name = who.split()[0]
    x = Value(0.3)
    with pytest.raises(ValueError, match=rf"{name}: the same Value is given as two inputs"):
        call([x, x])
    y = (x * 2).exp()  # computed from x: its tangent would be its own, its gradient not
    with pytest.raises(ValueError, match=rf"{name}: input 1 is computed from input 0; inputs "
                                         r"are independent variables"):
        call([x, y])
    with pytest.raises(ValueError, match=rf"{name}: input 0 is computed from input 1"):
        call([y, x])
    assert call([x, y.detach()]) is not None  # its number, or .detach(), is a fine input


@pytest.mark.parametrize("mode", ["Forward", "fwd", "", None, "both"])
def test_jacobian_with_an_unknown_mode_is_a_value_error(mode):
    with pytest.raises(ValueError, match=r"jacobian: mode is 'auto', 'forward' or 'reverse', "
                                         r"got " + repr(mode).replace("(", r"\(")):
        jacobian(lambda a: a * a, [1.0], mode=mode)


# ---------------------------------------------------------------------------------------------
# micrograd-style closure nodes, and no_grad

def test_closure_nodes_work_in_jvp_without_create_graph():
    point, v = [0.4, -0.9], [1.5, -0.5]

    def by_hand(a, b):
        return hand_built_tanh(a * b) * a + hand_built_tanh(b * b)

    def by_table(a, b):
        return (a * b).tanh() * a + (b * b).tanh()

    value, tangent = jvp(by_hand, point, v)
    expected_value, expected = jvp(by_table, point, v)
    assert value.data == expected_value.data
    assert tangent.data == pytest.approx(expected.data, rel=1e-12)
    xs = [Value(x) for x in point]
    gradient = [g.data for g in grad(by_hand(*xs), xs)]
    assert tangent.data == pytest.approx(dotted(gradient, v), rel=1e-12)
    assert math.isclose(tangent.data, central_along(lambda a, b: by_table(Value(a),
                                                                          Value(b)).data,
                                                    point, v), rel_tol=1e-6)
    for row_hand, row_table in zip(jacobian(by_hand, point, mode="forward"),
                                   jacobian(by_table, point, mode="forward")):
        assert row_hand == pytest.approx(row_table, rel=1e-12)
    assert [x.grad for x in xs] == [0.0, 0.0]


def test_closure_nodes_are_refused_clearly_with_create_graph():
    with pytest.raises(ValueError, match=r"create_graph: the node 'tanh by hand' was built "
                                         r"micrograd's way.*autograd\.define"):
        jvp(lambda a: hand_built_tanh(a * a), [0.5], [1.0], create_graph=True)
    with pytest.raises(ValueError, match="micrograd's way"):
        hvp(lambda a: hand_built_tanh(a * a), [0.5], [1.0])
    with pytest.raises(ValueError, match="micrograd's way"):
        second_directional(lambda a: hand_built_tanh(a), [0.5], [1.0], [1.0])


def test_a_closure_writing_past_its_children_is_refused_clearly():
    x = Value(1.0)
    out = skip_node(x * 2 * 3, 10.0)
    assert grad(out, x).data == 26.0  # micrograd's number (test_micrograd_closures.py)
    with pytest.raises(ValueError, match="not one of its children"):
        jvp(lambda x: out, [x], [1.0])  # it has no local derivatives to carry a tangent by


def test_jvp_through_a_closure_writing_past_its_children_leaves_grad_alone():
    x = Value(1.0)
    a = x * 2
    out = skip_node(a * 3, 10.0)
    with pytest.raises(ValueError):
        jvp(lambda x: out, [x], [1.0])
    assert (x.grad, a.grad) == (0.0, 0.0)


def test_jvp_hvp_and_jacobian_work_inside_no_grad():
    f = lambda a, b: (a * b).sin() + a ** 3  # noqa: E731
    point, v = [0.6, -1.1], [1.0, 2.0]
    outside = jvp(f, point, v)[1].data, hvp(f, point, v)[1], jacobian(f, point)
    with no_grad():
        value, tangent = jvp(f, point, v)
        assert not is_grad_enabled()  # back off after the pass
        assert value.parents  # recorded for the pass
        assert tangent.data == outside[0]
        assert hvp(f, point, v)[1] == outside[1]
        assert not is_grad_enabled()
        assert jacobian(f, point, mode="forward") == outside[2]
        assert jacobian(f, point, mode="reverse")[0] == pytest.approx(outside[2][0], rel=1e-15)
        assert not is_grad_enabled()
        xs = [Value(x) for x in point]
        _, recorded = jvp(f, xs, v, create_graph=True)
        assert recorded.parents and recorded.data == tangent.data
    over = [g.data for g in grad(recorded, xs)]
    assert over == pytest.approx(outside[1], rel=1e-12)
    assert is_grad_enabled()


def test_jvp_raises_an_infinite_slope_by_name_as_grad_does():
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        jvp(lambda x: x.sqrt() + 1, [0.0], [1.0])


def test_an_overflowed_tangent_from_finite_data_is_refused_by_name():
    # as backward() refuses an overflowed gradient: not a silent inf
    with pytest.raises(OverflowError, match="tangent of the exp node"):
        jvp(lambda x: x.exp(), [709.0], [-2.5])
    with pytest.raises(OverflowError, match="overflowed"):
        hvp(lambda x: 1 / x, [1e-150], [1.0])
    assert math.isinf(jvp(lambda x: x * 2, [1.0], [math.inf])[1].data)  # inf given: IEEE


def test_an_infinite_tangent_given_for_a_computed_input_is_ieee_not_an_error():
    a = Value(1.0) * 2  # an input with a graph upstream
    assert math.isinf(jvp(lambda a: a * 3, [a], [math.inf])[1].data)
