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

Nothing here runs or writes code: these are functions from the recording to a Plan.
"""
from dataclasses import dataclass

import numpy as np


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

    groups: in the order the forward pass runs them.
    wrt: the leaves that receive gradients; shared slots 0, 1, ... in this order.
    others: the other captured leaves (constants, parameters not asked for): the next shared
        slots, read afresh at every run.
    input_count: numbers per sample: batched slots 0 .. input_count - 1.
    shared_size, batched_size: how many slots of each kind.
    outputs: per output of the function, (batched?, slot).
    size: how many nodes were recorded.
    """
    groups: list
    wrt: list
    others: list
    input_count: int
    shared_size: int
    batched_size: int
    outputs: list
    size: int


def make_plan(recording, wrt):
    """The plan for a recording (see tracer.Recording), with gradients toward the leaves `wrt`."""
    batched = per_sample(recording.nodes, recording.inputs)
    grouped = group_nodes(recording.nodes, batched)
    chosen = set(wrt)
    others = [leaf for leaf in recording.captured if leaf not in chosen]
    computed = [node for _, members in grouped for node in members]
    slot, shared_size, batched_size = assign_slots(
        [*wrt, *others, *recording.inputs, *computed], batched)
    wanted = leads_to_parameter(recording.nodes, chosen)
    return Plan(groups=[make_group(rule, members, slot, batched, wanted)
                        for rule, members in grouped],
                wrt=list(wrt), others=others, input_count=len(recording.inputs),
                shared_size=shared_size, batched_size=batched_size,
                outputs=[(batched[out], slot[out]) for out in recording.outputs],
                size=len(recording.nodes))


def per_sample(nodes, inputs):
    """{node: does it hold one number per sample?} Every input does, used or not, and so does
    every node computed from one; the rest hold one number for the whole batch."""
    is_input = set(inputs)
    batched = dict.fromkeys(inputs, True)
    for node in nodes:
        batched[node] = node in is_input or any(batched[p] for p in node.parents)
    return batched


def group_nodes(nodes, batched):
    """The computed nodes as (rule, nodes) groups in an order the forward pass can run them:
    one group per rule, depth (1 + the deepest parent's; so none of a group depends on
    another), kind of output and kinds of input. The shared groups come first (they never
    read a batched slot), then the batched ones, each kind by depth."""
    depth, groups = {}, {}
    for node in nodes:
        if not node.parents:
            depth[node] = 0
            continue
        depth[node] = 1 + max(depth[p] for p in node.parents)
        key = (batched[node], depth[node], node.rule, tuple(batched[p] for p in node.parents))
        groups.setdefault(key, []).append(node)
    in_order = sorted(groups, key=lambda key: (key[0], key[1]))  # stable: first seen first
    return [(key[2], groups[key]) for key in in_order]


def assign_slots(nodes, batched):
    """{node: its slot}, numbered in the order given, separately among the shared nodes and
    the batched ones; and how many slots of each kind. (A parameter the function never uses is
    not in `batched`: it is shared.)"""
    slot, counts = {}, {False: 0, True: 0}
    for node in nodes:
        kind = batched.get(node, False)
        slot[node] = counts[kind]
        counts[kind] += 1
    return slot, counts[False], counts[True]


def leads_to_parameter(nodes, parameters):
    """{node: is it one of the parameters, or computed from one?} Gradient flows only there."""
    wanted = {}
    for node in nodes:
        wanted[node] = node in parameters or any(wanted[p] for p in node.parents)
    return wanted


def make_group(rule, nodes, slot, batched, wanted):
    """The Group of `nodes` (one rule, one depth, the same kinds of slot), in their slots."""
    parents = nodes[0].parents
    input_slots = np.array([[slot[p] for p in node.parents] for node in nodes], dtype=np.intp).T
    group = Group(rule=rule, size=len(nodes), batched=batched[nodes[0]],
                  outputs=as_index([slot[node] for node in nodes]),
                  input_slots=input_slots,
                  inputs=[as_index(row) for row in input_slots],
                  batched_inputs=[batched[p] for p in parents],
                  wanted=[any(wanted[node.parents[k]] for node in nodes)
                          for k in range(len(parents))])
    if fits_layer(group):
        group.layer = layer_slots(group)
    return group


def fits_layer(group):
    """Does the rule's layer form evaluate this group? It has one (dot does), and the group is
    a layer of neurons: inputs (w1..wn, x1..xn, b) with the weights and the bias shared and
    the x per sample."""
    if group.rule.layer is None or not group.batched:
        return False
    n = len(group.batched_inputs) // 2
    weights, xs, bias = (group.batched_inputs[:n], group.batched_inputs[n:2 * n],
                         group.batched_inputs[2 * n])
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
