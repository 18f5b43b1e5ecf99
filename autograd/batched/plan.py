"""Phase 2, planning: from the recorded nodes to a plan — which numbers are per sample, the slot
where each one lives, and the groups of nodes that one numpy call evaluates together.

Slots are of two kinds. Shared ones hold one number for the whole batch: the parameters, the
constants, and what is computed from them alone (an L2 penalty). Batched ones hold one number
per sample: the sample's inputs and everything computed from them. The parameters (`wrt`)
take the first shared slots, in their order, so that a vector of them goes in as one copy; the
sample's inputs take the first batched slots (batch column i is input i).

Nodes of the same rule at the same depth do not depend on each other, so such a group is one
numpy call over (nodes × samples): a layer of 16 neurons is one call, not 16. A group's outputs
take consecutive slots, so most groups read and write their slots as slices.

A deep graph (a chain of a million links) has millions of nodes and as many groups, so what
the plan knows of them lies in numpy arrays, an entry per node or per group, never an object
per node: `plan.groups[i]` makes group i's Group when it is asked for.

Nothing here runs or writes code: these are functions from the recording to a Plan.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# a node's flags: it holds one number per sample; it is a parameter or computed from one
BATCHED, WANTED = 1, 2


@dataclass
class Layer:
    """The slots of a group that its rule's layer form evaluates (see ops.LayerForm): G neurons
    w·x + b with shared weights and bias and per-sample inputs.

    weights: (n, G) shared slots: weight i of neuron g is in slot weights[i, g].
    inputs: the batched slots they multiply: (n, G), or (n,) as an index where every neuron
        reads the same ones (`dense`: one matrix product).
    bias: the G shared slots of the biases, as an index.
    wanted: does a gradient flow to the (weights, inputs, bias)?
    """
    weights: np.ndarray
    inputs: object
    bias: object
    dense: bool
    wanted: tuple


@dataclass
class Group:
    """Nodes with one rule at one depth whose inputs come from the same kinds of slot.

    rule: their rule (ops.py).
    size: how many nodes (G).
    batched: are their outputs per sample ((G, B) rows of the batched slots) or shared?
    outputs: their output slots, as an index (consecutive: a slice).
    input_slots: (arity, G): input k of node g is read from slot input_slots[k, g].
    inputs: per input position, those slots as an index (a slice where evenly spaced).
    batched_inputs: per input position: from batched slots (else shared ones)?
    wanted: per input position: does any input there lead back to a parameter? If not, no
        gradient flows there (the sample itself, constants).
    layer: the slots for the rule's layer form, where it evaluates this group; else None.
    """
    rule: object
    size: int
    batched: bool
    outputs: object
    input_slots: np.ndarray
    inputs: list
    batched_inputs: list
    wanted: list
    layer: Layer = None


@dataclass
class Plan:
    """What the program computes, and where every number lives.

    groups: in the order the forward pass runs them (a Groups: groups[i] is a Group).
    wrt: the leaves that receive gradients; shared slots 0, 1, ... in this order.
    others: the other captured leaves (constants, parameters not asked for): the next shared
        slots, read afresh at every run.
    input_count: numbers per sample: batched slots 0 .. input_count - 1.
    shared_size, batched_size: how many slots of each kind.
    outputs: per output of the function, (batched?, slot).
    size: how many nodes were recorded.
    """
    groups: "Groups"
    wrt: list
    others: list
    input_count: int
    shared_size: int
    batched_size: int
    outputs: list
    size: int


@dataclass
class Graph:
    """The recorded nodes as arrays, a node by its position in the recording.

    parents: every node's parents' positions, one node after another; node i's are
        parents[parent_start[i]:parent_start[i + 1]].
    flags: per node, BATCHED | WANTED.
    depth: per node, 0 for a leaf, else 1 + its deepest parent's.
    kind: per node, -1 for a leaf, else its kind: kinds[kind] = (rule, batched?, per input
        position: batched?), what a group's nodes have in common besides their depth.
    """
    parents: np.ndarray
    parent_start: np.ndarray
    flags: np.ndarray
    depth: np.ndarray
    kind: np.ndarray
    kinds: list

    def parents_of(self, nodes, arity):
        """(len(nodes), arity): the parents' positions of nodes that all have `arity` parents."""
        return self.parents[self.parent_start[nodes][:, None] + np.arange(arity)]


def make_plan(recording, wrt):
    """The plan for a recording (see tracer.Recording), with gradients toward the leaves `wrt`."""
    position = {node: i for i, node in enumerate(recording.nodes)}
    inputs = positions_of(recording.inputs, position)
    parameters = positions_of(wrt, position)
    graph = read_graph(recording.nodes, position, inputs, parameters)
    members, starts = group_nodes(graph)
    captured = positions_of(recording.captured, position)
    chosen = np.zeros(len(position), bool)
    chosen[parameters[parameters >= 0]] = True
    others = [leaf for leaf, asked in zip(recording.captured, chosen[captured].tolist())
              if not asked]
    slot, shared_size, batched_size = assign_slots(
        [(parameters, False), (captured[~chosen[captured]], False), (inputs, True),
         (members, True)], graph)
    outputs = positions_of(recording.outputs, position)
    return Plan(groups=Groups(graph, members, starts, slot), wrt=list(wrt), others=others,
                input_count=len(recording.inputs), shared_size=shared_size,
                batched_size=batched_size,
                outputs=[(bool(graph.flags[i] & BATCHED), int(slot[i])) for i in outputs],
                size=len(recording.nodes))


