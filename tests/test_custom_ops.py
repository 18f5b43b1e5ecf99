"""Operations of your own (autograd.define): the same form as the table's entries, and then
everything the built-in operations do: floats, Values, arrays, higher order, the tape, the
pictures and the step page, with clear errors."""
import math

import numpy as np
import pytest

from autograd import (DomainError, Value, backward_steps, define, draw_graph, exp, grad,
                      gradcheck, gradgradcheck, hessian, log1p, sqrt, trace)

softsign = define("softsign", lambda x: x / (1 + abs(x)),
                  derivative=lambda x, out: 1 / (1 + abs(x)) ** 2)


def _check_hypot(a, b):
    if a == 0 and b == 0:
        raise DomainError("hypot's slope at (0, 0) is undefined")


hypot = define("hypot", lambda a, b: (a * a + b * b) ** 0.5,
               partials=lambda a, b, out: (a / out, b / out), check=_check_hypot)
fma = define("fma", lambda a, b, c: a * b + c, partials=lambda a, b, c, out: (b, a, 1.0))
# a smooth function whose derivative uses the table's functions: it has higher derivatives
logcosh = define("logcosh", lambda x: x + log1p(exp(-2 * x)) - math.log(2.0),
                 derivative=lambda x, out: 1 - 2 / (1 + exp(2 * x)))


def central(f, point, i, eps=1e-6):
    up, down = list(point), list(point)
    up[i] += eps
    down[i] -= eps
    return (f(*up) - f(*down)) / (2 * eps)


def test_one_input_on_floats_values_and_arrays():
    assert softsign(1.0) == 0.5 and softsign(-3) == -0.75
    v = Value(1.0)
    out = softsign(v)
    assert isinstance(out, Value) and out.data == 0.5 and out.op == "softsign"
    out.backward()
    assert v.grad == 0.25
    assert np.allclose(softsign(np.array([-3.0, 0.0, 1.0])), [-0.75, 0.0, 0.5])


@pytest.mark.parametrize("op, point", [(softsign, (0.7,)), (softsign, (-2.0,)),
                                       (hypot, (3.0, -4.0)), (fma, (1.5, -2.0, 0.5)),
                                       (logcosh, (0.3,))])
def test_gradients_agree_with_finite_differences_and_gradcheck(op, point):
    xs = [Value(x) for x in point]
    gradients = grad(op(*xs), xs)
    for i, g in enumerate(gradients):
        assert g.data == pytest.approx(central(op, point, i), rel=1e-6, abs=1e-9)
    assert gradcheck(op, list(point))
    assert gradgradcheck(op, list(point))


def test_higher_derivatives_through_the_derivative_written_with_autograd_functions():
    x = 0.4
    v = Value(x)
    second = hessian(logcosh(v), [v])[0][0]
    assert second == pytest.approx(1 - math.tanh(x) ** 2, rel=1e-12)  # log cosh'' = sech²
    w = Value(0.7)
    assert hessian(softsign(w), [w])[0][0] == pytest.approx(
        central(lambda y: 1 / (1 + abs(y)) ** 2, (0.7,), 0), rel=1e-6)


def test_the_tape_replays_custom_operations_as_the_eager_engine_computes_them():
    params = [Value(0.3), Value(-0.2), Value(0.1)]

    def one_sample(row):
        a = softsign(params[0] * row[0])
        b = hypot(a + 1.0, params[1] + row[1])
        return fma(b, params[2], logcosh(row[0] * params[0]))

    batch = np.random.default_rng(0).normal(size=(16, 2))
    tape = trace(one_sample, batch[0], checks=batch[1:4], wrt=params)
    (outputs,), gradient = tape.value_and_grad(batch)
    eager = [one_sample([Value(x) for x in row]) for row in batch]
    assert np.allclose(outputs, [e.data for e in eager], rtol=1e-12, atol=0)
    mean = sum(eager) * (1.0 / len(eager))
    assert np.allclose(gradient, [g.data for g in grad(mean, params)], rtol=1e-12, atol=1e-15)


def test_pictures_and_the_step_page_show_custom_operations():
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    out = hypot(x, y)
    assert "hypot" in draw_graph(out, derivatives=True).source
    page = backward_steps(out)
    assert "hypot" in page.html and len(page.steps) >= 2


