"""Phase 3, code generation: a plan written out as a short numpy program, and the constants
that the program's text names.

The program is two functions over the slot arrays: `forward(s, b, views)` computes every
group's value, from the first group to the last; `backward(s, b, gs, gb, views)` adds every
group's upstream × local derivatives into the gradients of its inputs, from the last group
back (a gradient given once and read once passed on as a local: see pass_gradients_on). A
third, `views(s, b, gs, gb)`, makes the slices of the arrays they use, once for a set of
arrays (see named_views).
Each group is a few lines, headed by a comment that names its rule and size; where many groups
repeat the same shapes (a deep chain), their lines are written once, in a loop (see
`stretches`), so that the text stays short however deep the graph.

An index that is a slice is written into the text (`b[12:28]`, made by views() and named
`b_12_28` in the functions); any other index (an array of slots) is a constant, named after
its group and role (`i3_in0`); so is each group's rule (`rule3`) or layer form (`layer3`).
`arrays_of` lists, for each group, the indexes its lines use, so the constants are listed
before a line is written.
"""
import functools
import re
from dataclasses import dataclass

import numpy as np

from .plan import as_index, make_group

LEGEND = ["# s: the shared slots (parameters, constants), one number each; b: the batched",
          "# slots (the sample and what is made from it), one row of numbers per slot,",
          "# one column per sample; gs, gb: their gradients, accumulated by the backward",
          "# pass from the output back; a gradient that one line gives and one group reads",
          "# is passed on as a local instead (grad_b_19_35: the gradient of b[19:35]).",
          "# views(): each slice of these the program uses, made once per set of arrays",
          "# (b_19_35: b[19:35]; s_48_320_16x17_cols0_16_T: s[48:320] as 16x17, cols 0:16, .T)", ""]


@dataclass
class Program:
    """source: the program's text; constants: {name: object} for each name the text uses
    that it does not define (numpy, the helpers, rules, index arrays)."""
    source: str
    constants: dict


def write_program(plan):
    """The plan's forward and backward functions, as text, and the constants they name."""
    constants = {"np": np, "stack_mixed": stack_mixed, "expand": expand}  # any program's
    forward, backward = [], []  # lines, per group or loop
    written_out, in_loops = [], []  # (group, its backward lines, their log); loops' groups
    for first, period, repeats in stretches(plan.groups.shapes):
        loop = repeats > 1 and write_loop(plan.groups, first, period, repeats, constants)
        if loop:
            forward.append(loop[0])
            backward.append(loop[1])
            in_loops.append((first, period, repeats))
            continue
        for number in range(first, first + period * repeats):
            group, log = plan.groups[number], []
            lines = write_group(number, group, constants, log)
            forward.append(lines[0])
            backward.append(lines[1])
            written_out.append((group, lines[1], log))
    pass_gradients_on(plan, written_out, in_loops)
    forward = [line for lines in forward for line in lines]
    backward = [line for lines in reversed(backward) for line in lines]
    forward, forward_views = named_views(forward)
    backward, backward_views = named_views(backward)
    forward = forward or ["pass  # the function records no operation"]
    backward = backward or ["pass  # nothing here leads back to a parameter"]
    views = ["def views(s, b, gs, gb):",  # (the names as forward and backward unpack them)
             *indented(wrapped("return (", [*forward_views.values()], "), (", per_line=4)),
             *indented(wrapped("        ", [*backward_views.values()], ")", per_line=4))]
    source = "\n".join(LEGEND + views + ["", ""]
                       + ["def forward(s, b, views):"] + indented(unpacked(forward_views))
                       + indented(forward) + ["", ""]
                       + ["def backward(s, b, gs, gb, views):"]
                       + indented(unpacked(backward_views)) + indented(backward)) + "\n"
    return Program(source, constants)


