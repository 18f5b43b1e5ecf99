"""Trace once, replay over a whole batch: the rule table evaluated on numpy arrays.

`trace(f, example)` calls `f` once on Values standing for one sample and records the graph it
builds as a flat tape. `tape.backward(batch)` then evaluates that tape for every row of `batch`
at once — each node's value and local derivatives from its rule in `ops.py`, on arrays instead
of floats — and adds the gradient of the batch's mean output to every captured Value's `.grad`,
exactly as backward() on the mean of the eagerly computed outputs would (to rounding).

`tape.value_and_grad(batch, at=vector)` does the same without writing anything: it returns the
outputs and the gradient as a vector, at parameter values given as a vector (a training loop's
parameters can stay in numpy between steps).

Nodes of the same operation at the same depth do not depend on each other, so each such group
is one numpy call over (nodes × samples): a layer of 16 neurons is one call, not 16. Each
group writes a few lines of numpy; together they make the tape's forward and backward
functions, compiled once (`tape.source` is their text), so a replay runs no interpreter loop.

A trace records one path through the function. What it cannot follow — a branch or a constant
that depends on the data — is refused: comparing Values while tracing raises TraceError, and
every tape is checked against the eager engine on the examples given before it is used.
"""
import math
from numbers import Real

import numpy as np

from . import ops
from .backward import topological_order
from .value import (TraceError, Value, apply_rule, apply_rule_many, as_float,
                    is_sequence, no_grad, tracing)
from .walk import data_of, local_derivatives


def _index(slots):
    """Slots as an index into a slot array: a slice when they are evenly spaced upward (reading
    it gives a view, no copy; writing it needs no index array), else an array of integers."""
    slots = np.asarray(slots, dtype=np.intp)
    if len(slots) == 1:
        return slice(int(slots[0]), int(slots[0]) + 1)
    steps = np.diff(slots)
    if len(slots) and steps[0] > 0 and (steps == steps[0]).all():
        return slice(int(slots[0]), int(slots[-1]) + 1, int(steps[0]))
    return slots


def _names_a_slot_twice(index):
    return not isinstance(index, slice) and len(np.unique(index)) < np.size(index)


def _stack_mixed(shared, batched, batched_rows, shared_rows, mask):
    """The stacked inputs (arity, G, B) of a many-input rule that reads both kinds of slot."""
    stacked = np.empty((len(mask),) + (batched_rows.shape[1], batched.shape[1]))
    stacked[mask] = batched[batched_rows]
    stacked[~mask] = shared[shared_rows][..., None]
    return stacked


def _expand(local, upstream):
    """A many-input rule's partials (arity, G) or (arity, G, B), shaped to multiply upstream."""
    local = np.asarray(local, dtype=float)
    return local.reshape(local.shape + (1,) * (upstream.ndim + 1 - local.ndim))


