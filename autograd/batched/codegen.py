"""Phase 3, code generation: a plan written out as a short numpy program, and the constants
that the program's text names.

The program is two functions over the slot arrays: `forward(s, b)` computes every group's
value, from the first group to the last; `backward(s, b, gs, gb)` adds every group's
upstream × local derivatives into the gradients of its inputs, from the last group back.
Each group is a few lines, headed by a comment that names its rule and size.

An index that is a slice is written into the text (`b[12:28]`); any other index (an array of
slots) is a constant, named after its group and role (`i3_in0`); so is each group's rule
(`rule3`) or layer form (`layer3`). `arrays_of` lists, for each group, the indexes its lines
use, so the constants are listed before a line is written.
"""
from dataclasses import dataclass

import numpy as np

from .plan import as_index

LEGEND = ["# s: the shared slots (parameters, constants), one number each; b: the batched",
          "# slots (the sample and what is made from it), one row of numbers per slot,",
          "# one column per sample; gs, gb: their gradients, accumulated by the backward",
          "# pass from the output back.", ""]


@dataclass
class Program:
    """source: the program's text; constants: {name: object} for each name the text uses
    that it does not define (numpy, the helpers, rules, index arrays)."""
    source: str
    constants: dict


def write_program(plan):
    """The plan's forward and backward functions, as text, and the constants they name."""
    constants = {"np": np, "stack_mixed": stack_mixed, "expand": expand}  # any program's
    forward, backward = [], []
    for number, group in enumerate(plan.groups):
        arrays = arrays_of(group)
        names = {role: f"i{number}_{role}" for role in arrays}
        constants.update({names[role]: array for role, array in arrays.items()
                          if not isinstance(array, slice)})
        at = {role: written(array, names[role]) for role, array in arrays.items()}
        if group.layer is not None:
            rule = f"layer{number}"
            constants[rule] = group.rule.layer
        else:
            rule = f"rule{number}"
            constants[rule] = group.rule
        write_forward, write_backward = writers_of(group)
        forward.append(write_forward(group, rule, at))
        backward.append(write_backward(group, rule, arrays, at))
    forward = [line for lines in forward for line in lines] or \
        ["pass  # the function records no operation"]
    backward = [line for lines in reversed(backward) for line in lines] or \
        ["pass  # nothing here leads back to a parameter"]
    source = "\n".join(LEGEND + ["def forward(s, b):"] + indented(forward) + ["", ""]
                       + ["def backward(s, b, gs, gb):"] + indented(backward)) + "\n"
    return Program(source, constants)


def writers_of(group):
    """The functions that write a group's forward and backward lines."""
    if group.layer is not None:
        return layer_forward, layer_backward
    if group.rule.variadic:
        return many_forward, many_backward
    return elementwise_forward, elementwise_backward


def indented(lines):
    return ["    " + line for line in lines]


# ---- the indexes a group's lines use ----

def arrays_of(group):
    """{role: index (or mask)} for every index the group's lines use."""
    arrays = {"out": group.outputs}
    if group.layer is not None:
        layer = group.layer
        arrays.update(weights=layer.weights, inputs=layer.inputs, bias=layer.bias)
    elif not group.rule.variadic:
        arrays.update({f"in{k}": index for k, index in enumerate(group.inputs)})
    else:
        arrays.update(many_arrays(group))
    return arrays


def many_arrays(group):
    """The indexes of a rule with any number of inputs, which takes them stacked: (arity, G)
    in one array, or in two (batched, shared) stacked together by `mask`; and, for the
    backward pass, which positions' gradients go to batched slots and which to shared ones."""
    arrays = {}
    batched = np.array(group.batched_inputs, dtype=bool)
    if batched.all() or not group.batched:
        arrays["in"] = group.input_slots
    else:
        arrays.update(in_b=group.input_slots[batched], in_s=group.input_slots[~batched],
                      mask=batched)
    wanted = np.array(group.wanted, dtype=bool)
    to_batched, to_shared = batched & wanted, ~batched & wanted
    # (positions, G) slots flattened row after row, as the contributions are reshaped
    if to_batched.any():
        arrays["grad_b"] = as_index(group.input_slots[to_batched].ravel())
        if not to_batched.all():
            arrays["to_batched"] = to_batched
    if to_shared.any():
        arrays["grad_s"] = as_index(group.input_slots[to_shared].ravel())
        if not to_shared.all():
            arrays["to_shared"] = to_shared
    return arrays


def written(index, name):
    """How the program writes an index: a slice literal, else the name of the array."""
    if isinstance(index, slice):
        step = "" if index.step in (None, 1) else f":{index.step}"
        return f"{index.start}:{index.stop}{step}"
    return name


def names_a_slot_twice(index):
    return not isinstance(index, slice) and len(np.unique(index)) < np.size(index)


def added(target, role, arrays, at, contribution):
    """The line target[index] += contribution, for the index of that role; where it names a
    slot twice, its contributions are summed (plain += would keep only the last)."""
    if names_a_slot_twice(arrays[role]):
        return f"np.add.at({target}, {at[role]}, {contribution})"
    return f"{target}[{at[role]}] += {contribution}"


# ---- how a group reads its inputs and writes its outputs ----

