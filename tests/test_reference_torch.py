"""Every operation's value, first and second derivatives against PyTorch in float64."""
import pytest

from cases import CASES
from reference import (assert_agrees, close, our_value_and_derivatives,
                       torch_value_and_derivatives)

torch = pytest.importorskip("torch")

POINTS = [(case, point) for case in CASES for point in case.points]


@pytest.mark.parametrize("case, point", POINTS, ids=[f"{c.name}{p}" for c, p in POINTS])
def test_value_and_derivatives_match_torch(case, point):
    value, first, second = our_value_and_derivatives(case.ours, point)
    t_value, t_first, t_second = torch_value_and_derivatives(case.theirs, point)
    assert close(value, t_value), f"value: engine {value} vs torch {t_value}"
    assert_agrees(first, t_first, "first derivative")
    assert_agrees(second, t_second, "second derivative")
