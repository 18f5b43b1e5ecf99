"""Phase 1, tracing: call the function once on Values standing for one sample, keep the graph it
builds, and check the tape made from it against the eager engine.

A trace records one path through the function. What it cannot follow — a branch or a constant
that depends on the data — is refused: comparing Values while tracing raises TraceError, and
every tape is checked against the eager engine on the examples given before it is used.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from dataclasses import dataclass
from numbers import Real

from ..value import TraceError, Value, as_float, is_sequence, no_grad, tracing
from ..walk import depth_first
from .tape import Tape


@dataclass
class Recording:
    """One sample's graph, as the function built it.

    nodes: every Value the outputs depend on, each after its parents.
    inputs: the Values standing for the sample's numbers (batch column i is inputs[i]).
    outputs: the Values the function returned; the first is the one differentiated.
    captured: the leaves not made from the sample (parameters, constants), in `nodes`' order:
        read afresh at every replay.
    """
    nodes: list
    inputs: list
    outputs: list
    captured: list


def trace(function: Callable[[list[Value]], Any], example: Sequence[float],
          checks: Iterable[Sequence[float]] = (), wrt: Iterable[Value] | None = None) -> Tape:
    """Record `function` on one sample and return a Tape that replays it over batches.

    function: takes a list of Values (one sample's numbers) and returns a Value, or a tuple of
        Values whose first is the one to differentiate (the loss) and the rest reported.
    example: the sample to trace with (a sequence of numbers).
    checks: more samples; on each, the tape must agree with the eager engine, or TraceError.
    wrt: the Values that the tape's gradients are taken with respect to (say,
        model.parameters()); by default every Value the function uses that is not made from
        the sample.
    Every Value the function uses that is not made from the sample (parameters, constants) is
    read afresh at every replay.
    """
    example = checked_sample(example, "trace's example")
    checks = [checked_sample(check, f"trace's check {i}") for i, check in enumerate(checks)]
    for i, check in enumerate(checks):
        if len(check) != len(example):
            raise ValueError(f"trace's check {i} has {len(check)} numbers; the example has "
                             f"{len(example)}")
    recording = record(function, example)
    wrt = recording.captured if wrt is None else checked_wrt(wrt, recording)
    tape = Tape(recording, wrt)
    check_against_eager(function, tape, [example, *checks])
    return tape


def record(function, example):
    """Call `function` on Values standing for `example`, with the tracing flag set (so that a
    comparison of Values, a branch on the data, raises TraceError), and keep its graph."""
    inputs = [Value(x, label=f"input{i}") for i, x in enumerate(example)]
    token = tracing.set(True)
    try:
        outputs = as_outputs(function(inputs))
    finally:
        tracing.reset(token)
    nodes, mark = [], object()
    for out in outputs:  # one order for all outputs: each adds the nodes not marked before it
        nodes += depth_first(out, mark)
    by_hand = [node for node in nodes if node.parents and node.rule.by_hand]
    if by_hand:
        raise TraceError(f"the traced function builds {len(by_hand)} node(s) micrograd's way "
                         f"(Value(data, children, op) with a _backward closure, first "
                         f"{by_hand[0].op!r}): a closure computes on one sample's numbers, so a "
                         f"tape cannot replay it. Define the operation with autograd.define(...), "
                         f"or use the eager engine")
    is_input = set(inputs)
    captured = [node for node in nodes if not node.parents and node not in is_input]
    return Recording(nodes, inputs, outputs, captured)


# ---- checking what the caller gives ----

def checked_sample(numbers, who):
    """One sample as a list of floats, checked."""
    if not is_sequence(numbers):
        raise TypeError(f"{who} is a sequence of numbers, got {type(numbers).__name__}")
    numbers = list(numbers)
    for position, x in enumerate(numbers):
        if isinstance(x, Value) or not isinstance(x, Real):
            raise TypeError(f"{who} is a sequence of numbers; item {position} is "
                            f"{type(x).__name__}: {x!r}"[:200])
    return [as_float(x, f"{who}, item {position},") for position, x in enumerate(numbers)]


def as_outputs(result):
    """What the traced function returned, as a list of Values, checked."""
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    if not outputs:
        raise TypeError("a traced function returns a Value (or a tuple of Values), got an "
                        "empty one")
    for position, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"a traced function returns Values; output {position} is "
                            f"{type(out).__name__}")
    return outputs


def checked_wrt(wrt, recording):
    """wrt as a list, checked: distinct Values, none of them computed by the function."""
    wrt = [wrt] if isinstance(wrt, Value) else list(wrt)
    recorded = set(recording.nodes)
    for position, v in enumerate(wrt):
        if not isinstance(v, Value):
            raise TypeError(f"wrt takes Values; item {position} is {type(v).__name__}")
        if v.parents and v in recorded:
            raise ValueError(f"wrt item {position} ({v!r}) is computed by the traced "
                             f"function: gradients are taken with respect to leaves "
                             f"(parameters)")
    if len(set(wrt)) < len(wrt):
        raise ValueError("wrt names the same Value twice")
    return wrt


# ---- the tape against the eager engine ----

@no_grad()
def check_against_eager(function, tape, samples):
    """The tape, run once over all the samples, against the function on each one."""
    replayed = tape.run(samples)
    for i, sample in enumerate(samples):
        eager = [out.data for out in as_outputs(function([Value(x) for x in sample]))]
        for e, column in zip(eager, replayed):
            r = float(column[i])
            agree = math.isclose(e, r, rel_tol=1e-9, abs_tol=1e-12) or \
                (math.isnan(e) and math.isnan(r))
            if not agree:
                raise TraceError(
                    f"the traced tape gives {r!r} where the function itself gives {e!r} for "
                    f"the sample {shown(sample)}: the function's graph depends on the data (a "
                    f"branch, or a number read from .data), which one trace cannot follow. Use "
                    f"the eager engine.")


def shown(sample, most=8):
    """A sample as a message shows it: its first numbers, and how many more."""
    if len(sample) <= most:
        return repr(sample)
    return f"[{', '.join(map(repr, sample[:most]))}, ... {len(sample) - most} more]"
