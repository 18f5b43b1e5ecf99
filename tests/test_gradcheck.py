"""gradcheck and gradgradcheck: reports that pass where the engine is right and fail loudly
where finite differences disagree."""
import math

import pytest

from autograd import GradcheckReport, Value, gradcheck, gradgradcheck


def test_a_correct_gradient_passes_and_the_report_reads_well():
    report = gradcheck(lambda w, b: (w * 1.5 + b).sigmoid(), [0.8, 0.2])
    assert isinstance(report, GradcheckReport) and report.ok and bool(report)
    text = repr(report)
    assert "passed" in text and "d/dw" in text and "d/db" in text
    assert len(report.rows) == 2


def test_a_kink_is_reported_with_the_worst_mismatch():
    # relu at 0: the engine says 0 (as PyTorch); the symmetric difference says 1/2.
    report = gradcheck(lambda x: x.relu(), [0.0])
    assert not report
    assert report.worst["analytic"] == 0.0 and report.worst["numeric"] == pytest.approx(0.5)
    assert "FAILED" in repr(report)


def test_raise_on_failure():
    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck(lambda x: x.relu(), [0.0], raise_on_failure=True)
    gradcheck(lambda x: abs(x), [1.0], raise_on_failure=True)  # no error


def test_a_gradient_that_is_wrong_is_caught():
    # A function that hides part of its dependence from the engine (a detach): the engine
    # reports a gradient that finite differences show to be wrong.
    report = gradcheck(lambda x: x * x.detach(), [3.0])
    assert not report
    assert report.worst["analytic"] == 3.0
    assert report.worst["numeric"] == pytest.approx(6.0, rel=1e-6)


def test_gradgradcheck_checks_every_second_derivative():
    report = gradgradcheck(lambda x, y: (x * y).tanh() + x.exp() * y ** 2, [0.4, -0.9])
    assert report and len(report.rows) == 4
    assert {row["name"] for row in report.rows} == {"d2/dxdx", "d2/dxdy", "d2/dydx", "d2/dydy"}


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # f(x) = x * (x*x).detach(): engine first derivative x^2 (numerically 3x^2), second 0 vs 2x
    report = gradgradcheck(lambda x: x * (x * x).detach(), [1.5])
    assert not report


def test_inputs_may_be_values_and_a_single_number():
    assert gradcheck(lambda x: x.sin(), 0.3)
    assert gradcheck(lambda x, y: x / y, [Value(1.0), Value(2.0)])


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: math.sin(x.data), [0.3])


def test_non_number_inputs_are_named():
    with pytest.raises(TypeError, match="input 1 is str"):
        gradcheck(lambda x, y: x * y, [1.0, "2"])


def test_unnamed_functions_get_positional_names():
    report = gradcheck(lambda *xs: xs[0] * xs[1], [1.0, 2.0])
    assert [row["name"] for row in report.rows] == ["d/dx0", "d/dx1"]
