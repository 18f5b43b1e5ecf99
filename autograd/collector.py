"""Python's cyclic garbage collector while graphs of Values are built and walked.

A graph of Values holds no reference cycles: reference counting frees it the moment it is
dropped, and the cyclic collector has nothing to find in it. The collector does not know that.
Woken every 700 new objects, it scans the objects made since its last run, and a graph being
built is nothing but new objects: on micrograd-style code (a `*` and a `+` node per weight)
those scans were a fifth of a training step (benchmarks/, W1-generic).

So, while a graph is being recorded, the collector is asked to run less often: the first node
recorded raises its first threshold from 700 to 250,000 (`gc.set_threshold`), and the threshold
goes back when that node is freed (its graph dropped). If other new objects are still alive
then (the next step's graph, recorded already), the next node recorded takes the watch over,
and if none is, the collector's next run puts the threshold back. The collector keeps running
(cycles of your own are found, at most 250,000 allocations later than usual). A threshold you
set meanwhile is left as you set it; with the collector disabled, or its threshold at 250,000
or more already, nothing is changed. `set_collector_spacing(False)` turns this off;
`collector_paused()` stops the collector outright for a block of your own.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
import gc
import threading
import weakref

SPACED_THRESHOLD = 250_000  # the collector's first threshold while a graph is recorded


class GraphWatch:
    """The graph being recorded, as far as the collector's threshold goes.

    idle: True when a newly recorded node should start a watch (the forward interpreter reads
        this one attribute per node, so it is kept ready rather than worked out).
    owner: a weak reference to the first node recorded, while a watch is on.
    saved: the thresholds to put back (None: the threshold is not raised).
    """

    __slots__ = ("idle", "owner", "saved", "enabled", "lock", "listening")

    def __init__(self) -> None:
        self.idle = True
        self.owner: weakref.ref | None = None
        self.saved: tuple[int, ...] | None = None
        self.enabled = True
        self.lock = threading.RLock()
        self.listening = False  # after_collection is in gc.callbacks

    def begin(self, first_node: object) -> None:
        """A graph starts: raise the collector's threshold, until first_node is freed."""
        with self.lock:
            if not self.idle:
                return  # another thread started one meanwhile
            self.idle = False
            self.owner = weakref.ref(first_node, self.owner_freed)
            thresholds = gc.get_threshold()
            if self.saved is None and gc.isenabled() and thresholds[0] < SPACED_THRESHOLD:
                self.saved = thresholds
                gc.set_threshold(SPACED_THRESHOLD, *thresholds[1:])
                if not self.listening:  # registered once, and left: removing a callback from
                    gc.callbacks.append(self.after_collection)  # inside one skips the next
                    self.listening = True

    def owner_freed(self, freed: weakref.ref) -> None:
        """The graph's first node is freed: the threshold back, unless many new objects are
        still alive (a collection now would scan them all: most likely the next graph)."""
        with self.lock:
            if freed is not self.owner:
                return  # a watch that already ended
            self.owner = None
            self.idle = self.enabled
            if self.saved is not None and gc.get_count()[0] <= self.saved[0]:
                self.restore()

    def after_collection(self, phase: str, info: dict) -> None:
        """Once the collector has run with no graph being recorded, the threshold goes back."""
        if phase == "stop" and self.saved is not None and self.owner is None:
            with self.lock:
                if self.owner is None:
                    self.restore()

    def restore(self) -> None:
        """The thresholds as they were, unless someone else has changed them meanwhile."""
        with self.lock:
            saved, self.saved = self.saved, None
            if saved is not None and gc.get_threshold() == (SPACED_THRESHOLD, *saved[1:]):
                gc.set_threshold(*saved)


graph_watch = GraphWatch()


def set_collector_spacing(enabled: bool) -> bool:
    """Whether recording a graph makes Python's cyclic collector run less often (on by default;
    see autograd/collector.py). Returns the setting it replaces."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_collector_spacing takes True or False, got {enabled!r}"[:200])
    with graph_watch.lock:
        before, graph_watch.enabled = graph_watch.enabled, enabled
        graph_watch.idle = enabled and graph_watch.owner is None
        if not enabled:
            graph_watch.owner = None
            graph_watch.restore()
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