# ---- views: each slice of the slot arrays, made once ----
# A program runs many times over the same arrays (a Replay keeps them): each slice it reads
# or writes (b[19:35], a layer's weights s[48:320].reshape(16, 17)[:, 0:16].T) is made once,
# by views(), and the functions take them by name, without slicing again each run.

VIEW = re.compile(r"\b(s|b|gs|gb)\[(\d+):(\d+)(?::(\d+))?(, None)?\]"
                  r"((?:\.reshape\(\d+, \d+\)|\[:, \d+:\d+\]|\[:, None\]|\[:\]|\.T)*)")
MOST_VIEWS = 2000  # per function: a longer program (a graph written out) slices as it goes


def named_views(lines):
    """The lines with each view of the slot arrays written as a name, and {name: the view's
    expression}; where a line assigns to a view, it assigns into it (name[...] = ...)."""
    views = {}

    def name_of(match):
        array, start, stop, step, column, after = match.groups()
        name = f"{array}_{start}_{stop}" + (f"_{step}" if step else "") + ("_col" if column
                                                                            else "")
        for part in re.findall(r"\.reshape\((\d+), (\d+)\)|\[:, (\d+):(\d+)\]|(\[:, None\])|(\.T)",
                               after):
            rows, width, first, last, new_axis, transposed = part
            name += f"_{rows}x{width}" if rows else f"_cols{first}_{last}" if first else \
                "_col" if new_axis else "_T" if transposed else ""
        views[name] = match.group(0)
        return name

    written = []
    for line in lines:
        if line.lstrip().startswith("#"):
            written.append(line)
            continue
        body = line.lstrip()
        indent = line[:len(line) - len(body)]
        target = VIEW.match(body)
        if target and body[target.end():].startswith(" = "):  # into the view
            body = f"{name_of(target)}[...]{VIEW.sub(name_of, body[target.end():])}"
        else:
            body = VIEW.sub(name_of, body)
        written.append(indent + body)
    if len(views) > MOST_VIEWS:
        return lines, {}
    return written, views


def unpacked(views):
    return wrapped("(", [*views], ") = views") if views else []


def wrapped(head, names, tail, per_line=5):
    """head + names joined by ', ' (a tuple's, with a trailing comma) + tail, `per_line` names
    a line (so that the program's length never depends on the slots' numbers)."""
    lines = [" " * len(head) + "".join(f"{name}, " for name in names[i:i + per_line]).rstrip()
             for i in range(0, len(names), per_line)] or [" " * len(head)]
    lines[0] = head + lines[0][len(head):]
    lines[-1] = lines[-1].rstrip() + tail
    return lines


# ---- a gradient given once and read once: passed on as a local ----
# Where one line alone adds into a group's output gradients (exactly those slots, in order)
# and nothing else reads them but that group's backward lines, the line assigns a local
# (grad_b_19_35 = ...) and the group reads it: no += into zeroed slots, no read back.

