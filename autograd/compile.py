"""Trace once, replay over a whole batch: the rule table evaluated on numpy arrays.

`trace(f, example)` calls `f` once on Values standing for one sample and records the graph it
builds as a flat tape. `tape.backward(batch)` then evaluates that tape for every row of `batch`
at once — each node's value and local derivatives from its rule in `ops.py`, on arrays instead
of floats — and adds the gradient of the batch's mean output to every captured Value's `.grad`,
exactly as backward() on the mean of the eagerly computed outputs would (to rounding).

Nodes of the same operation at the same depth do not depend on each other, so each such group
is one numpy call over (nodes × samples): a layer of 16 neurons is one call, not 16.

A trace records one path through the function. What it cannot follow — a branch or a constant
that depends on the data — is refused: comparing Values while tracing raises TraceError, and
every tape is checked against the eager engine on the examples given before it is used.
"""
import math

import numpy as np

from . import ops
from .backward import topological_order
from .value import Value, _apply, _apply_many, _data_of, _tracing, no_grad


class TraceError(ValueError):
    """The function cannot be traced: its graph depends on the data."""


class _Group:
    """Nodes with one rule at one depth whose inputs come from the same kinds of slot:
    evaluated together, one numpy call for all of them and every sample.

    Shared slots hold one number for the whole batch, batched slots one per sample. A shared
    group (all its inputs shared) works on (G,) arrays; a batched group on (G, B) arrays,
    its shared inputs given as (G, 1) so that numpy broadcasts them."""

    def __init__(self, rule, nodes, slot, batched):
        self.rule = rule
        self.inputs_seen = self.output_seen = None
        self.outputs = np.array([slot[n] for n in nodes])  # (G,)
        self.inputs = np.array([[slot[p] for p in n.parents] for n in nodes]).T  # (arity, G)
        self.pattern = [batched[p] for p in nodes[0].parents]  # per position: per sample?
        self.is_batched = batched[nodes[0]]
        # per position: does a slot appear twice (one x feeding several nodes)? Then its
        # contributions must be summed, not assigned.
        self.repeats = [len(np.unique(row)) < len(row) for row in self.inputs]
        # the same, for rules with many inputs, whose positions are handled all at once
        self.batched_mask = np.array(self.pattern, dtype=bool)
        self.batched_rows = self.inputs[self.batched_mask]
        self.shared_rows = self.inputs[~self.batched_mask]
        flat = self.batched_rows.ravel()
        self.batched_rows_repeat = len(np.unique(flat)) < len(flat)

    def gather(self, shared, batched):
        """The inputs: per position a (G,) or (G, B) array, or one stacked array (arity, G, ...)
        for a rule with any number of inputs."""
        if self.rule.variadic and (all(self.pattern) or not self.is_batched):
            return (batched if self.is_batched else shared)[self.inputs]
        rows = [batched[row] if is_batched else
                shared[row][:, None] if self.is_batched else shared[row]
                for is_batched, row in zip(self.pattern, self.inputs)]
        if not self.rule.variadic:
            return rows
        return np.stack(np.broadcast_arrays(*rows))

    def forward(self, shared, batched):
        # kept for the backward pass that follows (Tape.backward runs one, then the other)
        self.inputs_seen = inputs = self.gather(shared, batched)
        self.output_seen = out = \
            self.rule.value(inputs) if self.rule.variadic else self.rule.value(*inputs)
        return out

    def backward(self, shared, batched, upstream, shared_grads, batched_grads):
        """Add upstream × each local derivative to the inputs' gradients."""
        inputs, out = self.inputs_seen, self.output_seen
        rule = self.rule
        if rule.variadic:
            local = np.asarray(rule.partials(inputs, out), dtype=float)
            local = local.reshape(local.shape + (1,) * (upstream.ndim + 1 - local.ndim))
            self._scatter_all(local * upstream, shared_grads, batched_grads)
            return
        local = rule.partials(*inputs, out)
        for k, (from_batch, row) in enumerate(zip(self.pattern, self.inputs)):
            contribution = local[k] * upstream
            if from_batch:
                target = batched_grads
            else:
                target = shared_grads
                if self.is_batched:
                    contribution = contribution.sum(axis=-1)  # one number for the batch
            if self.repeats[k]:
                np.add.at(target, row, contribution)
            else:
                target[row] += contribution

    def _scatter_all(self, contributions, shared_grads, batched_grads):
        """(arity, G, ...) contributions of a many-input rule, added to their inputs."""
        mask = self.batched_mask
        if len(self.batched_rows):
            part = contributions[mask].reshape(-1, batched_grads.shape[1])
            if self.batched_rows_repeat:
                np.add.at(batched_grads, self.batched_rows.ravel(), part)
            else:
                batched_grads[self.batched_rows.ravel()] += part
        if len(self.shared_rows):
            part = contributions[~mask]
            if self.is_batched:
                part = part.sum(axis=-1)
            shared_grads += np.bincount(self.shared_rows.ravel(), weights=part.ravel(),
                                        minlength=len(shared_grads))


