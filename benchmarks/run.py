"""Speed and memory, side by side: micrograd, chainrule eager, chainrule traced, plain numpy.

    pip install ".[bench]" && python benchmarks/run.py          (about ten minutes)
    python benchmarks/run.py --quick                            (fewer repeats, smaller sizes)

Each workload's implementations run in one process, alternating, several times; the table shows
medians and each one's speed-up over micrograd measured in the same run (the machine is shared
and noisy: compare ratios, not seconds across runs).
"""
import argparse
import functools
import gc
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import weakref

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd  # noqa: E402
import nn  # noqa: E402
from autograd import Value  # noqa: E402

try:
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # the bench extra installs it
    MicroValue = MicroMLP = None


def median_times(implementations, repeats, back_to_back=()):
    """{name: median seconds per call}, running the implementations in turn, `repeats` rounds.

    The implementations named in `back_to_back` are called STEPS times in a row per round
    (a training loop's steady state: the step's code and data stay in the caches); the others
    once (micrograd's step takes seconds, and evicts everything from the caches). Each starts
    after an untimed gc.collect() of what the rows before it left."""
    times = {name: [] for name in implementations}
    for _ in range(repeats):
        for name, run in implementations.items():
            calls = STEPS if name in back_to_back else 1
            gc.collect()  # untimed: no row pays for the garbage another row left (cycles)
            start = time.perf_counter()
            for _ in range(calls):
                run()
            times[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(ts) for name, ts in times.items()}


STEPS = 20
TRACED_AND_NUMPY = ("chainrule traced", "numpy by hand")


def table(title, rows, columns):
    print(f"\n{title}")
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    print("  " + "  ".join(str(c).ljust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)))


def seconds(t):
    return f"{t * 1e3:.3f} ms" if t < 1 else f"{t:.2f} s"


def speed_rows(medians, reference="micrograd"):
    """Per implementation: its median, its speed-up over the reference, and its time as a
    multiple of numpy by hand's (the traced engine's target: within 1.5x)."""
    base, by_hand = medians.get(reference), medians.get("numpy by hand")
    return [[name, seconds(t), f"{base / t:,.1f}x" if base else "-",
             f"{t / by_hand:,.2f}x" if by_hand else "-"]
            for name, t in medians.items()]


SPEED_COLUMNS = ["", "median", "vs micrograd", "time / numpy's"]


# ---- W1: micrograd's demo step ----

def moons_problem():
    X, y = nn.data.moons(100, noise=0.1, seed=1337)
    return X, y * 2 - 1