def pass_gradients_on(plan, written_out, in_loops):
    """Rewrite, in place, the backward lines of groups written out one by one (written_out:
    (group, backward lines, log of the lines adding into gradients)), so that a gradient
    given by one line and read by one group is a local."""
    counts = {"gs": np.zeros(plan.shared_size, np.intp), "gb": np.zeros(plan.batched_size, np.intp)}
    givers = {}  # (target, start, stop, step) -> (its lines, the line, the term, subtract?)
    intos = []  # (its group's place, its lines, the line, the line writing into place, slots)
    # per shared slot, the place in written_out of the last group adding into its gradient:
    # the first to run backward (the backward program runs the groups last to first)
    latest = np.full(plan.shared_size, -1, np.intp)
    others_in_group = {}  # a line -> the slots its group's other lines add into, in gs
    for place, (_, lines, log) in enumerate(written_out):
        for target, index, line, term, subtract, into in log:
            np.add.at(counts[target], slots_of(index), 1)
            if target == "gs":
                np.maximum.at(latest, slots_of(index), place)
            if isinstance(index, slice) and term is not None:
                givers[(target,) + slice_key(index)] = (lines, line, term, subtract)
            if into is not None:
                intos.append((place, lines, line, into, slots_of(index)))
                # (the group's other lines into gs: where one shares a slot with it, it adds)
                others_in_group[line] = [slots_of(other[1]) for other in log
                                         if other[0] == "gs" and other[2] != line]
    logged = counts["gs"].copy()  # (what loops and the seed add below, they read and write)
    for first, period, repeats in in_loops:  # their slots are read and given in the loop
        for number in range(first, first + period):
            outputs, inputs = plan.groups.rows(number + period * np.arange(repeats))
            for slots in (outputs, inputs):
                for target in counts:
                    counts[target][slots[slots < len(counts[target])]] += 2
    seeded_batched, seeded = plan.outputs[0] if plan.outputs else (None, None)
    counts["gb" if seeded_batched else "gs"][seeded] += 2  # the tape seeds it
    # a layer's weights (or bias) gradient added by the first line to run that writes those
    # slots (no other line of its group and no later group writing any of them; no loop or
    # seed touching them): written into them instead, as they hold zeros before it (+= would
    # read them back for nothing); the lines after it (an L2 penalty, ...) add to it as before
    for place, their_lines, line, into, slots in intos:
        if (latest[slots] == place).all() and (counts["gs"][slots] == logged[slots]).all() \
                and len(np.unique(slots)) == len(slots) \
                and not any(np.isin(slots, others).any() for others in others_in_group[line]):
            their_lines[their_lines.index(line)] = into
    counts["gs"][:len(plan.wrt)] += 2  # the gradient the tape returns
    for group, lines, _ in written_out:
        target = "gb" if group.batched else "gs"
        if not (lines and isinstance(group.outputs, slice)):
            continue
        giver = givers.get((target,) + slice_key(group.outputs))
        if giver is None or (counts[target][slots_of(group.outputs)] != 1).any():
            continue
        their_lines, line, term, subtract = giver
        start, stop, step = slice_key(group.outputs)
        name = f"grad_{target[1]}_{start}_{stop}" + (f"_{step}" if step != 1 else "")
        read = f"up = {target}[{written(group.outputs, None)}]"
        if read not in lines:
            continue
        negated = f"-{term}" if term.isidentifier() else f"-({term})"
        their_lines[their_lines.index(line)] = f"{name} = {negated if subtract else term}"
        lines[lines.index(read)] = f"up = {name}"


def slice_key(index):
    return index.start, index.stop, index.step or 1


def slots_of(index):
    if isinstance(index, slice):
        return np.arange(index.start, index.stop, index.step or 1)
    return np.asarray(index).ravel()


def write_group(number, group, constants, log=None):
    """A group's forward and backward lines, written out; the constants they name are added to
    `constants`, and each line adding into gradients to `log` (see added)."""
    arrays = arrays_of(group)
    names = {role: f"i{number}_{role}" for role in arrays}
    constants.update({names[role]: array for role, array in arrays.items()
                      if not isinstance(array, slice)})
    at = {role: written(array, names[role]) for role, array in arrays.items()}
    if log is not None:
        at[LOG] = log
    rule = rule_named(number, group, constants)
    write_forward, write_backward = writers_of(group)
    return write_forward(group, rule, at), write_backward(group, rule, arrays, at)


def rule_named(number, group, constants):
    """The name the program gives the group's rule, or its layer form where that evaluates the
    group, added to `constants`."""
    if group.layer is not None:
        constants[f"layer{number}"] = group.rule.layer
        return f"layer{number}"
    constants[f"rule{number}"] = group.rule
    return f"rule{number}"


def writers_of(group):
    """The functions that write a group's forward and backward lines."""
    if group.layer is not None:
        return layer_forward, layer_backward
    if per_sample_products(group):
        return products_forward, products_backward
    if group.rule.variadic:
        return many_forward, many_backward
    return elementwise_forward, elementwise_backward