class _NeuronGroup(_Group):
    """dot nodes whose weights and bias are shared and whose inputs vary per sample: a layer
    of neurons. The same rule (w·x + b, ∂/∂w = x, ∂/∂x = w, ∂/∂b = 1), evaluated as matrix
    products instead of elementwise, so that no (inputs × neurons × samples) array is built.
    Where every neuron of the group reads the same inputs (a dense layer) it is one matmul."""

    def __init__(self, rule, nodes, slot, batched):
        super().__init__(rule, nodes, slot, batched)
        n = len(nodes[0].parents) // 2
        self.weights, self.xs = self.inputs[:n], self.inputs[n:2 * n]
        self.bias = self.inputs[2 * n]
        self.dense = bool((self.xs == self.xs[:, :1]).all())  # each input row: one slot for all
        self.x_rows = self.xs[:, 0]
        self.x_rows_unique = len(np.unique(self.x_rows)) == len(self.x_rows)

    @staticmethod
    def fits(rule, nodes, batched):
        parents = nodes[0].parents
        n = len(parents) // 2
        return (rule is ops.DOT and not any(batched[p] for p in parents[:n])
                and all(batched[p] for p in parents[n:2 * n]) and not batched[parents[-1]])

    def forward(self, shared, batched):
        weights = shared[self.weights]  # (n, G)
        if self.dense:
            return weights.T @ batched[self.x_rows] + shared[self.bias][:, None]
        return np.einsum("ng,ngb->gb", weights, batched[self.xs]) + shared[self.bias][:, None]

    def backward(self, shared, batched, upstream, shared_grads, batched_grads):
        weights = shared[self.weights]
        if self.dense:
            xs = batched[self.x_rows]  # (n, B)
            d_weights = xs @ upstream.T  # (n, G): Σ over samples of x · upstream
            d_xs = weights @ upstream  # (n, B): Σ over neurons of w · upstream
            if self.x_rows_unique:
                batched_grads[self.x_rows] += d_xs
            else:
                np.add.at(batched_grads, self.x_rows, d_xs)
        else:
            d_weights = np.einsum("ngb,gb->ng", batched[self.xs], upstream)
            d_xs = weights[:, :, None] * upstream[None]
            np.add.at(batched_grads, self.xs.ravel(), d_xs.reshape(-1, upstream.shape[1]))
        shared_grads += np.bincount(self.weights.ravel(), weights=d_weights.ravel(),
                                    minlength=len(shared_grads))
        shared_grads += np.bincount(self.bias, weights=upstream.sum(axis=1),
                                    minlength=len(shared_grads))


