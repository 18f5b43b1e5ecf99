"""Python's cyclic garbage collector while graphs of Values are built and walked.

A graph of Values holds no reference cycles: reference counting frees it the moment it is
dropped, and the cyclic collector has nothing to find in it. The collector does not know that.
Woken every 700 new objects, it scans the objects made since its last run, and a graph being
built is nothing but new objects: on micrograd-style code (a `*` and a `+` node per weight)
those scans were a fifth of a training step (benchmarks/, W1-generic).

So, while graphs are being recorded, the collector is asked to run less often. A node recorded
from recorded nodes (a graph two operations deep: single operations on leaves, made and dropped
at once, are left out, as the watch would cost them more than it saves) raises the collector's
first threshold from 700 to 250,000 (`gc.set_threshold`) and starts a watch: every node
recorded from then on refers to the watch's token. The threshold goes back when the last of
those nodes is freed (the token with it), or when the collector next runs, whichever comes
first; the next graph then starts a new watch. So the collector keeps running (cycles of your
own are found, at most 250,000 allocations later than usual), and a graph you keep does not
keep the threshold raised past that run. A threshold you set meanwhile is left as you set it;
with the collector disabled, its threshold 0 (no automatic runs) or 250,000 or more already,
nothing is changed.
`set_collector_spacing(False)` turns this off; `collector_paused()` stops the collector
outright for a block of your own.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
import gc
import weakref

SPACED_THRESHOLD = 250_000  # the collector's first threshold while a graph is recorded


class WatchToken:
    """What the nodes recorded during one watch refer to: it is freed with the last of them."""

    __slots__ = ("__weakref__",)


def no_token() -> None:
    """GraphWatch.token while no watch is on."""
    return None


class GraphWatch:
    """The graphs being recorded, as far as the collector's threshold goes.

    idle: True when a node recorded from recorded nodes should start a watch (the forward
        interpreter reads this attribute for every node, so it is kept ready).
    token: a weak reference to the WatchToken that recorded nodes refer to
        (`Value.collector_watch = graph_watch.token()`) while a watch is on; its callback ends
        the watch. With no watch on, a function that gives None.
    saved: the thresholds to put back (None: the threshold is not raised).

    No lock: each step is a few attribute writes that the interpreter does not interleave
    badly (two threads starting a watch at once leave one token in use; the other, when freed,
    finds itself not the watch's and does nothing), and a lock would double the cost of a watch,
    which a small graph made and dropped at once pays in full.
    """

    __slots__ = ("idle", "token", "saved", "enabled", "listening")

    def __init__(self) -> None:
        self.idle = True
        self.token: Callable[[], WatchToken | None] = no_token
        self.saved: tuple[int, ...] | None = None
        self.enabled = True
        self.listening = False  # after_collection is in gc.callbacks

    def begin(self, node: Any) -> None:
        """A graph grows (node is recorded from recorded nodes): raise the collector's threshold
        until the nodes recorded from now on are freed."""
        # Every allocation here may wake the collector, whose callback ends the watch: so the
        # threshold is raised before it is saved (a run in between finds nothing to put back),
        # and the token made last (a run while it is made puts the threshold back: no harm).
        self.idle = False
        if not self.listening:  # registered once, and left: removing a callback from inside
            gc.callbacks.append(self.after_collection)  # one would skip the next one's turn
            self.listening = True
        if self.saved is None and gc.isenabled():
            thresholds = gc.get_threshold()
            if 0 < thresholds[0] < SPACED_THRESHOLD:  # (0 means: no automatic collections)
                gc.set_threshold(SPACED_THRESHOLD, *thresholds[1:])
                self.saved = thresholds
        node.collector_watch = token = WatchToken()  # held by the nodes alone
        self.token = weakref.ref(token, self.token_freed)

    def token_freed(self, freed: weakref.ref) -> None:
        """Every node recorded during the watch is freed: the watch ends."""
        if freed is self.token:
            self.end()

    def after_collection(self, phase: str, info: dict[str, int]) -> None:
        """The collector has run: the watch ends (the next graph starts a new one), whether or
        not it raised the threshold (one begun inside collector_paused() did not)."""
        if phase == "stop" and (self.token is not no_token or self.saved is not None):
            self.end()

    def end(self) -> None:
        """The thresholds as they were, unless someone else has changed them meanwhile."""
        saved, self.saved, self.token = self.saved, None, no_token
        self.idle = self.enabled
        if saved is not None and gc.get_threshold() == (SPACED_THRESHOLD, *saved[1:]):
            gc.set_threshold(*saved)


graph_watch = GraphWatch()


def set_collector_spacing(enabled: bool) -> bool:
    """Whether recording a graph makes Python's cyclic collector run less often (on by default;
    see autograd/collector.py). Returns the setting it replaces."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_collector_spacing takes True or False, got {enabled!r}"[:200])
    before, graph_watch.enabled = graph_watch.enabled, enabled
    graph_watch.end()
    return before


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a block, and set back as it was after.

    Graphs hold no reference cycles, so they are freed without the collector; but the
    collector, woken by the allocations, would scan every node of a large graph again and
    again. backward() pauses it for its walk; wrap a training step to pause it for the forward
    pass as well:

        with collector_paused():
            loss = model_loss()
            loss.backward()
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