class _Group:
    """Nodes with one rule at one depth whose inputs come from the same kinds of slot:
    evaluated together, one numpy call for all of them and every sample.

    Shared slots (array `s`) hold one number for the whole batch, batched slots (array `b`)
    one per sample. A shared group (all its inputs shared) works on (G,) arrays; a batched
    group on (G, B) arrays, its shared inputs given as (G, 1) so that numpy broadcasts them.
    A group's outputs are consecutive slots, so most groups read their inputs as slices.

    A group writes its part of the tape's program: a few lines of numpy for the forward pass
    (the rule's value) and for the backward pass (upstream × the rule's partials, added into
    the gradients `gs` and `gb` of the input slots)."""

    def __init__(self, number, rule, nodes, slot, batched, wanted):
        self.number, self.rule, self.size = number, rule, len(nodes)
        # per position: does any of its inputs lead back to a parameter? If not, no gradient
        # flows there (the sample's own inputs, constants).
        self.wanted = [any(wanted[n.parents[k]] for n in nodes)
                       for k in range(len(nodes[0].parents))]
        self.outputs = _index([slot[n] for n in nodes])
        self.inputs = np.array([[slot[p] for p in n.parents] for n in nodes], dtype=np.intp).T
        self.pattern = [batched[p] for p in nodes[0].parents]  # per position: per sample?
        self.is_batched = batched[nodes[0]]
        self.rows = [_index(row) for row in self.inputs]  # (arity,) indexes of G slots
        self.constants = {f"rule{number}": rule}  # the names the program's lines use

    def _name(self, index, tag):
        """How the program writes an index: a slice literal, or the name of an array."""
        if isinstance(index, slice):
            step = "" if index.step in (None, 1) else f":{index.step}"
            return f"{index.start}:{index.stop}{step}"
        name = f"i{self.number}_{tag}"
        self.constants[name] = index
        return name

    def _arguments(self):
        return [f"b[{self._name(row, k)}]" if from_batch else
                f"s[{self._name(row, k)}][:, None]" if self.is_batched else
                f"s[{self._name(row, k)}]"
                for k, (from_batch, row) in enumerate(zip(self.pattern, self.rows))]

    def _out(self, gradient=False):
        """The group's outputs as the program writes them: in `s` or `b`, or (gradient) in
        `gs` or `gb`."""
        array = ("g" if gradient else "") + ("b" if self.is_batched else "s")
        return f"{array}[{self._name(self.outputs, 'out')}]"

    def _heading(self):
        return f"# {self.rule.name} of {self.size} node{'s' * (self.size > 1)}"

    def forward_code(self):
        if self.rule.variadic:
            return [self._heading(), f"{self._out()} = rule{self.number}.value({self._stacked()})"]
        return [self._heading(),
                f"{self._out()} = rule{self.number}.value({', '.join(self._arguments())})"]

    def backward_code(self):
        if not any(self.wanted):
            return []
        if self.rule.variadic:
            return self._backward_many()
        lines = [self._heading(), f"up = {self._out(gradient=True)}",
                 f"d = rule{self.number}.partials({', '.join(self._arguments())}, {self._out()})"]
        for k, (from_batch, row) in enumerate(zip(self.pattern, self.rows)):
            if not self.wanted[k]:
                continue
            contribution = f"d[{k}] * up"
            if not from_batch and self.is_batched:
                contribution = f"({contribution}).sum(axis=-1)"  # one number for the batch
            lines.append(_added("gb" if from_batch else "gs", self._name(row, k), contribution,
                                _names_a_slot_twice(row)))
        return lines

    # -- rules with any number of inputs take them stacked: (arity, G) or (arity, G, B) --

    def _stacked(self):
        if all(self.pattern) or not self.is_batched:
            return f"{'b' if self.is_batched else 's'}[{self._name(self.inputs, 'in')}]"
        mask = np.array(self.pattern, dtype=bool)
        self.constants.update({f"i{self.number}_b": self.inputs[mask],
                               f"i{self.number}_s": self.inputs[~mask],
                               f"mask{self.number}": mask})
        n = self.number
        return f"_stack_mixed(s, b, i{n}_b, i{n}_s, mask{n})"

    def _backward_many(self):
        n = self.number
        lines = [self._heading(), f"up = {self._out(gradient=True)}",
                 f"contributions = _expand(rule{n}.partials({self._stacked()}, {self._out()}), "
                 f"up) * up"]
        batched, wanted = np.array(self.pattern, dtype=bool), np.array(self.wanted, dtype=bool)
        to_batched, to_shared = batched & wanted, ~batched & wanted
        batched_rows, shared_rows = self.inputs[to_batched], self.inputs[to_shared]
        if len(batched_rows):
            pick = "" if to_batched.all() else f"[to_batched{n}]"
            self.constants[f"to_batched{n}"] = to_batched
            lines.append(_added("gb", self._name(batched_rows.ravel(), "b_flat"),
                                f"contributions{pick}.reshape(-1, up.shape[-1])",
                                _names_a_slot_twice(batched_rows.ravel())))
        if len(shared_rows):
            part = "contributions" if to_shared.all() else f"contributions[to_shared{n}]"
            self.constants[f"to_shared{n}"] = to_shared
            if self.is_batched:
                part += ".sum(axis=-1)"
            lines.append(_added("gs", self._name(shared_rows.ravel(), "s_flat"),
                                f"{part}.ravel()", _names_a_slot_twice(shared_rows.ravel())))
        return lines