def demo_loss(model, value, X, y):
    """micrograd's demo.ipynb loss(), line for line, for either library."""
    inputs = [list(map(value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    return data_loss + reg_loss


def demo_step(model, value, X, y, learning_rate=0.5):
    """micrograd's demo.ipynb step: loss(), backward, update; the graph is freed as it returns
    (or left to the garbage collector, for a library whose graphs hold reference cycles)."""
    total_loss = demo_loss(model, value, X, y)
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad


def traced_demo(model, X, y):
    """The same step on the traced engine, as nn.fit runs it (nn.fit's own TracedEngine: one
    sample's hinge loss and L2 penalty traced once; the tape's gradient over the batch at the
    parameter vector; an SGD update of the vector). The engine, not nn.fit, so that one step
    is timed without fit's setup (tracing and checking the tape) in every call."""
    params = model.parameters()
    engine = nn.engines.TracedEngine(model, nn.losses.hinge, X, nn.losses.hinge.encode(y, 1),
                                     nn.optim.SGD(params, lr=0.5), l2=1e-4)
    everything = np.arange(len(X))

    def step():
        engine.forward_backward(everything)
        engine.step()
    return step


def numpy_demo(X, y, seed=0):
    rng = np.random.default_rng(seed)
    W1, b1 = rng.uniform(-1, 1, (2, 16)), np.zeros(16)
    W2, b2 = rng.uniform(-1, 1, (16, 16)), np.zeros(16)
    W3, b3 = rng.uniform(-1, 1, (16, 1)), np.zeros(1)
    params = [W1, b1, W2, b2, W3, b3]
    t = y.astype(float)[:, None]

    def step(learning_rate=0.5, alpha=1e-4):
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        s = h2 @ W3 + b3
        margin = 1 - t * s
        # loss = mean(relu(margin)) + alpha * Σ p², backward by hand
        ds = -t * (margin > 0) / len(X)
        dW3, db3 = h2.T @ ds, ds.sum(0)
        dz2 = (ds @ W3.T) * (z2 > 0)
        dW2, db2 = h1.T @ dz2, dz2.sum(0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1, db1 = X.T @ dz1, dz1.sum(0)
        for p, g in zip(params, [dW1, db1, dW2, db2, dW3, db3]):
            p -= learning_rate * (g + 2 * alpha * p)
    return step


def w1(repeats):
    X, y = moons_problem()
    random.seed(1337)
    implementations = {}
    if MicroMLP:
        micro = MicroMLP(2, [16, 16, 1])
        # its graphs hold reference cycles: freed by the collector, timed (as in W1-generic),
        # or the collection would fall into whichever row runs next
        implementations["micrograd"] = lambda: step_then_free(micro, MicroValue, X, y, True)
    ours = nn.MLP(2, [16, 16, 1], seed=1337)
    implementations["chainrule eager"] = lambda: demo_step(ours, Value, X, y)
    implementations["chainrule traced"] = traced_demo(nn.MLP(2, [16, 16, 1], seed=1337), X, y)
    implementations["numpy by hand"] = numpy_demo(X, y)
    medians = median_times(implementations, repeats, back_to_back=TRACED_AND_NUMPY)
    table("W1  micrograd's demo step: MLP(2, [16, 16, 1]), 100 moons, hinge + L2, backward, "
          "SGD", speed_rows(medians), SPEED_COLUMNS)
    return medians


# ---- W1-generic: micrograd's own MLP code, on either library's Value ----

class Neuron:
    """micrograd.nn.Neuron, line for line, on the Value class given: a `*` and a `+` node per
    weight (sum() from the bias), then relu."""

    def __init__(self, value, nin, nonlin=True):
        self.w = [value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    """micrograd.nn.Layer, line for line."""

    def __init__(self, value, nin, nout, **kwargs):
        self.neurons = [Neuron(value, nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class GenericMLP:
    """micrograd.nn.MLP, line for line, on the Value class given (micrograd's own code is
    this class with value=micrograd.engine.Value)."""

    def __init__(self, value, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(value, sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0


def w1_generic(repeats):
    """W1's step with micrograd's MLP code on both libraries' Values, timed until the graph is
    freed: at once for a graph without reference cycles (reference counting, as the step
    returns), and by a gc.collect() inside the timed region for one with cycles (micrograd's
    _backward closures refer to their own node)."""
    X, y = moons_problem()
    libraries = [("chainrule", Value, lambda v: v.parents)]
    if MicroValue:
        libraries.insert(0, ("micrograd", MicroValue, lambda v: v._prev))
    implementations, facts = {}, {}
    for name, value, parents_of in libraries:
        random.seed(1337)  # the same weights for both
        model = GenericMLP(value, 2, [16, 16, 1])
        # once, untimed: the graph's size, and whether dropping it frees it
        loss = demo_loss(model, value, X, y)
        loss.backward()
        nodes = count_nodes(loss, parents_of)
        alive = weakref.ref(loss)
        del loss
        cycles = alive() is not None
        gc.collect()
        implementations[name] = functools.partial(step_then_free, model, value, X, y, cycles)
        facts[name] = nodes, "by gc.collect(), timed" if cycles else "at once, as the step returns"
    medians = median_times(implementations, repeats)
    base = medians.get("micrograd")
    rows = []
    for name, t in medians.items():
        nodes, freed = facts[name]
        rows.append([name, seconds(t), f"{base / t:,.1f}x" if base else "-", f"{nodes:,}",
                     f"{t / nodes * 1e6:.2f} µs", freed])
    table("W1-generic  W1's step with micrograd's own MLP code (a * and + node per weight) on "
          "each library's Value, freeing the graph included", rows,
          ["", "median", "vs micrograd", "nodes", "per node", "graph freed"])
    return medians


def step_then_free(model, value, X, y, cycles):
    demo_step(model, value, X, y)
    if cycles:
        gc.collect()


# ---- W2: a long chain ----

def chain(value, n):
    x = value(1.0)
    return x, links(x, n)


def links(v, n):
    for _ in range(n):
        v = v * 1.0001 + 0.0001
    return v


def w2(lengths, repeats):
    rows = []
    for n in lengths:
        builds, backs, nodes = [], [], 0
        for _ in range(repeats):
            start = time.perf_counter()
            x, v = chain(Value, n)
            built = time.perf_counter()
            v.backward()
            done = time.perf_counter()
            builds.append(built - start)
            backs.append(done - built)
            nodes = 4 * n + 1  # per link: a product, a sum and their two constants
            del x, v
        micro = "-"
        if MicroValue:
            try:
                x, v = chain(MicroValue, n)
                v.backward()
                micro = "ok"
            except RecursionError:
                micro = "RecursionError"
            finally:
                x = v = None
                gc.collect()
        back = statistics.median(backs)
        rows.append([f"{n:,}", f"{nodes:,}", seconds(statistics.median(builds)), seconds(back),
                     f"{back / nodes * 1e9:.0f} ns", micro])
    if MicroValue:  # micrograd's own speed on the longest chain it can take, for reference
        n, backs = 120, []
        for _ in range(repeats * 5):
            x, v = chain(MicroValue, n)
            start = time.perf_counter()
            v.backward()
            backs.append(time.perf_counter() - start)
        back = statistics.median(backs)
        rows.append([f"{n} (micrograd)", f"{4 * n + 1:,}", "", seconds(back),
                     f"{back / (4 * n + 1) * 1e9:.0f} ns", "its limit is near 490 links"])
    table("W2  a chain x -> x*1.0001 + 0.0001, n links, backward (chainrule eager)", rows,
          ["links", "nodes", "forward", "backward", "backward per node", "micrograd"])


# ---- W3: memory per node, and freeing ----

def products(value, n):
    a = [value(0.001 * i) for i in range(n)]
    b = [value(1.0 - 0.001 * i) for i in range(n)]
    return sum(x * y for x, y in zip(a, b))


def count_nodes(root, parents_of):
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for p in parents_of(node):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def w3(n):
    rows = []
    libraries = [("chainrule", Value, lambda v: v.parents)]
    if MicroValue:
        libraries.insert(0, ("micrograd", MicroValue, lambda v: v._prev))
    for name, value, parents_of in libraries:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        root = products(value, n)
        used = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        nodes = count_nodes(root, parents_of)
        start = time.perf_counter()
        try:
            root.backward()
            back = seconds(time.perf_counter() - start)
        except RecursionError:
            back = "RecursionError"
        alive = weakref.ref(root)
        del root
        freed = "at once" if alive() is None else "only by gc.collect()"
        gc.collect()
        rows.append([name, f"{nodes:,}", f"{used / nodes:.0f}", back, freed])
    table(f"W3  the sum of {n:,} products, built with sum(): memory and freeing", rows,
          ["", "nodes", "bytes per node", "backward", "graph freed"])


# ---- W4: XOR ----

def micro_sigmoid(v):
    """sigmoid for micrograd, written the way micrograd writes its operations."""
    out = MicroValue(1 / (1 + math.exp(-v.data)), (v,), "sigmoid")

    def _backward():
        v.grad += out.data * (1 - out.data) * out.grad
    out._backward = _backward
    return out


def xor_epochs(model, value, sigmoid, epochs=2000, learning_rate=0.5):
    X, y = nn.data.xor()
    for _ in range(epochs):
        outputs = [sigmoid(model([value(a) for a in x])) for x in X]
        loss = sum((o - t) ** 2 for o, t in zip(outputs, y)) * (1.0 / len(X))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= learning_rate * p.grad


def w4(repeats):
    implementations = {}
    if MicroMLP:
        def micro():
            random.seed(0)
            model = MicroMLP(2, [2, 1])
            for neuron in model.layers[0].neurons:
                neuron.nonlin = False  # sigmoid instead of relu, applied by _MicroXor
            xor_epochs(_MicroXor(*model.layers), MicroValue, micro_sigmoid)
        implementations["micrograd"] = micro

    def eager():
        model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="linear", seed=0)
        xor_epochs(model, Value, Value.sigmoid)
    implementations["chainrule eager"] = eager

    def traced(epochs=2000, learning_rate=0.5):
        model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
        X, y = nn.data.xor()
        history = nn.fit(model, X, y, loss="mse", optimizer="sgd", lr=learning_rate,
                         epochs=epochs, shuffle=False, metrics=(), progress=False,
                         engine="traced")
        assert history.engine == "traced"
    implementations["chainrule traced"] = traced
    implementations["numpy by hand"] = numpy_xor
    medians = median_times(implementations, repeats)
    table("W4  XOR, 2-2-1 sigmoid, MSE, full batch, 2,000 epochs (eager: the loop written "
          "out as micrograd's; traced: nn.fit)", speed_rows(medians), SPEED_COLUMNS)


class _MicroXor:
    """micrograd's MLP(2, [2, 1]) with sigmoid activations added."""

    def __init__(self, hidden, out):
        self.hidden, self.out = hidden, out

    def __call__(self, x):
        return self.out([micro_sigmoid(h) for h in self.hidden(x)])

    def parameters(self):
        return self.hidden.parameters() + self.out.parameters()

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0


def numpy_xor(epochs=2000, learning_rate=0.5):
    X, y = nn.data.xor()
    t = y.astype(float)[:, None]
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = rng.uniform(-1, 1, (2, 2)), np.zeros(2), rng.uniform(-1, 1, (2, 1)), np.zeros(1)
    for _ in range(epochs):
        h = 1 / (1 + np.exp(-(X @ W1 + b1)))
        o = 1 / (1 + np.exp(-(h @ W2 + b2)))
        do = 2 * (o - t) / len(X) * o * (1 - o)
        dh = do @ W2.T * h * (1 - h)
        W2 -= learning_rate * h.T @ do
        b2 -= learning_rate * do.sum(0)
        W1 -= learning_rate * X.T @ dh
        b1 -= learning_rate * dh.sum(0)


# ---- W5: digits ----

def w5(repeats, later_epochs=3):
    """One epoch of digits through nn.fit, eager and traced, against numpy by hand. A traced
    fit pays once for tracing and checking the tape (against the eager engine on 64 samples),
    then per epoch: both are reported, from fit calls of 1 and of 1 + later_epochs epochs (the
    difference over later_epochs is the steady epoch; the rest of the one-epoch call is the
    one-time cost). A run of N epochs costs the one-time cost + N epochs."""
    X, y = nn.data.digits()
    X_train, _, y_train, _ = nn.data.split(X, y, test_size=0.25, seed=0)

    def fit(engine, epochs=1):
        def run():
            model = nn.MLP(64, [32, 10], seed=0)
            nn.fit(model, X_train, y_train, loss="cross_entropy", optimizer="sgd", lr=0.1,
                   epochs=epochs, batch_size=32, progress=False, metrics=(), engine=engine)
        return run

    def numpy_epoch():
        rng = np.random.default_rng(0)
        W1, b1 = rng.uniform(-0.2, 0.2, (64, 32)), np.zeros(32)
        W2, b2 = rng.uniform(-0.2, 0.2, (32, 10)), np.zeros(10)
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), 32):
            idx = order[start:start + 32]
            xb, yb = X_train[idx], y_train[idx]
            z1 = xb @ W1 + b1
            h = np.maximum(z1, 0)
            z = h @ W2 + b2
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            p[np.arange(len(idx)), yb] -= 1
            dz = p / len(idx)
            dz1 = dz @ W2.T * (z1 > 0)
            W2 -= 0.1 * h.T @ dz
            b2 -= 0.1 * dz.sum(0)
            W1 -= 0.1 * xb.T @ dz1
            b1 -= 0.1 * dz1.sum(0)

    medians = median_times({"chainrule eager": fit("eager"),
                            "traced, 1 epoch": fit("traced"),
                            f"traced, {1 + later_epochs} epochs": fit("traced", 1 + later_epochs),
                            "numpy by hand": numpy_epoch}, repeats)
    one, more = medians["traced, 1 epoch"], medians[f"traced, {1 + later_epochs} epochs"]
    epoch = (more - one) / later_epochs
    by_hand = medians["numpy by hand"]
    rows = [["chainrule eager: fit, 1 epoch", seconds(medians["chainrule eager"]),
             f"{medians['chainrule eager'] / by_hand:,.1f}x"],
            ["chainrule traced: fit, 1 epoch", seconds(one), f"{one / by_hand:,.1f}x"],
            ["  of which trace + checks (once per fit)", seconds(one - epoch), ""],
            ["  of which the epoch (each later one too)", seconds(epoch),
             f"{epoch / by_hand:,.2f}x"],
            ["numpy by hand: 1 epoch", seconds(by_hand), "1.00x"]]
    table(f"W5  one epoch of the 8x8 digits: MLP(64, [32, 10]), softmax cross-entropy, "
          f"minibatches of 32, {len(X_train):,} samples (traced: fit over 1 and "
          f"{1 + later_epochs} epochs, the difference is the steady epoch)",
          rows, ["", "median", "time / numpy's"])
    return medians


# ---- W6: tracing a long chain: time and memory per node ----

TRACE_SECONDS = 600  # a length predicted to trace for longer than this is skipped
TRACE_MEMORY_SHARE = 0.8  # ... or to need more than this share of the memory available


def w6(lengths):
    """autograd.trace of W2's chain, each length in a fresh subprocess (so that its peak
    resident memory is its own), lengths in increasing order; a length that the previous ones
    predict to need more time or memory than the budget is skipped, not tried."""
    rows, measured = [], []  # measured: (links, seconds, peak bytes)
    for n in lengths:
        nodes = 4 * n + 1
        available = available_memory()
        skip = over_budget(measured, n, available)
        if skip:
            rows.append([f"{n:,}", f"{nodes:,}", f"skipped: {skip}", "", "", "", ""])
            continue
        result = trace_in_subprocess(n, int(TRACE_MEMORY_SHARE * available))
        if "error" in result:
            rows.append([f"{n:,}", f"{nodes:,}", result["error"], "", "", "", ""])
            continue
        measured.append((n, result["seconds"], result["peak"]))
        rows.append([f"{n:,}", f"{result['nodes']:,}", seconds(result["seconds"]),
                     f"{result['seconds'] / result['nodes'] * 1e6:.1f} µs",
                     f"{result['peak'] / 2 ** 30:.2f} GiB",
                     f"{result['peak'] / result['nodes'] / 1024:.1f} KB", result["replays"]])
    table("W6  autograd.trace of W2's chain (x -> x*1.0001 + 0.0001, n links), one subprocess "
          "per length: time, peak memory (growth of VmHWM while tracing), replay", rows,
          ["links", "nodes", "trace", "per node", "peak memory", "per node", "replays"])


def over_budget(measured, n, available):
    """Why tracing n links would exceed the budget, from the lengths measured so far (time
    and memory extrapolated with the growth seen between the last two, at least linear);
    '' when it fits or nothing is measured yet."""
    if not measured:
        return ""
    n0, t0, m0 = measured[-1]
    time_power = memory_power = 1.0
    if len(measured) > 1:
        n1, t1, m1 = measured[-2]
        time_power = max(1.0, math.log(t0 / t1) / math.log(n0 / n1))
        memory_power = max(1.0, math.log(m0 / m1) / math.log(n0 / n1))
    predicted_time = t0 * (n / n0) ** time_power
    predicted_memory = m0 * (n / n0) ** memory_power
    if predicted_memory > TRACE_MEMORY_SHARE * available:
        return (f"out of memory (about {predicted_memory / 2 ** 30:.0f} GiB needed, "
                f"{available / 2 ** 30:.1f} GiB available)")
    if predicted_time > TRACE_SECONDS:
        return (f"too slow (about {predicted_time / 60:.0f} min predicted, budget "
                f"{TRACE_SECONDS / 60:.0f} min)")
    return ""


def available_memory():
    """MemAvailable from /proc/meminfo, in bytes."""
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def trace_in_subprocess(n, memory_limit):
    """trace_chain(n) in a fresh interpreter (this file with --trace-chain), its address space
    limited to memory_limit more than it starts with: {...} as trace_chain returns, or
    {"error": why}."""
    command = [sys.executable, os.path.abspath(__file__), "--trace-chain", str(n),
               "--memory-limit", str(memory_limit)]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=2 * TRACE_SECONDS)
    except subprocess.TimeoutExpired:
        return {"error": f"too slow: stopped after {2 * TRACE_SECONDS / 60:.0f} min"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return {"error": f"failed (exit code {done.returncode}): {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def trace_chain(n, memory_limit):
    """In the subprocess: trace n links, then replay the tape; the time to trace, the growth of
    the peak resident memory while tracing, and whether the tape replays and agrees with the
    eager engine (outputs, and gradients with respect to the chain's constants)."""
    resource.setrlimit(resource.RLIMIT_AS, (process_status("VmSize") + memory_limit,) * 2)
    recorded = []  # the traced graph's output (the first call of the function)

    def function(inputs):
        out = links(inputs[0], n)
        if not recorded:
            recorded.append(out)
        return out
    before = process_status("VmHWM")
    try:
        start = time.perf_counter()
        tape = autograd.trace(function, [1.0])
        traced = time.perf_counter() - start
    except MemoryError:
        return {"error": f"out of memory (the limit: {memory_limit / 2 ** 30:.1f} GiB)"}
    peak = process_status("VmHWM") - before
    result = {"nodes": tape.size, "seconds": traced, "peak": peak}
    try:
        batch = np.concatenate([[1.0], np.linspace(0.5, 1.5, 99)])[:, None]
        start = time.perf_counter()
        outputs, _ = tape.value_and_grad(batch)
        replay = time.perf_counter() - start
        _, gradient = tape.value_and_grad(batch[:1])
        out = recorded[0]
        out.backward()
        eager = np.array([leaf.grad for leaf in tape.wrt])
        agrees = (math.isclose(outputs[0][0], out.data, rel_tol=1e-12)
                  and np.allclose(gradient, eager, rtol=1e-12, atol=0))
        result["replays"] = (f"yes: 100 samples in {seconds(replay)}, "
                             + ("equal to eager (1e-12)" if agrees else "DIFFERS from eager"))
    except MemoryError:
        result["replays"] = "no: out of memory"
    except Exception as error:  # noqa: BLE001 - reported in the table
        result["replays"] = f"no: {type(error).__name__}: {error}"[:80]
    return result


def process_status(field):
    """A size from /proc/self/status, in bytes: VmSize (the address space), VmHWM (the peak
    resident memory so far). VmHWM, not getrusage's ru_maxrss: ru_maxrss survives exec, so a
    subprocess would start from its parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter chains")
    parser.add_argument("--trace-chain", type=int, help=argparse.SUPPRESS)  # W6's subprocess
    parser.add_argument("--memory-limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trace_chain:
        print(json.dumps(trace_chain(args.trace_chain, args.memory_limit)))
        return
    repeats = 3 if args.quick else 7
    print(f"chainrule benchmarks — Python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores; "
          f"micrograd {'0.1.0' if MicroValue else 'not installed'}")
    w1(repeats)
    w1_generic(repeats)
    w2([10 ** 3, 10 ** 4, 10 ** 5] + ([] if args.quick else [10 ** 6]), 3)
    w3(10 ** 5)
    w4(3)
    w5(3)
    w6([10 ** 4, 10 ** 5] + ([] if args.quick else [10 ** 6]))


if __name__ == "__main__":
    main()
