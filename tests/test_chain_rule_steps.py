"""chain_rule_steps, the backward walk one product at a time: the engine's fast float walk
(Value.backward, walk.float_gradients), the recorded walk (create_graph) and the pictures must
all take exactly its steps."""
import random
import re

import pytest

from autograd import Value, dot, draw_graph, grad, logsumexp, topological_order, total
from autograd.backward import chain_rule_steps
from autograd.walk import float_gradients
from cases import CASES


def squashed(v):
    """v, or tanh(v) once it grows past 5, so that random graphs stay finite."""
    return v.tanh() if abs(v.data) > 5 else v


def random_graph(seed):
    """An output and its leaves: a random expression over four leaves with every kind of
    node — one, two and many inputs, nodes used twice (x * x), shared sub-expressions."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"x{i}") for i in range(4)]
    nodes = list(leaves)
    makers = [
        lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a * a,
        lambda a, b: a / (1 + b * b), lambda a, b: (a * b).tanh(), lambda a, b: a.sigmoid(),
        lambda a, b: a.exp(), lambda a, b: a.softplus(), lambda a, b: a.sin(),
        lambda a, b: (1 + a * a).log(), lambda a, b: (1 + b * b).sqrt(), lambda a, b: a ** 3,
        lambda a, b: 2.0 ** a, lambda a, b: a.relu() + b,
        lambda a, b: dot([a, b, a], rng.sample(nodes, 3), b),
        lambda a, b: total([a, b] + rng.sample(nodes, 2)),
        lambda a, b: logsumexp([a, b, b] + rng.sample(nodes, 1)),
    ]
    for _ in range(rng.randint(3, 30)):
        a, b = rng.choice(nodes), rng.choice(nodes)  # may be one node: used twice
        nodes.append(squashed(rng.choice(makers)(a, b)))
    return total(nodes[-4:]) * nodes[-1], leaves


def summed(steps, output, one=1.0):
    """{node: d output / d node} as the steps add it up."""
    gradients = {output: one}
    for step in steps:
        gradients[step.parent] = step.after
    return gradients


def identities(steps):
    return [(step.node, step.parent, step.position) for step in steps]


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_float_walk_takes_the_generators_steps(seed):
    out, leaves = random_graph(seed)
    engine = float_gradients(out)
    ours = summed(chain_rule_steps(out), out)
    assert ours.keys() == engine.keys()
    assert all(ours[node] == engine[node] for node in engine)  # exactly, every node
    out.backward()
    assert [x.grad for x in leaves] == [engine.get(x, 0.0) for x in leaves]


@pytest.mark.parametrize("seed", SEEDS)
def test_each_step_is_one_product_of_the_chain_rule(seed):
    out, _ = random_graph(seed)
    order = topological_order(out)
    steps = list(chain_rule_steps(out))
    assert len(steps) == sum(len(node.parents) for node in order)  # one per edge
    walked = list(dict.fromkeys(step.node for step in steps))
    assert walked == [node for node in reversed(order) if node.parents]
    seen = {out: 1.0}
    for step in steps:
        assert step.node.parents[step.position] is step.parent
        assert step.upstream == seen[step.node]  # the node's gradient is final when it is used
        assert step.contribution == step.local * step.upstream
        assert step.before == seen.get(step.parent)
        assert step.after == (step.contribution if step.before is None
                              else step.before + step.contribution)
        seen[step.parent] = step.after


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_the_recorded_walk_takes_the_same_steps_on_values(seed):
    out, leaves = random_graph(seed)
    floats = list(chain_rule_steps(out))
    recorded = list(chain_rule_steps(out, create_graph=True))
    assert identities(recorded) == identities(floats)
    for on_values, on_floats in zip(recorded, floats):
        assert isinstance(on_values.after, Value)
        assert on_values.after.data == pytest.approx(on_floats.after, rel=1e-12, abs=1e-300)
    engine = float_gradients(out)
    firsts = grad(out, leaves, create_graph=True)
    expected = [engine.get(x, 0.0) for x in leaves]
    assert [g.data for g in firsts] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_operation_walks_the_same_way_twice(case):
    """Each operation of the table, its result used twice and an input shared."""
    for point in case.smooth_points or case.points[:1]:
        xs = [Value(x) for x in point]
        y = case.ours(*xs)
        out = y * y + y * xs[0]
        engine = float_gradients(out)
        ours = summed(chain_rule_steps(out), out)
        assert all(ours[node] == engine[node] for node in engine), point


def test_a_local_derivative_of_one_records_no_product():
    a, b = Value(2.0), Value(3.0)
    first = grad(a + b, a, create_graph=True)
    assert first.data == 1.0 and not first.parents  # the seed itself, not seed * 1.0
    step = next(chain_rule_steps(a + b, create_graph=True))
    assert step.contribution is step.upstream


def test_an_infinite_slope_stops_the_walk_naming_the_operation():
    x = Value(0.0, label="x")
    out = x.sqrt() + 1
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        list(chain_rule_steps(out))
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        out.backward()


def test_the_picture_shows_where_the_walk_stops():
    x, y = Value(0.0, label="x"), Value(2.0, label="y")
    out = (x * y).sqrt() + 1  # the walk: +, then sqrt at 0 stops it before x * y
    source = draw_graph(out, derivatives=True).source
    labels = re.findall(r'label="∂ = ([^"]*)"', source)
    assert sorted(labels) == sorted(["1", "1", "undefined", "—", "—"])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_lectures_manual_walk_gives_the_engines_gradients(seed):
    # micrograd's lecture: output.grad = 1, then node._backward() from the output back
    out, _ = random_graph(seed)
    engine = float_gradients(out)
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        node._backward()
    for node, expected in engine.items():
        assert node.grad == pytest.approx(expected, rel=1e-12, abs=1e-12)


def hand_built_tanh(x):
    """tanh written micrograd's way: a node with children, an op and a closure."""
    import math
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh by hand")

    def _backward():
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_hand_built_nodes_take_part_in_every_walk(seed):
    out, leaves = random_graph(seed)
    mixed = hand_built_tanh(out * 0.1) * leaves[0] + hand_built_tanh(leaves[1] * leaves[1])
    same = (out * 0.1).tanh() * leaves[0] + (leaves[1] * leaves[1]).tanh()
    expected = grad(same, leaves)
    for g, e in zip(grad(mixed, leaves), expected):
        assert g.data == pytest.approx(e.data, rel=1e-12, abs=1e-12)
    walked = summed(chain_rule_steps(mixed), mixed)
    for leaf, g in zip(leaves, expected):
        assert walked.get(leaf, 0.0) == pytest.approx(g.data, rel=1e-12, abs=1e-12)
    assert all(leaf.grad == 0.0 for leaf in leaves)  # grad() and the steps leave .grad alone