def _added(target, index, contribution, repeats):
    """The line target[index] += contribution; where a slot is named twice its contributions
    are summed (plain += would keep only the last)."""
    if repeats:
        return f"np.add.at({target}, {index}, {contribution})"
    return f"{target}[{index}] += {contribution}"


class _NeuronGroup(_Group):
    """dot nodes whose weights and bias are shared and whose inputs vary per sample: a layer
    of neurons. The same rule (w·x + b, ∂/∂w = x, ∂/∂x = w, ∂/∂b = 1), evaluated as matrix
    products instead of elementwise, so that no (inputs × neurons × samples) array is built.
    Where every neuron of the group reads the same inputs (a dense layer) it is one matmul."""

    def __init__(self, number, rule, nodes, slot, batched, wanted):
        super().__init__(number, rule, nodes, slot, batched, wanted)
        n = len(nodes[0].parents) // 2
        # gradients wanted for the weights, the inputs, the bias
        self.wanted = [any(self.wanted[:n]), any(self.wanted[n:2 * n]), self.wanted[2 * n]]
        weights, xs = self.inputs[:n], self.inputs[n:2 * n]  # (n, G) each
        self.dense = bool((xs == xs[:, :1]).all())  # each input row: one slot for all
        xs = _index(xs[:, 0]) if self.dense else xs
        self.weights, self.xs = self._name(weights, "w"), self._name(xs, "x")
        self.bias = self._name(self.rows[2 * n], "bias")
        self.repeats = [_names_a_slot_twice(index) for index in (weights, xs, self.rows[2 * n])]

    @staticmethod
    def fits(rule, nodes, batched):
        parents = nodes[0].parents
        n = len(parents) // 2
        return (rule is ops.DOT and not any(batched[p] for p in parents[:n])
                and all(batched[p] for p in parents[n:2 * n]) and not batched[parents[-1]])

    def _heading(self):
        kind = "a dense layer, one matrix product" if self.dense else "neurons"
        return f"# dot of {self.size} node{'s' * (self.size > 1)}: {kind}"

    def forward_code(self):
        if self.dense:
            weighted = f"s[{self.weights}].T @ b[{self.xs}]"
        else:
            weighted = f'np.einsum("ng,ngb->gb", s[{self.weights}], b[{self.xs}])'
        return [self._heading(), f"{self._out()} = {weighted} + s[{self.bias}][:, None]"]

    def backward_code(self):
        if self.dense:  # (n, G) Σ over samples of x·upstream; (n, B) Σ over neurons of w·upstream
            d_weights, d_xs = f"b[{self.xs}] @ up.T", f"s[{self.weights}] @ up"
            if self.size == 1:  # one neuron: an outer product, cheaper elementwise
                d_xs = f"s[{self.weights}] * up"
        else:
            d_weights = f'np.einsum("ngb,gb->ng", b[{self.xs}], up)'
            d_xs = f"s[{self.weights}][:, :, None] * up[None]"
        lines = [_added("gs", self.weights, d_weights, self.repeats[0]),
                 _added("gb", self.xs, d_xs, self.repeats[1]),
                 _added("gs", self.bias, "up.sum(axis=1)", self.repeats[2])]
        lines = [line for line, wanted in zip(lines, self.wanted) if wanted]
        return [self._heading(), f"up = {self._out(gradient=True)}", *lines] if lines else []