def heading(group):
    return f"# {group.rule.name} of {group.size} node{'s' * (group.size > 1)}"


def output(group, at, gradient=False):
    """The group's outputs as the program writes them: in `s` or `b`, or (gradient) in `gs`
    or `gb`."""
    array = ("g" if gradient else "") + ("b" if group.batched else "s")
    return f"{array}[{at['out']}]"


def arguments(group, at):
    """The group's inputs, one per position: rows of `b`; or of `s`, given as (G, 1) columns
    in a batched group, so that numpy broadcasts them over the samples."""
    return [f"b[{at[f'in{k}']}]" if from_batch else
            f"s[{at[f'in{k}']}][:, None]" if group.batched else
            f"s[{at[f'in{k}']}]"
            for k, from_batch in enumerate(group.batched_inputs)]


# ---- rules of one or two inputs: the rule's value and partials on (G, B) or (G,) arrays ----

def elementwise_forward(group, rule, at):
    return [heading(group),
            f"{output(group, at)} = {rule}.value({', '.join(arguments(group, at))})"]


def elementwise_backward(group, rule, arrays, at):
    if not any(group.wanted):
        return []
    lines = [heading(group), f"up = {output(group, at, gradient=True)}",
             f"d = {rule}.partials({', '.join(arguments(group, at))}, {output(group, at)})"]
    for k, from_batch in enumerate(group.batched_inputs):
        if not group.wanted[k]:
            continue
        contribution = f"d[{k}] * up"
        if group.batched and not from_batch:
            contribution = f"({contribution}).sum(axis=-1)"  # one number for the batch
        target = "gb" if from_batch else "gs"
        lines.append(added(target, f"in{k}", arrays, at, contribution))
    return lines


# ---- rules of any number of inputs: given stacked, (arity, G) or (arity, G, B) ----

def stacked(group, at):
    if "in" in at:
        return f"{'b' if group.batched else 's'}[{at['in']}]"
    return f"stack_mixed(s, b, {at['in_b']}, {at['in_s']}, {at['mask']})"


def many_forward(group, rule, at):
    return [heading(group), f"{output(group, at)} = {rule}.value({stacked(group, at)})"]


def many_backward(group, rule, arrays, at):
    if not any(group.wanted):
        return []
    lines = [heading(group), f"up = {output(group, at, gradient=True)}",
             f"contributions = expand({rule}.partials({stacked(group, at)}, "
             f"{output(group, at)}), up) * up"]
    if "grad_b" in arrays:  # to batched slots: (positions × G, B)
        part = f"contributions[{at['to_batched']}]" if "to_batched" in at else "contributions"
        lines.append(added("gb", "grad_b", arrays, at, f"{part}.reshape(-1, up.shape[-1])"))
    if "grad_s" in arrays:  # to shared slots: (positions × G,)
        part = f"contributions[{at['to_shared']}]" if "to_shared" in at else "contributions"
        if group.batched:
            part += ".sum(axis=-1)"  # one number for the batch
        lines.append(added("gs", "grad_s", arrays, at, f"{part}.ravel()"))
    return lines


# ---- a layer of neurons, by the rule's layer form (ops.LayerForm) ----

def layer_heading(group):
    kind = "a dense layer, one matrix product" if group.layer.dense else \
        "neurons reading their own inputs"
    return f"{heading(group)}: {kind} ({group.rule.name}'s layer form)"


def layer_forward(group, layer, at):
    return [layer_heading(group),
            f"{output(group, at)} = {layer}.value(s[{at['weights']}], b[{at['inputs']}], "
            f"s[{at['bias']}])"]


def layer_backward(group, layer, arrays, at):
    want_weights, want_inputs, want_bias = group.layer.wanted
    if not (want_weights or want_inputs or want_bias):
        return []
    lines = [layer_heading(group), f"up = {output(group, at, gradient=True)}"]
    if want_weights:
        lines.append(added("gs", "weights", arrays, at,
                           f"{layer}.weights_gradient(b[{at['inputs']}], up)"))
    if want_inputs:
        lines.append(added("gb", "inputs", arrays, at,
                           f"{layer}.inputs_gradient(s[{at['weights']}], up, "
                           f"dense={group.layer.dense})"))
    if want_bias:
        lines.append(added("gs", "bias", arrays, at, f"{layer}.bias_gradient(up)"))
    return lines


# ---- helpers the program calls ----

def stack_mixed(shared, batched, batched_rows, shared_rows, mask):
    """The stacked inputs (arity, G, B) of a many-input rule that reads both kinds of slot."""
    stacked = np.empty((len(mask),) + (batched_rows.shape[1], batched.shape[1]))
    stacked[mask] = batched[batched_rows]
    stacked[~mask] = shared[shared_rows][..., None]
    return stacked


def expand(local, upstream):
    """A many-input rule's partials (arity, G) or (arity, G, B), shaped to multiply upstream."""
    if isinstance(local, (tuple, list)):  # one partial per input, of shapes that broadcast
        local = np.broadcast_arrays(*local)
    local = np.asarray(local, dtype=float)
    return local.reshape(local.shape + (1,) * (upstream.ndim + 1 - local.ndim))