def positions_of(values, position):
    """The values' positions among the recorded nodes, as an array; -1 for one not recorded
    (an input or a parameter the function does not use)."""
    return np.fromiter((position.get(v, -1) for v in values), dtype=np.intp, count=len(values))


def read_graph(nodes, position, inputs, parameters):
    """The Graph of the nodes (each after its parents), in one pass over them. Every input is
    per sample, used or not, and so is every node computed from one; a parameter, and every node
    computed from one, is WANTED: a gradient flows there."""
    flags = [0] * len(nodes)
    for i in inputs[inputs >= 0].tolist():
        flags[i] |= BATCHED
    for i in parameters[parameters >= 0].tolist():
        flags[i] |= WANTED
    depth, kind = [0] * len(nodes), [-1] * len(nodes)
    parents, parent_start, kinds = [], [0], {}
    where = position.__getitem__
    for i, node in enumerate(nodes):
        mine = list(map(where, node.parents))
        if mine:
            parents += mine
            theirs = tuple([flags[j] & BATCHED for j in mine])
            for j in mine:
                flags[i] |= flags[j]
            depth[i] = 1 + max(map(depth.__getitem__, mine))
            kind[i] = kinds.setdefault((node.rule, flags[i] & BATCHED, theirs), len(kinds))
        parent_start.append(len(parents))
    return Graph(parents=np.array(parents, dtype=np.intp),
                 parent_start=np.array(parent_start, dtype=np.intp),
                 flags=np.array(flags, dtype=np.int8), depth=np.array(depth, dtype=np.intp),
                 kind=np.array(kind, dtype=np.intp),
                 kinds=[(rule, bool(batched), [bool(b) for b in inputs])
                        for rule, batched, inputs in kinds])


def group_nodes(graph):
    """The computed nodes grouped, in an order the forward pass can run them: as `members` (the
    nodes' positions, group after group) and `starts` (group i is members[starts[i]:starts[i +
    1]]). A group: the nodes of one kind at one depth (so none of them depends on another). The
    shared groups come first (they never read a batched slot), then the batched ones, each kind
    by depth, groups of one depth in the order their first nodes were recorded; a group's nodes
    in the order they were recorded."""
    computed = np.flatnonzero(graph.kind >= 0)
    if not len(computed):
        return computed, np.zeros(1, np.intp)
    kind, depth = graph.kind[computed], graph.depth[computed]
    batched = graph.flags[computed] & BATCHED
    by_key = np.lexsort((computed, kind, depth, batched))
    computed, kind, depth, batched = computed[by_key], kind[by_key], depth[by_key], batched[by_key]
    first = np.flatnonzero(np.r_[True, (kind[1:] != kind[:-1]) | (depth[1:] != depth[:-1])])
    sizes = np.diff(np.r_[first, len(computed)])
    order = np.lexsort((computed[first], depth[first], batched[first]))
    members = computed[ranges(first[order], sizes[order])]
    return members, np.r_[0, np.cumsum(sizes[order])].astype(np.intp)


def ranges(starts, sizes):
    """The integers of every range [start, start + size), one range after another."""
    ends = np.cumsum(sizes)
    return np.repeat(starts - (ends - sizes), sizes) + np.arange(ends[-1] if len(ends) else 0)


def assign_slots(takers, graph):
    """Every node's slot, by position (-1: none), numbered in the order of `takers` —
    (positions, per sample?) pairs, where a node's own flag decides if it has one, the pair's
    for a value not recorded — separately among the shared slots and the batched ones; and
    how many slots of each kind."""
    positions = np.concatenate([p for p, _ in takers])
    batched = np.concatenate([np.where(p >= 0, graph.flags[p] & BATCHED, per_sample).astype(bool)
                              for p, per_sample in takers])
    numbers = np.where(batched, np.cumsum(batched), np.cumsum(~batched)) - 1
    slot = np.full(len(graph.flags), -1, dtype=np.intp)
    recorded = positions >= 0
    slot[positions[recorded]] = numbers[recorded]
    return slot, int((~batched).sum()), int(batched.sum())