class Tape:
    """A traced function, ready to replay over batches (see `trace`).

    Slots are of two kinds: shared ones (parameters, constants and what is computed from them
    alone, such as an L2 penalty) hold one number for the whole batch; batched ones (the
    sample and everything computed from it) hold one number per sample. The parameters (`wrt`)
    take the first shared slots, in their order, so a vector of them goes in as one copy.

    The groups' lines make one short numpy program, compiled once: `tape.source` shows it."""

    def __init__(self, outputs, order, placeholders, captured, wrt=None):
        inputs = set(placeholders)
        # Every input is per sample, used or not: batch column i is placeholder i.
        batched = dict.fromkeys(placeholders, True)
        for node in order:
            batched[node] = node in inputs or any(batched[p] for p in node.parents)
        depth, groups = {}, {}
        for node in order:
            if not node.parents:
                depth[node] = 0
                continue
            depth[node] = 1 + max(depth[p] for p in node.parents)
            key = (batched[node], depth[node], node._rule,
                   tuple(batched[p] for p in node.parents))
            groups.setdefault(key, []).append(node)
        ordered = sorted(groups.items(), key=lambda item: (item[0][0], item[0][1]))

        # the leaves that receive gradients: every captured one, or those asked for
        self.wrt = captured if wrt is None else _leaves(wrt, batched)
        chosen = set(self.wrt)
        self.others = [c for c in captured if c not in chosen]  # read afresh too
        self.input_count = len(placeholders)
        slot, counts = {}, [0, 0]
        for node in [*self.wrt, *self.others, *placeholders] + \
                [node for _, nodes in ordered for node in nodes]:
            kind = batched.get(node, False)
            slot[node] = counts[kind]
            counts[kind] += 1
        self.shared_size, self.batched_size = counts
        self.outputs = [(batched[o], slot[o]) for o in outputs]
        wanted = {}  # does the node lead back to a parameter (a Value of wrt)?
        for node in order:
            wanted[node] = node in chosen or any(wanted[p] for p in node.parents)
        self.groups = [
            (_NeuronGroup if is_batched and _NeuronGroup.fits(rule, nodes, batched) else _Group)(
                number, rule, nodes, slot, batched, wanted)
            for number, ((is_batched, _, rule, _), nodes) in enumerate(ordered)]
        self.size = len(order)
        self._compile()

    def _compile(self):
        forward = ["def forward(s, b):"]
        backward = ["def backward(s, b, gs, gb):"]
        for group in self.groups:
            forward += ["    " + line for line in group.forward_code()]
        for group in reversed(self.groups):
            backward += ["    " + line for line in group.backward_code()]
        if len(forward) == 1:
            forward.append("    pass  # the function records no operation")
        if len(backward) == 1:
            backward.append("    pass  # nothing here leads back to a parameter")
        legend = ["# s: the shared slots (parameters, constants), one number each; b: the batched",
                  "# slots (the sample and what is made from it), one row of numbers per slot,",
                  "# one column per sample; gs, gb: their gradients, accumulated by the backward",
                  "# pass from the output back.", ""]
        self.source = "\n".join(legend + forward + ["", ""] + backward) + "\n"
        namespace = {"np": np, "_stack_mixed": _stack_mixed, "_expand": _expand}
        for group in self.groups:
            namespace.update(group.constants)
        exec(compile(self.source, "<tape>", "exec"), namespace)
        self._forward_program, self._backward_program = namespace["forward"], namespace["backward"]

    def __repr__(self):
        return (f"<tape of {self.size} nodes in {len(self.groups)} batched operations, "
                f"{self.input_count} inputs per sample>")

    # -- running the program --

    def _forward(self, batch, at=None):
        try:
            batch = np.asarray(batch)
        except ValueError:
            raise TypeError("the tape takes a batch of numbers, got rows of different "
                            "lengths") from None
        if batch.dtype.kind not in "biuf":
            raise TypeError(f"the tape takes a batch of numbers, got an array of {batch.dtype}")
        batch = batch.astype(float, copy=False)
        if batch.ndim != 2 or batch.shape[1] != self.input_count:
            raise ValueError(f"the tape takes a batch of shape (samples, "
                             f"{self.input_count}), got {batch.shape}")
        if len(batch) == 0:
            raise ValueError("the batch is empty: give at least one sample")
        width, known = len(batch), len(self.wrt)
        shared = np.empty(self.shared_size)
        shared[:known] = values_to_vector(self.wrt) if at is None else self._point(at)
        shared[known:known + len(self.others)] = list(map(data_of, self.others))
        batched = np.empty((self.batched_size, width))
        batched[:self.input_count] = batch.T
        self._forward_program(shared, batched)
        if not _all_finite(shared, batched):  # (NaN or inf in the data itself flows on, IEEE)
            self._explain_non_finite(shared, batched)
        return shared, batched

    def _point(self, at):
        at = np.asarray(at, dtype=float)
        if at.shape != (len(self.wrt),):
            raise ValueError(f"`at` gives the {len(self.wrt)} parameters' values as one vector, "
                             f"got an array of shape {at.shape}")
        return at

    def _backward(self, shared, batched):
        """d mean(first output) / d every shared slot."""
        shared_grads, batched_grads = np.zeros_like(shared), np.zeros_like(batched)
        is_batched, out = self.outputs[0]
        if is_batched:
            batched_grads[out] = 1.0 / batched.shape[1]
        else:
            shared_grads[out] = 1.0
        self._backward_program(shared, batched, shared_grads, batched_grads)
        return shared_grads

    # -- what users call --

    def run(self, batch):
        """The traced outputs for every row of batch: a list of arrays, one per output."""
        with np.errstate(all="ignore"):
            shared, batched = self._forward(batch)
        return self._outputs(shared, batched)

    def value_and_grad(self, batch, at=None):
        """The outputs for every row of batch, and the gradient of the first output's batch
        mean with respect to `wrt` (the parameters), as a vector in wrt's order.

        at: the parameters' values to use, as a vector in wrt's order (see values_to_vector);
            by default their `.data`. Nothing is written: no `.grad`, no `.data`, so a
            training loop can keep its parameters in one numpy vector between steps."""
        with np.errstate(all="ignore"):
            shared, batched = self._forward(batch, at)
            gradient = self._backward(shared, batched)[:len(self.wrt)]
        if not _all_finite(gradient) and _all_finite(shared, batched):
            with np.errstate(all="ignore"):
                self._explain_non_finite_gradient(shared, batched)
        return self._outputs(shared, batched), gradient

    def backward(self, batch):
        """Add d mean(first output over the batch) / d v to `.grad` of every Value v in `wrt`
        (the parameters), like backward() on the mean; return the per-sample outputs."""
        outputs, gradient = self.value_and_grad(batch)
        for leaf, g in zip(self.wrt, gradient.tolist()):
            leaf.grad += g
        return outputs

    def _outputs(self, shared, batched):
        width = batched.shape[1]
        return [batched[s] if b else np.full(width, shared[s]) for b, s in self.outputs]

    # -- saying what went wrong, as the eager engine would, naming the sample --
    # Only when a pass gave inf or NaN; the batch is looked at CHUNK samples at a time, so that
    # no (inputs × nodes × samples) array is ever built whole.

    CHUNK = 256

    @staticmethod
    def _group_inputs(group, shared, batched, columns):
        """A group's inputs for some samples, as one (arity, G, len(columns)) array."""
        rows = [batched[row][:, columns] if is_batched else shared[row][:, None]
                for is_batched, row in zip(group.pattern, group.rows)]
        return np.stack(np.broadcast_arrays(*rows, np.empty((1, len(columns))))[:-1])

    @staticmethod
    def _group_outputs(group, shared, batched):
        return batched[group.outputs] if group.is_batched else shared[group.outputs][:, None]

    def _chunks(self, group, shared, batched, look):
        """(columns, inputs) for the samples where `look` (B,) holds, a chunk at a time."""
        columns = np.flatnonzero(look) if group.is_batched else np.zeros(min(1, look.any()), int)
        for start in range(0, len(columns), self.CHUNK):
            chunk = columns[start:start + self.CHUNK]
            yield chunk, self._group_inputs(group, shared, batched, chunk)

    def _explain_non_finite(self, shared, batched, limit=1000):
        """Find the first node and sample where the eager rule would have refused its inputs
        (log of a negative number, an overflow from finite numbers, log(-inf), ...) and raise
        its error, naming the sample. NaN and inf that IEEE arithmetic makes from NaN and inf
        data (inf - inf, exp(inf)) flow on, as they do eagerly."""
        for group in self.groups:
            outputs = self._group_outputs(group, shared, batched)
            # the samples worth a look: a non-finite result, or an infinite input (which may
            # give a finite result the eager rule refuses, as (-inf) ** -2.5 does)
            look = np.zeros(batched.shape[1], bool)
            look |= ~np.isfinite(outputs).all(axis=0)
            for is_batched, row in zip(group.pattern, group.rows):
                look |= np.isinf(batched[row] if is_batched else shared[row][:, None]).any(axis=0)
            for columns, inputs in self._chunks(group, shared, batched, look):
                results = np.broadcast_to(outputs[:, columns] if group.is_batched else outputs,
                                          inputs.shape[1:])
                finite = np.isfinite(inputs).all(axis=0)
                suspects = (~np.isfinite(results) | ~finite) & ~np.isnan(inputs).any(axis=0)
                for node, k in np.argwhere(suspects)[:limit]:
                    xs = [float(x) for x in inputs[:, node, k]]
                    with no_grad():
                        leaves = [Value(x) for x in xs]
                        try:
                            if group.rule.variadic:
                                apply_rule_many(group.rule, leaves)
                            else:
                                apply_rule(group.rule, *leaves)
                        except ArithmeticError as error:
                            raise _at_sample(type(error), group, columns[k], str(error)) \
                                from None
                    if finite[node, k]:
                        raise _at_sample(OverflowError, group, columns[k],
                                         f"{group.rule.describe(xs)} is not finite")
                limit -= min(limit, int(suspects.sum()))
                if not limit:
                    return

    def _explain_non_finite_gradient(self, shared, batched):
        """A gradient is inf or NaN although every value is finite: find the operation whose
        local derivative is to blame and let the eager rule say why; else the sum of the
        contributions overflowed."""
        everyone = np.ones(batched.shape[1], bool)
        for group in self.groups:
            outputs = self._group_outputs(group, shared, batched)
            for columns, inputs in self._chunks(group, shared, batched, everyone):
                results = outputs[:, columns] if group.is_batched else outputs
                partials = group.rule.partials(inputs, results) if group.rule.variadic else \
                    group.rule.partials(*inputs, results)
                for partial in partials:
                    bad = np.argwhere(~np.isfinite(np.broadcast_to(partial, inputs.shape[1:])))
                    if not len(bad):
                        continue
                    node, k = bad[0]
                    xs = [float(x) for x in inputs[:, node, k]]
                    out = float(np.broadcast_to(results, inputs.shape[1:])[node, k])
                    try:
                        local_derivatives(group.rule, xs, out)
                    except ArithmeticError as error:
                        raise _at_sample(type(error), group, columns[k], str(error)) from None
                    raise _at_sample(OverflowError, group, columns[k],
                                     f"backward through {group.rule.describe(xs)}: the "
                                     f"derivative is not finite")
        raise OverflowError("a gradient overflowed in the batched backward pass although every "
                            "value is finite (a sum of large contributions)")


