"""Second and third derivatives, Hessian-vector products and Newton's method."""
import math

import pytest

from autograd import Value, gradcheck, gradgradcheck, grad, hessian, is_grad_enabled, no_grad
from reference import needs_torch
from test_finite_differences import nested, third_derivatives


def test_create_graph_gives_the_same_numbers_as_plain_gradients():
    xs = [Value(0.7), Value(-0.4)]
    out = nested(*xs)
    plain = [g.data for g in grad(out, xs)]
    recorded = [g.data for g in grad(out, xs, create_graph=True)]
    assert plain == recorded  # bit for bit: the same rules, the same arithmetic


def test_gradients_without_create_graph_are_leaves():
    x = Value(2.0)
    (dx,) = grad(x ** 3, [x])
    assert dx.parents == () and dx.data == 12.0


def test_second_derivative_of_a_polynomial():
    x = Value(1.5)
    dx = grad(x ** 4 - 3 * x ** 2, x, create_graph=True)
    d2x = grad(dx, x, create_graph=True)
    d3x = grad(d2x, x)
    # d/dx = 4x^3 - 6x, d2 = 12x^2 - 6, d3 = 24x, computed by hand
    assert dx.data == pytest.approx(4 * 1.5 ** 3 - 6 * 1.5, rel=1e-15)
    assert d2x.data == pytest.approx(12 * 1.5 ** 2 - 6, rel=1e-15)
    assert d3x.data == pytest.approx(24 * 1.5, rel=1e-15)


def test_hessian_vector_product_equals_hessian_times_vector():
    xs = [Value(0.3), Value(1.1)]
    out = nested(*xs)
    g = grad(out, xs, create_graph=True)
    v = [0.25, -2.0]
    hvp = [h.data for h in grad(g[0] * v[0] + g[1] * v[1], xs)]
    matrix = hessian(out, xs)
    for i in range(2):
        assert hvp[i] == pytest.approx(sum(matrix[i][j] * v[j] for j in range(2)), rel=1e-12)


def test_newtons_method_finds_the_root_of_a_cubic():
    # x^3 - 2x - 5 = 0, Newton's classic example; the root is checked by plugging it back in.
    x = Value(2.0)
    for _ in range(8):
        f = x ** 3 - 2 * x - 5
        x = Value(x.data - f.data / grad(f, x).data)
    assert abs(x.data ** 3 - 2 * x.data - 5) < 1e-12


def test_newtons_method_minimises_with_second_derivatives():
    # minimise f(x) = x^4 - 3x^2 + x: Newton steps x <- x - f'(x) / f''(x)
    x = 2.0
    for _ in range(20):
        v = Value(x)
        d1 = grad(v ** 4 - 3 * v ** 2 + v, v, create_graph=True)
        d2 = grad(d1, v)
        x -= d1.data / d2.data
    assert abs(4 * x ** 3 - 6 * x + 1) < 1e-12 and 12 * x * x - 6 > 0


def test_create_graph_records_even_inside_no_grad_as_torch_does():
    x = Value(0.5)
    y = x.tanh()
    with no_grad():
        dx = grad(y, x, create_graph=True)
        assert not is_grad_enabled()  # and recording is off again after
        second = grad(dx, x)
        with pytest.raises(ValueError, match="no_grad"):  # x ** 3 made here is a bare leaf
            hessian(x ** 3, [x])
    assert dx.parents != () and math.isclose(dx.data, 1 - math.tanh(0.5) ** 2)
    t = math.tanh(0.5)
    assert math.isclose(second.data, -2 * t * (1 - t * t))
    with no_grad():
        assert hessian(y, [x]) == [[pytest.approx(-2 * t * (1 - t * t), rel=1e-15)]]


def test_gradchecks_record_their_function_even_inside_no_grad():
    with no_grad():
        report = gradgradcheck(lambda a: a ** 3, [2.0])
        first = gradcheck(lambda a: a ** 3, [2.0])
    assert report.rows[0]["analytic"] == pytest.approx(12.0)
    assert first.rows[0]["analytic"] == pytest.approx(12.0)
    with no_grad():  # a wrong rule still fails inside no_grad
        assert not gradcheck(lambda a: Value(a.data ** 3) + a, [2.0])


@needs_torch
class TestAgainstTorch:
    def torch_third(self, point):
        import torch

        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
        x, y = xs
        out = ((x * y).tanh() + (x / (1 + y * y)).sin()) * (0.3 * x).exp() + (y ** 2 + 1).log()
        first = torch.autograd.grad(out, xs, create_graph=True)
        result = []
        for g in first:
            second = torch.autograd.grad(g, xs, create_graph=True)
            result.append([[t.item() for t in torch.autograd.grad(s, xs, retain_graph=True)]
                           for s in second])
        return result

    @pytest.mark.parametrize("point", [(0.7, -0.4), (-1.3, 0.9), (2.0, 0.1)])
    def test_third_derivatives_match_torch(self, point):
        ours, theirs = third_derivatives(nested, point), self.torch_third(point)
        for i in range(2):
            for j in range(2):
                for k in range(2):
                    assert ours[i][j][k] == pytest.approx(theirs[i][j][k], rel=1e-12, abs=1e-14)

    def test_deep_third_derivative_of_a_chain_matches_torch(self):
        import torch

        def chain(x, tanh, exp, sin):
            for _ in range(5):
                x = tanh(x) * 1.3 + sin(x) * 0.2 - exp(-x * x) * 0.1
            return x

        v = Value(0.37)
        d1 = grad(chain(v, Value.tanh, Value.exp, Value.sin), v, create_graph=True)
        d3 = grad(grad(d1, v, create_graph=True), v).data

        t = torch.tensor(0.37, dtype=torch.float64, requires_grad=True)
        (t1,) = torch.autograd.grad(chain(t, torch.tanh, torch.exp, torch.sin), t, create_graph=True)
        (t2,) = torch.autograd.grad(t1, t, create_graph=True)
        (t3,) = torch.autograd.grad(t2, t)
        assert d3 == pytest.approx(t3.item(), rel=1e-11)