def indented(lines):
    return ["    " + line for line in lines]


# ---- deep graphs: a stretch of repeating groups as one loop ----
# A chain of a million links is two million groups: written out, a few lines each, its program
# takes minutes and gigabytes to compile. Where the same shapes of group repeat (see
# Groups.shapes), the program loops instead: the lines of one time round are written once, and
# time k round they read their slots from row k of index tables (t12_out[k]).

LOOP_FROM = 64  # groups: a shorter stretch of repeats is written out group by group
LONGEST_PERIOD = 16  # groups per time round a loop, at most


def stretches(shapes):
    """The groups, in order, as (first, period, repeats): `repeats` times round `period`
    groups whose shapes repeat, for a loop; or (number, 1, 1), one group to write out."""
    cover, period = repeating(shapes)
    number = 0  # the first group not yet given
    for start in np.flatnonzero(cover >= LOOP_FROM).tolist():
        if start < number:
            continue  # within the loop before
        yield from ((n, 1, 1) for n in range(number, start))
        times = int(cover[start] // period[start])
        yield start, int(period[start]), times
        number = start + int(cover[start])
    yield from ((n, 1, 1) for n in range(number, len(shapes)))


def repeating(shapes):
    """Per group: how many groups from it on repeat a period of shapes (whole periods, two at
    least; else 0), and that period, the shortest of those that cover the most."""
    cover, period = np.zeros(len(shapes), np.intp), np.ones(len(shapes), np.intp)
    for p in range(1, min(LONGEST_PERIOD, len(shapes) // 2) + 1):
        times = 1 + trues_from(shapes[p:] == shapes[:-p]) // p
        covered = np.where(times >= 2, times * p, 0)
        better = covered > cover[:len(covered)]
        cover[:len(covered)][better] = covered[better]
        period[:len(covered)][better] = p
    return cover, period


def trues_from(flags):
    """Per position: how many of flags[i:] are True before the first False."""
    falses = np.where(flags, len(flags), np.arange(len(flags)))
    return np.minimum.accumulate(falses[::-1])[::-1] - np.arange(len(flags))


def write_loop(groups, first, period, repeats, constants):
    """The forward and backward lines of a loop over groups first .. first + period * repeats
    - 1; None where a group's lines would not be the same each time round (they would depend
    on where its slots lie)."""
    loop_constants, forward, backward = {}, [], []
    for number in range(first, first + period):
        lines = loop_body(groups, number, number + period * np.arange(repeats), loop_constants)
        if lines is None:
            return None
        forward += lines[0]
        backward.append(lines[1])
    constants.update(loop_constants)
    last = first + period * repeats - 1
    forward = [f"# groups {first:,} to {last:,}: {repeats:,} times round these {period} "
               f"group{'s' * (period > 1)}, the k-th time on its own slots",
               f"for k in range({repeats}):", *indented(forward)]
    backward = [line for lines in reversed(backward) for line in lines]
    if backward:
        backward = [f"# groups {first:,} to {last:,}, backward: the last time round first",
                    f"for k in range({repeats - 1}, -1, -1):",
                    *indented(backward)]
    return forward, backward


def loop_body(groups, number, numbers, constants):
    """The forward and backward lines, in a loop, of the groups `numbers` (one shape), and
    their constants (named after the first, `number`); None if they cannot share lines.

    The lines are written for a stand-in group whose slots are made-up numbers, each index a
    row of a table; written for two different stand-ins they must be the same, and their
    indexes the same selections of the group's slots: lines that depend on where the slots
    lie (a slice, a view of a grid) would be wrong some time round."""
    group = groups[number]
    outputs, inputs = groups.rows(numbers)
    slots = np.concatenate([outputs, inputs.reshape(len(numbers), -1)], axis=1)  # row k: time k
    written = [stand_in_lines(group, number, slots, seed) for seed in (1, 2)]
    if None in written or written[0][:2] != written[1][:2] or \
            any(not np.array_equal(written[0][2][name], where)
                for name, where in written[1][2].items()):
        return None
    forward, backward, positions, other_constants = written[0]
    constants.update(other_constants)
    constants.update({name: slots[:, where] for name, where in positions.items()})
    return forward, backward


def stand_in_lines(group, number, slots, seed):
    """(forward lines, backward lines, {table name: positions}, {name: other constant}) of a
    stand-in for the group, its slots made-up numbers (negative, in no order): table t{number}_
    {role} row k is the slots at those positions of time k's slot row (slots[k]: outputs, then
    input_slots row by row). None if an index is not made of the group's slots."""
    stand_in, position = stand_in_group(group, seed)
    arrays = arrays_of(stand_in)
    at, positions, others = {}, {}, {}
    for role, array in arrays.items():
        name = f"t{number}_{role}"
        if not isinstance(array, slice) and np.asarray(array).dtype == bool:
            others[name], at[role] = array, name  # a mask: the same each time round
            continue
        made_up = np.arange(array.start, array.stop, array.step or 1) \
            if isinstance(array, slice) else np.asarray(array)
        where = position(made_up)
        if where is None:
            return None
        table = slots[:, where]
        at[role] = stepping(table)
        if at[role] is None:  # a table of slots, row k for time k
            positions[name], at[role] = where, f"{name}[k]"
        if names_a_slot_twice_some_time(table):  # then the lines must sum into it
            arrays[role] = made_up.copy()
            arrays[role].flat[1] = made_up.flat[0]
    rule = rule_named(number, stand_in, others)
    write_forward, write_backward = writers_of(stand_in)
    return (write_forward(stand_in, rule, at), write_backward(stand_in, rule, arrays, at),
            positions, others)


def stepping(table):
    """An index that moves by the same step each time round, as the program writes it: time k's
    slots a slice `start + step*k:stop + step*k` (a view of the slot array, where a table's row
    would gather a copy); None for any other table."""
    first = as_index(table[0]) if table.ndim == 2 else None
    if not isinstance(first, slice):
        return None
    step = table[1, 0] - table[0, 0]
    if (table != table[0] + step * np.arange(len(table))[:, None]).any():
        return None
    times = "k" if abs(step) == 1 else f"{abs(step)}*k"
    moved = "" if step == 0 else f" + {times}" if step > 0 else f" - {times}"
    every = "" if first.step in (None, 1) else f":{first.step}"
    return f"{first.start}{moved}:{first.stop}{moved}{every}"


def names_a_slot_twice_some_time(table):
    """Does some row of the table (time round) name a slot twice?"""
    rows = np.sort(table.reshape(len(table), -1), axis=1)
    return bool((rows[:, 1:] == rows[:, :-1]).any())


def stand_in_group(group, seed):
    """A group of the same shape whose slots are made-up numbers, and the function from those
    numbers back to their positions in the group's slot row (None for one not made up)."""
    width = group.size * (1 + len(group.batched_inputs))
    order = np.random.default_rng(seed).permutation(width)
    made_up = -(3 + 2 * order)  # distinct, negative, and no two of them in a row
    inputs = made_up[group.size:].reshape(-1, group.size)
    if group.layer is not None and group.layer.dense:  # every neuron reads the same inputs
        n = len(inputs) // 2
        inputs[n:2 * n] = inputs[n:2 * n, :1]
    stand_in = make_group(group.rule, group.batched, group.batched_inputs,
                          made_up[:group.size], inputs, group.wanted)
    at = np.empty(width, np.intp)
    at[order] = np.arange(width)

    def position(numbers):
        numbers = -3 - numbers
        if not ((numbers >= 0) & (numbers % 2 == 0) & (numbers < 2 * width)).all():
            return None
        return at[numbers // 2]
    return stand_in, position


# ---- the indexes a group's lines use ----

def arrays_of(group):
    """{role: index (or mask)} for every index the group's lines use."""
    arrays = {"out": group.outputs}
    if group.layer is not None:
        layer = group.layer
        arrays.update(inputs=layer.inputs, bias=layer.bias)
        if weights_view(group) is None:  # (else read as a view of s, without an index)
            arrays["weights"] = layer.weights
    elif per_sample_products(group):
        arrays.update(products_arrays(group))
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
    if group.size == 1 and (batched.all() or not group.batched):  # read as b[in, None]
        arrays["in"] = as_index(group.input_slots[:, 0])
    elif batched.all() or not group.batched:
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


LOG = object()  # at[LOG]: where a group written out logs its lines adding into gradients


def added(target, role, arrays, at, contribution, subtract=False, into=None):
    """The line target[index] += contribution (-= where `subtract`), for the index of that
    role; where it names a slot twice, its contributions are summed (plain += would keep only
    the last). Logged, if at[LOG] is given, as (target, index, line, contribution, subtract,
    the line writing the contribution into place instead, or None): `into`, given, makes that
    line of the slice target[index] (into.format(it)); see pass_gradients_on."""
    into_line = None
    if names_a_slot_twice(arrays[role]):
        line = f"np.{'subtract' if subtract else 'add'}.at({target}, {at[role]}, {contribution})"
        contribution = None  # (never a local)
    else:
        line = f"{target}[{at[role]}] {'-' if subtract else '+'}= {contribution}"
        if into is not None and not subtract and isinstance(arrays[role], slice):
            into_line = into.format(f"{target}[{at[role]}]")
    if LOG in at:
        at[LOG].append((target, arrays[role], line, contribution, subtract, into_line))
    return line


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
    wanted = [k for k in range(len(group.batched_inputs)) if group.wanted[k]]
    fixed = constant_partials(group.rule, len(group.batched_inputs))
    inputs = ", ".join(arguments(group, at))
    lines = [heading(group), f"up = {output(group, at, gradient=True)}"]
    one_input = len(group.batched_inputs) == 1  # its one partial: the rule's derivative
    if not one_input and any(k not in fixed for k in wanted):
        lines.append(f"d = {rule}.partials({inputs}, {output(group, at)})")
    for k in wanted:
        from_batch = group.batched_inputs[k]
        # a constant partial (+'s 1, -'s -1) multiplies nothing: upstream itself, added or
        # taken away
        factor = fixed.get(k)
        term = "up" if factor in (1.0, -1.0) else f"{factor!r} * up" if factor is not None \
            else f"{rule}.derivative({inputs}, {output(group, at)}) * up" if one_input \
            else f"d[{k}] * up"
        if group.batched and not from_batch:
            term = f"({term}).sum(axis=-1)" if "*" in term else f"{term}.sum(axis=-1)"
        target = "gb" if from_batch else "gs"
        lines.append(added(target, f"in{k}", arrays, at, term, subtract=factor == -1.0))
    return lines


@functools.lru_cache(maxsize=1024)  # (asked once per rule, not once per group)
def constant_partials(rule, arity):
    """{input position: its partial} for the partials of a rule that are the same number
    whatever the inputs (+'s 1.0 and 1.0, -'s 1.0 and -1.0, neg's -1.0): what the rule gives
    as a plain number, the same at two made-up points. (The rule table stays the one place
    that says so.)"""
    answers = []
    with np.errstate(all="ignore"):
        for seed in (1, 2):
            inputs = np.random.default_rng(seed).uniform(0.5, 2.0, size=(arity + 1, 1, 2))
            try:
                answers.append(rule.partials(*inputs))
            except Exception:  # noqa: BLE001 - a rule of one's own that needs other inputs
                return {}
    return {k: float(a) for k, (a, b) in enumerate(zip(*answers))
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a == b}


# ---- rules of any number of inputs: given stacked, (arity, G) or (arity, G, B) ----

def stacked(group, at):
    if "in" in at:  # (one node's inputs are a row index, often a slice: no gather)
        return f"{'b' if group.batched else 's'}[{at['in']}{', None' * (group.size == 1)}]"
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
            f"{output(group, at)} = {layer}.value({weights_read(group, at)}, "
            f"b[{at['inputs']}], s[{at['bias']}])"]


def layer_backward(group, layer, arrays, at):
    want_weights, want_inputs, want_bias = group.layer.wanted
    if not (want_weights or want_inputs or want_bias):
        return []
    lines = [layer_heading(group), f"up = {output(group, at, gradient=True)}"]
    if want_weights:
        lines.append(weights_added(group, arrays, at,
                                   f"{layer}.weights_gradient(b[{at['inputs']}], up)"))
    if want_inputs:
        lines.append(added("gb", "inputs", arrays, at,
                           f"{layer}.inputs_gradient({weights_read(group, at)}, up, "
                           f"dense={group.layer.dense})"))
    if want_bias:
        lines.append(added("gs", "bias", arrays, at, f"{layer}.bias_gradient(up)",
                           into=f"{layer}.bias_gradient(up, into={{}})"))
    return lines


# A layer's weights usually lie in the shared slots as a grid: neuron after neuron, each one's
# weights side by side (MLP's w1..wn, b; Linear's rows). Read as a view of `s` (a reshape of a
# slice), the (n, G) weights cost no gather each step and their gradient no scatter.

def weights_read(group, at):
    """The layer's (n, G) weights as the program reads them: a view of `s` where they lie on
    a grid, else gathered by their index."""
    view = weights_view(group)
    if view is None:
        return f"s[{at['weights']}]"
    window, columns, transposed = view
    return f"s[{window}]{columns}{'.T' * transposed}"


def weights_added(group, arrays, at, gradient):
    """The line adding the (n, G) `gradient` (a call of the layer form's weights_gradient) to
    the weights' slots of `gs`: into a view where they lie on a grid (transposed to the view's
    (G, n) when the grid runs neuron by neuron). Logged with the line that writes the gradient
    straight into that view instead (weights_gradient(..., into=view)), for pass_gradients_on
    to use where the line is the slots' one writer."""
    view = weights_view(group)
    if view is None:
        return added("gs", "weights", arrays, at, gradient)
    window, columns, transposed = view
    into = f"gs[{window}]{columns}{'.T' * transposed}"  # (n, G), as the gradient
    target = columns + ("" if columns.endswith("]") else "[:]")  # (a subscript to add into)
    line = f"gs[{window}]{target} += {gradient}{'.T' * transposed}"
    if LOG in at:
        at[LOG].append(("gs", group.layer.weights, line, None, False,
                        f"{gradient[:-1]}, into={into})"))
    return line


def weights_view(group):
    """The layer's weights as a view of the shared slots (see grid_view), or None."""
    return grid_view(group.layer.weights, layer_bound(group))


def layer_bound(group):
    """One past the last shared slot the layer reads: a view's window may reach that far."""
    last = int(group.layer.weights.max())
    index = group.layer.bias
    if isinstance(index, slice):
        last = max(last, index.start + (group.size - 1) * (index.step or 1))
    else:
        last = max(last, int(np.max(index)))
    return last + 1


def grid_view(slots, bound):
    """(window, columns, transposed) when the slots (n, G) are a view of a 1-D array:
    `array[window]{columns}` then `.T` if transposed, within [0, bound); else None.

    Neuron by neuron, slots[i, g] = base + i + g·stride (stride >= n): the window's rows of
    `stride` slots, one per neuron, hold each neuron's n weights at the same columns. Input by
    input, slots[i, g] = base + i·stride + g (stride >= G): the rows are the inputs."""
    for transposed, grid in ((True, slots.T), (False, slots)):
        rows, width = grid.shape  # each row: `width` consecutive slots, rows `stride` apart
        base = int(grid[0, 0])
        stride = int(grid[1, 0] - base) if rows > 1 else width
        if stride < width or (grid != base + np.arange(width)
                              + stride * np.arange(rows)[:, None]).any():
            continue
        for start in (base, base - (stride - width)):  # the grid at the rows' start, or end
            if start >= 0 and start + rows * stride <= bound:
                first = base - start
                # (no column slice where the rows hold nothing else: one call fewer)
                columns = "" if stride == width else f"[:, {first}:{first + width}]"
                return (f"{start}:{start + rows * stride}",
                        f".reshape({rows}, {stride}){columns}", transposed)
    return None


# ---- dot nodes whose weights are per sample too (cross-entropy's one-hot target · logits) ----
# The rule's layer form takes them as (n, G, B) arrays: products summed, no (2n + 1, G, B)
# stack of every input and no sum written out term by term.

def per_sample_products(group):
    """Does the rule's layer form evaluate this group as products of per-sample numbers? Its
    inputs (w1..wn, x1..xn, b) have the w and the x all per sample."""
    if group.rule.layer is None or group.layer is not None or not group.batched:
        return False
    n = len(group.batched_inputs) // 2
    return all(group.batched_inputs[:2 * n])


def products_arrays(group):
    """The rows of the weights and the inputs, (n, G) or for one node (n,), and the bias."""
    n = len(group.input_slots) // 2
    rows = (lambda slots: as_index(slots[:, 0])) if group.size == 1 else (lambda slots: slots)
    return {"weights": rows(group.input_slots[:n]), "inputs": rows(group.input_slots[n:2 * n]),
            "bias": as_index(group.input_slots[2 * n])}


def products_read(group, at, role):
    """The weights or the inputs as (n, G, B): one node's rows get a G axis of 1."""
    return f"b[{at[role]}{', None' * (group.size == 1)}]"


def products_heading(group):
    return f"{heading(group)}: per-sample weights, products summed ({group.rule.name}'s layer form)"


def products_forward(group, rule, at):
    layer = f"{rule}.layer"  # (the group's constant is its rule; plan.py marks no layer)
    bias = f"{'b' if group.batched_inputs[-1] else 's'}[{at['bias']}]"
    return [products_heading(group),
            f"{output(group, at)} = {layer}.value({products_read(group, at, 'weights')}, "
            f"{products_read(group, at, 'inputs')}, {bias})"]


def products_backward(group, rule, arrays, at):
    layer = f"{rule}.layer"
    n = len(group.wanted) // 2
    want_weights, want_inputs, want_bias = any(group.wanted[:n]), any(group.wanted[n:2 * n]), \
        group.wanted[2 * n]
    if not (want_weights or want_inputs or want_bias):
        return []
    lines = [products_heading(group), f"up = {output(group, at, gradient=True)}"]
    one_node = "[:, 0]" * (group.size == 1)  # (n, 1, B) -> the rows' (n, B)
    # ∂/∂w = x and ∂/∂x = w, per sample: the layer form's inputs gradient, either way round
    for role, other, wanted in (("weights", "inputs", want_weights),
                                ("inputs", "weights", want_inputs)):
        if wanted:
            lines.append(added("gb", role, arrays, at,
                               f"{layer}.inputs_gradient({products_read(group, at, other)}, "
                               f"up, dense=False){one_node}"))
    if want_bias and group.batched_inputs[-1]:
        lines.append(added("gb", "bias", arrays, at, "up"))
    elif want_bias:
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
    if type(local) is np.ndarray and local.ndim == upstream.ndim + 1:  # (the usual case)
        return local
    if isinstance(local, (tuple, list)):  # one partial per input, of shapes that broadcast
        local = np.broadcast_arrays(*local)
    local = np.asarray(local, dtype=float)
    return local.reshape(local.shape + (1,) * (upstream.ndim + 1 - local.ndim))