def _at_sample(kind, group, sample, message):
    """An error of type `kind` that names the sample of the batch (for a per-sample group);
    `.sample` and `.detail` let a caller name the sample its own way."""
    if not group.is_batched:
        return kind(message)
    error = kind(f"sample {sample} of the batch: {message}")
    error.sample, error.detail = int(sample), message
    return error


def _all_finite(*arrays):
    # A sum is finite only if every term is (inf and NaN never cancel out), so one sum per
    # array answers at once in the usual case; only a sum that overflowed needs a closer look.
    return all(math.isfinite(a.sum()) or np.isfinite(a).all() for a in arrays)


def _leaves(wrt, batched):
    """wrt as a list, checked: distinct Values, none of them computed by the function."""
    wrt = [wrt] if isinstance(wrt, Value) else list(wrt)
    for position, v in enumerate(wrt):
        if not isinstance(v, Value):
            raise TypeError(f"wrt takes Values; item {position} is {type(v).__name__}")
        if v.parents and v in batched:
            raise ValueError(f"wrt item {position} ({v!r}) is computed by the traced "
                             f"function: gradients are taken with respect to leaves "
                             f"(parameters)")
    if len(set(wrt)) < len(wrt):
        raise ValueError("wrt names the same Value twice")
    return wrt


def values_to_vector(values):
    """The `.data` of Values as one numpy vector (a model's parameters, say)."""
    values = list(values)
    return np.fromiter(map(data_of, values), dtype=float, count=len(values))


