"""Phase 5, diagnosis: when a run gives inf or NaN, say what went wrong as the eager engine
would, naming the sample.

The program itself never stops on a bad number (numpy gives inf or NaN and goes on); the tape
checks its results once, and only when they are not all finite does it call on this module,
which finds the first operation and sample to blame and lets the eager rule, run on that
sample's numbers, raise its own error. The batch is looked at CHUNK samples at a time, so that
no (inputs × nodes × samples) array is ever built whole.
"""
import numpy as np

from ..value import Value, apply_rule, apply_rule_many, no_grad
from ..walk import local_derivatives

CHUNK = 256


def explain_non_finite_values(plan, shared, batched, limit=1000):
    """After a forward pass with inf or NaN in it: find the first node and sample where the
    eager rule would have refused its inputs (log of a negative number, an overflow from
    finite numbers, log(-inf), nan / 0, ...) and raise its error, naming the sample. NaN and
    inf that the eager engine lets through (inf - inf, exp(inf): IEEE arithmetic) flow on:
    then this returns. At most `limit` suspects are looked at one by one."""
    for group in plan.groups:
        outputs = group_outputs(group, shared, batched)
        # the samples worth a look: a non-finite result, or a non-finite input (which may give
        # a finite result the eager rule refuses, as (-inf) ** -2.5 does)
        look = np.zeros(batched.shape[1], bool)
        look |= ~np.isfinite(outputs).all(axis=0)
        for from_batch, index in zip(group.batched_inputs, group.inputs):
            look |= ~np.isfinite(batched[index] if from_batch else
                                 shared[index][:, None]).all(axis=0)
        for columns, inputs in chunks(group, shared, batched, look):
            results = np.broadcast_to(outputs[:, columns] if group.batched else outputs,
                                      inputs.shape[1:])
            finite = np.isfinite(inputs).all(axis=0)
            suspects = ~np.isfinite(results) | ~finite
            for node, k in np.argwhere(suspects)[:limit]:
                xs = [float(x) for x in inputs[:, node, k]]
                blame_eager_rule(group, xs, columns[k])
                if finite[node, k]:  # finite inputs, a non-finite result: an overflow
                    raise at_sample(OverflowError, group, columns[k],
                                    f"{group.rule.describe(xs)} is not finite")
            limit -= min(limit, int(suspects.sum()))
            if not limit:
                return


def blame_eager_rule(group, xs, sample):
    """Run the group's rule eagerly on the numbers xs; if it refuses them, raise its error,
    naming the sample."""
    with no_grad():
        leaves = [Value(x) for x in xs]
        try:
            if group.rule.variadic:
                apply_rule_many(group.rule, leaves)
            else:
                apply_rule(group.rule, *leaves)
        except ArithmeticError as error:
            raise at_sample(type(error), group, sample, str(error)) from None


def explain_non_finite_gradient(plan, shared, batched, limit=1000):
    """A gradient is inf or NaN: find an operation whose local derivative the eager engine
    refuses (an infinite slope, the log of a negative base) and raise its error, naming the
    sample. Where every value is finite, a non-finite derivative or gradient is an overflow.
    Otherwise the data holds inf or NaN and IEEE arithmetic applies, as it does eagerly: then
    this returns. At most `limit` suspects are looked at one by one."""
    everything_finite = np.isfinite(shared).all() and np.isfinite(batched).all()
    everyone = np.ones(batched.shape[1], bool)
    for group in plan.groups:
        outputs = group_outputs(group, shared, batched)
        for columns, inputs in chunks(group, shared, batched, everyone):
            results = np.broadcast_to(outputs[:, columns] if group.batched else outputs,
                                      inputs.shape[1:])
            partials = group.rule.partials(inputs, results) if group.rule.variadic else \
                group.rule.partials(*inputs, results)
            bad = np.zeros(inputs.shape[1:], bool)
            for partial in partials:
                bad |= ~np.isfinite(np.broadcast_to(partial, inputs.shape[1:]))
            for node, k in np.argwhere(bad)[:limit]:
                xs = [float(x) for x in inputs[:, node, k]]
                try:
                    local_derivatives(group.rule, xs, float(results[node, k]))
                except ArithmeticError as error:
                    raise at_sample(type(error), group, columns[k], str(error)) from None
                if everything_finite:
                    raise at_sample(OverflowError, group, columns[k],
                                    f"backward through {group.rule.describe(xs)}: the "
                                    f"derivative is not finite")
            limit -= min(limit, int(bad.sum()))
            if not limit:
                return
    if everything_finite:
        raise OverflowError("a gradient overflowed in the batched backward pass although every "
                            "value is finite (a sum of large contributions)")


def at_sample(kind, group, sample, message):
    """An error of type `kind` that names the sample of the batch (for a per-sample group);
    `.sample` and `.detail` let a caller name the sample its own way."""
    if not group.batched:
        return kind(message)
    error = kind(f"sample {sample} of the batch: {message}")
    error.sample, error.detail = int(sample), message
    return error


# ---- a group's numbers, a chunk of samples at a time ----

def group_outputs(group, shared, batched):
    """A group's outputs: (G, B), or (G, 1) for a shared group."""
    return batched[group.outputs] if group.batched else shared[group.outputs][:, None]


def group_inputs(group, shared, batched, columns):
    """A group's inputs for some samples, as one (arity, G, len(columns)) array."""
    rows = [batched[index][:, columns] if from_batch else shared[index][:, None]
            for from_batch, index in zip(group.batched_inputs, group.inputs)]
    return np.stack(np.broadcast_arrays(*rows, np.empty((1, len(columns))))[:-1])


def chunks(group, shared, batched, look):
    """(columns, inputs) for the samples where `look` (B,) holds, CHUNK samples at a time
    (for a shared group: its one column, if any sample is worth a look)."""
    columns = np.flatnonzero(look) if group.batched else np.zeros(min(1, look.any()), int)
    for start in range(0, len(columns), CHUNK):
        chunk = columns[start:start + CHUNK]
        yield chunk, group_inputs(group, shared, batched, chunk)