class Tape:
    """A traced function, ready to replay over batches (see `trace`).

    Slots are of two kinds: shared ones (parameters, constants and what is computed from them
    alone, such as an L2 penalty) hold one number for the whole batch; batched ones (the
    sample and everything computed from it) hold one number per sample."""

    def __init__(self, outputs, order, placeholders, captured, wrt=None):
        inputs = set(placeholders)
        batched = {}
        for node in order:
            batched[node] = node in inputs or any(batched[p] for p in node.parents)
        counts, slot = [0, 0], {}
        for node in order:
            slot[node] = counts[batched[node]]
            counts[batched[node]] += 1
        self.shared_size, self.batched_size = counts
        self.outputs = [(batched[o], slot[o]) for o in outputs]
        self.input_slots = np.array([slot[p] for p in placeholders], dtype=int)
        self.captured = captured  # the leaves read live: parameters and constants
        self.captured_slots = np.array([slot[c] for c in captured], dtype=int)
        # the leaves that receive gradients: all captured ones, or those asked for
        self.wrt = captured if wrt is None else [v for v in wrt if v in slot]
        self.wrt_slots = np.array([slot[v] for v in self.wrt], dtype=int)
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
        self.shared_groups = [_Group(k[2], nodes, slot, batched) for k, nodes in ordered
                              if not k[0]]
        self.batched_groups = [
            (_NeuronGroup if _NeuronGroup.fits(k[2], nodes, batched) else _Group)(
                k[2], nodes, slot, batched)
            for k, nodes in ordered if k[0]]
        self.size = len(order)

    def __repr__(self):
        return (f"<tape of {self.size} nodes in "
                f"{len(self.shared_groups) + len(self.batched_groups)} batched operations, "
                f"{len(self.input_slots)} inputs per sample>")

    # -- the two interpreters: each rule of ops.py, on arrays --

    def _forward(self, batch):
        batch = np.asarray(batch, dtype=float)
        if batch.ndim != 2 or batch.shape[1] != len(self.input_slots):
            raise ValueError(f"the tape takes a batch of shape (samples, "
                             f"{len(self.input_slots)}), got {batch.shape}")
        width = len(batch)
        shared = np.empty(self.shared_size)
        shared[self.captured_slots] = list(map(_data_of, self.captured))
        batched = np.empty((self.batched_size, width))
        batched[self.input_slots] = batch.T
        with np.errstate(all="ignore"):
            for group in self.shared_groups:
                shared[group.outputs] = group.forward(shared, batched)
            for group in self.batched_groups:
                batched[group.outputs] = group.forward(shared, batched)
        if not (np.isfinite(shared).all() and np.isfinite(batched).all()) \
                and np.isfinite(batch).all():
            self._explain_non_finite(shared, batched, width)
        return shared, batched

    def _backward(self, shared, batched):
        """d mean(first output) / d every slot (per sample for batched slots)."""
        width = batched.shape[1]
        shared_grads, batched_grads = np.zeros_like(shared), np.zeros_like(batched)
        is_batched, out = self.outputs[0]
        if is_batched:
            batched_grads[out] = 1.0 / width
        else:
            shared_grads[out] = 1.0
        with np.errstate(all="ignore"):
            for group in reversed(self.batched_groups):
                group.backward(shared, batched, batched_grads[group.outputs], shared_grads,
                               batched_grads)
            for group in reversed(self.shared_groups):
                group.backward(shared, batched, shared_grads[group.outputs], shared_grads,
                               batched_grads)
        return shared_grads

    # -- what users call --

    def run(self, batch):
        """The traced outputs for every row of batch: a list of arrays, one per output."""
        shared, batched = self._forward(batch)
        return self._outputs(shared, batched)

    def backward(self, batch):
        """Add d mean(first output over the batch) / d v to `.grad` of every Value v in `wrt`
        (the parameters), like backward() on the mean; return the per-sample outputs."""
        shared, batched = self._forward(batch)
        grads = self._backward(shared, batched)[self.wrt_slots]
        if not np.isfinite(grads).all() and np.isfinite(shared).all() \
                and np.isfinite(batched).all():
            raise OverflowError("a gradient overflowed in the batched backward pass although "
                                "every value is finite")
        for leaf, g in zip(self.wrt, grads.tolist()):
            leaf.grad += g
        return self._outputs(shared, batched)

    def _outputs(self, shared, batched):
        width = batched.shape[1]
        return [batched[s] if b else np.full(width, shared[s]) for b, s in self.outputs]

    def _explain_non_finite(self, shared, batched, width):
        """Find the first node and sample that turned finite numbers into inf or NaN, and let
        the eager rule say what went wrong there (log of a negative number, ...)."""
        for group in self.shared_groups + self.batched_groups:
            rows = [batched[row] if is_batched else shared[row][:, None]
                    for is_batched, row in zip(group.pattern, group.inputs)]
            inputs = np.stack(np.broadcast_arrays(*rows, np.empty((1, width)))[:-1])
            outputs = batched[group.outputs] if group.is_batched else \
                shared[group.outputs][:, None]
            bad = np.argwhere(~np.isfinite(outputs) & np.isfinite(inputs).all(axis=0))
            if len(bad):
                node, sample = bad[0]
                xs = [float(x) for x in inputs[:, node, sample if group.is_batched else 0]]
                with no_grad():
                    leaves = [Value(x) for x in xs]
                    if group.rule.variadic:
                        _apply_many(group.rule, leaves)
                    else:
                        _apply(group.rule, *leaves)
                raise OverflowError(f"sample {sample}: {group.rule.name} of {xs} is not finite")


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
    example = [float(x) for x in example]
    placeholders = [Value(x, label=f"input{i}") for i, x in enumerate(example)]
    token = _tracing.set(True)
    try:
        outputs = _as_outputs(function(placeholders))
    finally:
        _tracing.reset(token)
    order, seen = [], set()
    for out in outputs:  # one order for all outputs: each one's order is already valid
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    inputs = set(placeholders)
    captured = [n for n in order if not n.parents and n not in inputs]
    tape = Tape(outputs, order, placeholders, captured, wrt)
    for sample in [example, *checks]:
        _check_against_eager(function, tape, sample)
    return tape


def _as_outputs(result):
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for position, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"a traced function returns Values; output {position} is "
                            f"{type(out).__name__}")
    return outputs


@no_grad()
def _check_against_eager(function, tape, sample):
    sample = [float(x) for x in sample]
    eager = [out.data for out in _as_outputs(function([Value(x) for x in sample]))]
    replayed = [float(column[0]) for column in tape.run([sample])]
    for e, r in zip(eager, replayed):
        agree = math.isclose(e, r, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(e) and math.isnan(r))
        if not agree:
            raise TraceError(
                f"the traced tape gives {r!r} where the function itself gives {e!r} for the "
                f"sample {sample}: the function's graph depends on the data (a branch, or a "
                f"number read from .data), which one trace cannot follow. Use the eager engine.")