def vector_to_values(vector, values):
    """Set each Value's `.data` from a vector of the same length, in order."""
    values, vector = list(values), np.asarray(vector, dtype=float)
    if vector.shape != (len(values),):
        raise ValueError(f"a vector of {len(values)} numbers is needed for {len(values)} "
                         f"Values, got shape {vector.shape}")
    for v, x in zip(values, vector.tolist()):
        v.data = x


def trace(function, example, checks=(), wrt=None):
    """Record `function` on one sample and return a Tape that replays it over batches.

    function: takes a list of Values (one sample's numbers) and returns a Value, or a tuple of
        Values whose first is the one to differentiate (the loss) and the rest reported.
    example: the sample to trace with (a sequence of numbers).
    checks: more samples; on each, the tape must agree with the eager engine, or TraceError.
    wrt: the Values that Tape.backward gives gradients to (say, model.parameters()); by
        default every Value the function uses that is not made from the sample.
    Every Value the function uses that is not made from the sample (parameters, constants) is
    read afresh at every replay.
    """
    example = _sample(example, "trace's example")
    checks = [_sample(check, f"trace's check {i}") for i, check in enumerate(checks)]
    for i, check in enumerate(checks):
        if len(check) != len(example):
            raise ValueError(f"trace's check {i} has {len(check)} numbers; the example has "
                             f"{len(example)}")
    placeholders = [Value(x, label=f"input{i}") for i, x in enumerate(example)]
    token = tracing.set(True)
    try:
        outputs = _as_outputs(function(placeholders))
    finally:
        tracing.reset(token)
    order, seen = [], set()
    for out in outputs:  # one order for all outputs: each one's order is already valid
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    inputs = set(placeholders)
    captured = [n for n in order if not n.parents and n not in inputs]
    tape = Tape(outputs, order, placeholders, captured, wrt)
    _check_against_eager(function, tape, [example, *checks])
    return tape


