"""Every operation's first and second derivatives against central finite differences.

These need nothing but the engine's own forward pass, so they always run."""
import math

import pytest

from autograd import Value, grad, gradcheck, gradgradcheck, hessian
from cases import CASES

POINTS = [(case, point) for case in CASES for point in case.smooth_points]
IDS = [f"{c.name}{p}" for c, p in POINTS]


@pytest.mark.parametrize("case, point", POINTS, ids=IDS)
def test_first_derivatives(case, point):
    report = gradcheck(case.ours, point, atol=1e-8, rtol=1e-6)
    assert report, report


@pytest.mark.parametrize("case, point", POINTS, ids=IDS)
def test_second_derivatives(case, point):
    report = gradgradcheck(case.ours, point, atol=1e-7, rtol=1e-5)
    assert report, report


def test_every_case_has_smooth_points():
    assert all(case.smooth_points for case in CASES)


def nested(x, y):
    return ((x * y).tanh() + (x / (1 + y * y)).sin()) * (0.3 * x).exp() + (y ** 2 + 1).log()


def third_derivatives(f, point):
    """All d³f/dxi dxj dxk from the engine, by differentiating three times."""
    xs = [Value(v) for v in point]
    first = grad(f(*xs), xs, create_graph=True)
    second = [grad(g, xs, create_graph=True) for g in first]
    return [[[h.data for h in grad(s, xs)] for s in row] for row in second]


def test_third_derivatives_of_a_nested_expression():
    point, eps = [0.7, -0.4], 1e-5
    third = third_derivatives(nested, point)
    for k in range(2):
        plus, minus = list(point), list(point)
        plus[k] += eps
        minus[k] -= eps
        xs_plus, xs_minus = [Value(v) for v in plus], [Value(v) for v in minus]
        h_plus, h_minus = hessian(nested(*xs_plus), xs_plus), hessian(nested(*xs_minus), xs_minus)
        for i in range(2):
            for j in range(2):
                numeric = (h_plus[i][j] - h_minus[i][j]) / (2 * eps)
                assert math.isclose(third[i][j][k], numeric, rel_tol=1e-6, abs_tol=1e-8)
    # mixed partials commute
    assert math.isclose(third[0][0][1], third[0][1][0], rel_tol=1e-12)
    assert math.isclose(third[0][1][0], third[1][0][0], rel_tol=1e-12)
