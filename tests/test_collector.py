"""The cyclic collector while graphs are recorded (autograd/collector.py): its threshold raised
by the first node recorded and put back as the graph goes; what the user set left alone."""
import gc

import pytest

from autograd import Value, no_grad, set_collector_spacing
from autograd.collector import SPACED_THRESHOLD, graph_watch


@pytest.fixture(autouse=True)
def collector_as_found():
    """Each test starts with no watch on and the default thresholds, and leaves them so."""
    saved, was_enabled = gc.get_threshold(), gc.isenabled()
    gc.collect()  # ends any watch left by earlier tests (the callback puts the threshold back)
    gc.set_threshold(700, 10, 10)
    gc.enable()
    yield
    set_collector_spacing(True)
    gc.collect()
    gc.set_threshold(*saved)
    (gc.enable if was_enabled else gc.disable)()


def graph(n=50):
    x = Value(0.5)
    out = x
    for _ in range(n):
        out = out * 1.0001 + 0.0001
    return out


def test_recording_raises_the_threshold_and_dropping_the_graph_puts_it_back():
    out = graph()
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    out.backward()
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)  # still alive: still raised
    del out
    assert gc.get_threshold() == (700, 10, 10)


def test_no_recording_no_change():
    with no_grad():
        out = graph()
    assert gc.get_threshold() == (700, 10, 10)
    del out
    Value(1.0)  # a leaf records nothing either
    assert gc.get_threshold() == (700, 10, 10)


def test_a_threshold_the_user_sets_meanwhile_is_left_as_set():
    out = graph()
    gc.set_threshold(1234, 5, 5)
    del out
    assert gc.get_threshold() == (1234, 5, 5)


def test_a_disabled_collector_is_left_disabled_and_its_threshold_untouched():
    gc.disable()
    out = graph()
    assert not gc.isenabled() and gc.get_threshold() == (700, 10, 10)
    del out
    assert not gc.isenabled() and gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_is_not_lowered():
    gc.set_threshold(10 * SPACED_THRESHOLD, 10, 10)
    out = graph()
    del out
    assert gc.get_threshold() == (10 * SPACED_THRESHOLD, 10, 10)


def test_switched_off_it_changes_nothing():
    assert set_collector_spacing(False) is True
    out = graph()
    assert gc.get_threshold() == (700, 10, 10)
    del out
    assert set_collector_spacing(True) is False
    out = graph()
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)


def test_switching_off_while_a_graph_lives_puts_the_threshold_back():
    out = graph()
    set_collector_spacing(False)
    assert gc.get_threshold() == (700, 10, 10)
    del out


def test_the_switch_takes_a_bool():
    with pytest.raises(TypeError, match="True or False"):
        set_collector_spacing("no")


def test_the_threshold_waits_for_every_graph_recorded_during_the_watch():
    first = graph()
    second = graph(2000)  # recorded while the first lives: the next step's graph, say
    del first  # a collection now would scan the second graph, young and alive
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    del second
    assert gc.get_threshold() == (700, 10, 10)


def test_a_graph_kept_alive_keeps_it_raised_only_until_the_collector_runs():
    kept = graph()
    gc.collect()  # the collector's next run, as 250,000 allocations would bring it
    assert gc.get_threshold() == (700, 10, 10)
    more = graph()  # the next graph starts a new watch
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    del kept  # the old watch's graph goes: nothing changes for the new one
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    del more
    assert gc.get_threshold() == (700, 10, 10)


def test_single_operations_on_leaves_start_no_watch():
    a, b = Value(2.0), Value(3.0)
    products = [a * b for _ in range(10)]
    assert gc.get_threshold() == (700, 10, 10)
    chained = products[0] + products[1]  # two deep: a graph grows
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)
    del chained
    assert gc.get_threshold() == (700, 10, 10)


def test_a_training_loop_that_keeps_the_last_loss_runs_no_collection_per_step():
    # micrograd's demo keeps `total_loss` at module level: each step's graph is recorded while
    # the previous one is alive. The collector should not scan those graphs step after step.
    runs = []

    def count(phase, info):
        if phase == "start":
            runs.append(info["generation"])

    w = [Value(0.1 * i) for i in range(30)]
    gc.callbacks.append(count)
    try:
        for _ in range(10):
            loss = sum((wi * wi for wi in w for _ in range(200)), Value(0.0))  # 12,000 nodes
            loss.backward()
    finally:
        gc.callbacks.remove(count)
    assert runs == []  # with the threshold at 700 there would be dozens
    del loss
    gc.collect()
    assert gc.get_threshold() == (700, 10, 10)


def test_the_readme_gives_the_threshold_this_module_uses():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    speed = readme[readme.index("## Speed"):]
    assert f"raised from {gc.get_threshold()[0]} to {SPACED_THRESHOLD:,}" in speed
    assert "set_collector_spacing(False)" in speed


def test_a_collection_woken_inside_the_watch_leaves_nothing_raised():
    # begin() allocates; a run of the collector there must not leave the threshold raised with
    # nothing to put it back. A small threshold lines the collector's runs up with begin().
    gc.set_threshold(5, 10, 10)
    a = Value(1.0)
    for k in range(30):
        gc.collect()
        keep = [[] for _ in range(k)]
        c = (a * a) + a  # two operations deep: a watch starts
        del c, keep
        assert gc.get_threshold() == (5, 10, 10), f"k={k}"


def test_threshold_zero_means_no_automatic_runs_and_is_left_so():
    gc.set_threshold(0, 10, 10)
    out = graph()
    assert gc.get_threshold() == (0, 10, 10)
    del out
    assert gc.get_threshold() == (0, 10, 10)


def test_a_watch_begun_while_the_collector_is_paused_ends_at_the_next_collection():
    from autograd import collector_paused

    w = Value(0.5)
    with collector_paused():
        kept = (w * 2.0 + 1.0) ** 2  # a watch starts, raising nothing: the collector is off
    assert gc.get_threshold() == (700, 10, 10)
    gc.collect()  # ends it, though `kept` lives
    later = (w * 2.0 + 1.0) ** 2
    assert gc.get_threshold() == (SPACED_THRESHOLD, 10, 10)  # the next graph starts its own
    del kept, later
    assert gc.get_threshold() == (700, 10, 10)