def _shown(sample, most=8):
    """A sample as a message shows it: its first numbers, and how many more."""
    if len(sample) <= most:
        return repr(sample)
    return f"[{', '.join(map(repr, sample[:most]))}, ... {len(sample) - most} more]"


def _sample(numbers, who):
    """One sample as a list of floats, checked."""
    if not is_sequence(numbers):
        raise TypeError(f"{who} is a sequence of numbers, got {type(numbers).__name__}")
    numbers = list(numbers)
    for position, x in enumerate(numbers):
        if isinstance(x, Value) or not isinstance(x, Real):
            raise TypeError(f"{who} is a sequence of numbers; item {position} is "
                            f"{type(x).__name__}: {x!r}"[:200])
    return [as_float(x, f"{who}, item {position},") for position, x in enumerate(numbers)]


def _as_outputs(result):
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outputs:
        raise TypeError("a traced function returns a Value (or a tuple of Values), got an "
                        "empty one")
    for position, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"a traced function returns Values; output {position} is "
                            f"{type(out).__name__}")
    return outputs


@no_grad()
def _check_against_eager(function, tape, samples):
    """The tape, run once over all the samples, against the function on each one."""
    replayed = tape.run(samples)
    for i, sample in enumerate(samples):
        eager = [out.data for out in _as_outputs(function([Value(x) for x in sample]))]
        for e, column in zip(eager, replayed):
            r = float(column[i])
            agree = math.isclose(e, r, rel_tol=1e-9, abs_tol=1e-12) or \
                (math.isnan(e) and math.isnan(r))
            if not agree:
                raise TraceError(
                    f"the traced tape gives {r!r} where the function itself gives {e!r} for "
                    f"the sample {_shown(sample)}: the function's graph depends on the data (a "
                    f"branch, or a number read from .data), which one trace cannot follow. Use "
                    f"the eager engine.")