def test_domain_checks_speak_for_numbers_values_and_a_sample_of_the_tape():
    with pytest.raises(DomainError, match="hypot's slope"):
        hypot(0.0, 0.0)
    with pytest.raises(DomainError, match="hypot's slope"):
        hypot(Value(0.0), 0.0)
    def check_at_least_one(x):
        if x < 1:
            raise DomainError(f"below_one_root({x!r}): x must be at least 1")

    root = define("below_one_root", lambda x: sqrt(x - 1),  # numpy gives NaN below 1
                  derivative=lambda x, out: 0.5 / out, check=check_at_least_one)
    with pytest.raises(DomainError, match="x must be at least 1"):
        root(Value(0.5))
    p = Value(1.0)
    tape = trace(lambda row: root(row[0] * p), [2.0], wrt=[p])
    with pytest.raises(DomainError, match="sample 1 of the batch: below_one_root"):
        tape.run([[2.0], [0.5]])


def test_an_infinite_slope_is_an_error_naming_the_operation():
    root = define("root", sqrt, derivative=lambda x, out: 0.5 / out)
    v = Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"backward through root\(0.0\)"):
        root(v).backward()


@pytest.mark.parametrize("call, error, words", [
    (lambda: define(3, lambda x: x, derivative=lambda x, out: 1.0), TypeError, "name"),
    (lambda: define("f", 3, derivative=lambda x, out: 1.0), TypeError, "value must be"),
    (lambda: define("f", lambda x: x), TypeError, "derivative .* or partials"),
    (lambda: define("f", lambda x: x, derivative=lambda x, out: 1.0,
                    partials=lambda x, out: (1.0,)), TypeError, "not both"),
    (lambda: define("f", lambda a, b: a, derivative=lambda x, out: 1.0), TypeError,
     "give partials"),
    (lambda: define("f", lambda: 1.0, partials=lambda out: ()), TypeError, "no inputs"),
    (lambda: softsign(1.0, 2.0), TypeError, "takes 1 input"),
    (lambda: softsign("x"), TypeError, "got str"),
    (lambda: hypot(Value(1.0), np.ones(2)), TypeError, "not both Values and arrays"),
])
def test_bad_definitions_and_calls_are_clear_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_the_readme_example_runs_as_written():
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("### Your own operations")[1].split("```python\n")[1].split("```")[0]
    namespace = {}
    exec(block, namespace)
    assert namespace["v"].grad == pytest.approx(1 / 1.5 ** 2, rel=1e-15)
    assert namespace["hypot"](3.0, 4.0) == 5.0


def test_a_derivative_that_takes_a_gradient_of_its_own_leaves_the_outer_walk_alone():
    # The float walk keeps its sums in the nodes; a walk begun inside it (here by a custom
    # operation's derivative, over a graph that shares the parameter w) must put them back.
    from autograd import define, grad

    w = Value(0.7)

    def derivative(x, out):
        xv = Value(x)
        return grad(xv * xv * w, xv).data  # 2·x·w, found by autograd

    square_times_w = define("square_times_w", lambda x: x * x * 0.7, derivative=derivative)
    x = Value(1.3)
    out = w * x + square_times_w(x * w)
    out.backward()
    # d/dw = x + 2·(x·w)·0.7·x
    assert w.grad == pytest.approx(1.3 + 2 * (1.3 * 0.7) * 0.7 * 1.3, rel=1e-12)
    assert x.grad == pytest.approx(0.7 + 2 * (1.3 * 0.7) * 0.7 * 0.7, rel=1e-12)


def test_partials_that_look_at_the_graph_change_no_gradient():
    from autograd import define, grad, topological_order

    a = Value(1.5)
    inner = a.sin() * a

    def partials(x, y, out):
        topological_order(inner)  # marks part of the graph mid-walk
        return (y, x)

    logged_mul = define("logged_mul", lambda x, y: x * y, partials=partials)
    out = logged_mul(inner, a) + inner * 2.0  # a² sin a + 2 a sin a
    expected = (2 * 1.5 * math.sin(1.5) + 1.5 ** 2 * math.cos(1.5) + 2 * math.sin(1.5)
                + 2 * 1.5 * math.cos(1.5))
    assert grad(out, a).data == pytest.approx(expected, rel=1e-12)