class Groups(Sequence):
    """The plan's groups, in the order the forward pass runs them: groups[i] is a Group, made
    from the arrays (see Graph, group_nodes) when asked for.

    shapes: per group, a number: groups of the same shape (kind, size, which input positions
    lead to a parameter, dense or not) differ only in their slots, so the same lines evaluate
    them, each on its own slots (see `rows`)."""

    def __init__(self, graph, members, starts, slot):
        self.graph, self.members, self.starts, self.slot = graph, members, starts, slot
        self.kind = graph.kind[members[starts[:-1]]]
        self.sizes = np.diff(starts)

    def __len__(self):
        return len(self.starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(f"group {i} of {len(self)}")
        i = i % len(self)
        nodes = self.members[self.starts[i]:self.starts[i + 1]]
        rule, batched, batched_inputs = self.graph.kinds[self.kind[i]]
        parents = self.graph.parents_of(nodes, len(batched_inputs))
        wanted = (self.graph.flags[parents] & WANTED).any(axis=0)
        return make_group(rule, batched, batched_inputs, self.slot[nodes], self.slot[parents].T,
                          [bool(w) for w in wanted])

    def rows(self, numbers):
        """The slots of the groups `numbers` (all of one kind and size, r of them): their
        outputs (r, G) and their inputs (r, arity, G), as Group.input_slots for each."""
        size, arity = self.sizes[numbers[0]], len(self.graph.kinds[self.kind[numbers[0]]][2])
        nodes = self.members[self.starts[numbers][:, None] + np.arange(size)]
        parents = self.graph.parents_of(nodes.ravel(), arity).reshape(len(numbers), size, arity)
        return self.slot[nodes], self.slot[parents].transpose(0, 2, 1)

    @cached_property
    def shapes(self):
        wanted, dense = np.zeros(len(self), np.intp), np.zeros(len(self), bool)
        for kind, (rule, batched, batched_inputs) in enumerate(self.graph.kinds):
            numbers = np.flatnonzero(self.kind == kind)
            if not len(numbers):
                continue
            sizes = self.sizes[numbers]
            firsts = np.cumsum(sizes) - sizes  # each group's first node among `nodes`
            nodes = self.members[ranges(self.starts[numbers], sizes)]
            parents = self.graph.parents_of(nodes, len(batched_inputs))
            wanted_at = np.logical_or.reduceat(self.graph.flags[parents] & WANTED > 0, firsts)
            wanted[numbers] = row_numbers(wanted_at)
            if fits_layer(rule, batched, batched_inputs):
                n = len(batched_inputs) // 2
                xs = self.slot[parents[:, n:2 * n]]
                as_first = (xs == np.repeat(xs[firsts], sizes, axis=0)).all(axis=1)
                dense[numbers] = np.logical_and.reduceat(as_first, firsts)
        return row_numbers(np.stack([self.kind, self.sizes, wanted, dense], axis=1))


def row_numbers(rows):
    """Per row of a 2-D array, a number: the same for equal rows, different for different ones.
    (np.unique(rows, axis=0) gives as much, in several times the time.)"""
    order = np.lexsort(rows.T[::-1])
    rows = rows[order]
    numbers = np.empty(len(rows), np.intp)
    numbers[order] = np.cumsum(np.r_[False, (rows[1:] != rows[:-1]).any(axis=1)])
    return numbers


def make_group(rule, batched, batched_inputs, outputs, input_slots, wanted):
    """The Group of nodes of one kind (rule, batched?, batched_inputs) whose outputs are in the
    slots `outputs` (G,) and whose inputs are in input_slots (arity, G)."""
    group = Group(rule=rule, size=len(outputs), batched=batched, outputs=as_index(outputs),
                  input_slots=input_slots, inputs=[as_index(row) for row in input_slots],
                  batched_inputs=list(batched_inputs), wanted=list(wanted))
    if fits_layer(rule, batched, batched_inputs):
        group.layer = layer_slots(group)
    return group


def fits_layer(rule, batched, batched_inputs):
    """Does the rule's layer form evaluate a group of this kind? It has one (dot does), and the
    group is a layer of neurons: inputs (w1..wn, x1..xn, b) with the weights and the bias shared
    and the x per sample."""
    if rule.layer is None or not batched:
        return False
    n = len(batched_inputs) // 2
    weights, xs, bias = batched_inputs[:n], batched_inputs[n:2 * n], batched_inputs[2 * n]
    return not any(weights) and all(xs) and not bias


def layer_slots(group):
    """A layer's slots, split into weights, inputs and bias."""
    n = len(group.input_slots) // 2
    weights, xs, bias = (group.input_slots[:n], group.input_slots[n:2 * n],
                         group.input_slots[2 * n])
    dense = bool((xs == xs[:, :1]).all())  # each input row: one slot for every neuron
    wanted = group.wanted
    return Layer(weights=weights, inputs=as_index(xs[:, 0]) if dense else xs,
                 bias=as_index(bias), dense=dense,
                 wanted=(any(wanted[:n]), any(wanted[n:2 * n]), wanted[2 * n]))


def as_index(slots):
    """Slots as an index into a slot array: a slice when they are evenly spaced upward
    (reading it gives a view, no copy; writing it needs no index array), else an array of
    integers."""
    slots = np.asarray(slots, dtype=np.intp)
    if len(slots) == 1:
        return slice(int(slots[0]), int(slots[0]) + 1)
    steps = np.diff(slots)
    if len(slots) and steps[0] > 0 and (steps == steps[0]).all():
        return slice(int(slots[0]), int(slots[-1]) + 1, int(steps[0]))
    return slots
