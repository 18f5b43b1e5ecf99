"""The rule table is the single source of every operation: each entry has a test case, a way
for users to call it on floats, Values and numpy arrays alike, and a row in the README's table.

Adding an operation means one table entry (autograd/ops.py), one case (tests/cases.py) and one
README row; forgetting any of them fails here. The cases' values and first and second
derivatives are checked against torch (test_reference_torch.py), finite differences
(test_finite_differences.py) and the tape (test_compile.py, test_hostile.py).
"""
import math
import pathlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, ops, topological_order, trace
from cases import CASES

# Entries written as Python operators rather than called by name: the operator works on
# floats, Values and arrays already.
OPERATORS = {"add": "a + b", "sub": "a - b", "mul": "a * b", "div": "a / b", "neg": "-x",
             "abs": "abs(x)", "pow": "a ** b", "power": "x ** n", "exponential": "n ** x"}

README = pathlib.Path(__file__).parent.parent / "README.md"


def same(a, b, rel=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def test_every_entry_has_a_test_case_and_every_case_an_entry():
    tested = {case.op for case in CASES}
    assert set(ops.TABLE) - tested == set(), "entries without a case in tests/cases.py"
    assert tested - set(ops.TABLE) == set(), "cases naming no entry of the table"


def test_every_entry_can_be_called_by_name_or_operator():
    for name in ops.TABLE:
        if name in OPERATORS:
            continue
        assert name in autograd.__all__, f"{name} is not exported by autograd"
        assert callable(getattr(autograd, name))
    for name, function in ops.FUNCTIONS.items():
        assert getattr(autograd, name) is function
        assert callable(getattr(Value, name)), f"Value has no method {name}"


def test_the_one_input_functions_are_entries_of_the_table():
    for name, function in ops.FUNCTIONS.items():
        assert name in ops.TABLE
        assert function.__name__ == name and function.__doc__


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_case_runs_alike_on_floats_values_and_arrays(case):
    good = []
    for point in case.points:
        try:
            expected = case.ours(*[Value(x) for x in point]).data
        except ArithmeticError as error:
            with pytest.raises(type(error)):
                case.ours(*point)  # the same refusal on plain numbers
            continue
        on_floats = case.ours(*point)
        assert type(on_floats) is float and same(on_floats, expected, rel=0), (point, on_floats)
        good.append((point, expected))
    columns = [np.array(column) for column in zip(*(point for point, _ in good))]
    with np.errstate(all="ignore"):
        on_arrays = case.ours(*columns)
    assert isinstance(on_arrays, np.ndarray) and on_arrays.shape == (len(good),)
    for (point, expected), got in zip(good, on_arrays):
        assert same(float(got), expected), (point, got, expected)


def readme_operation_rows():
    section = README.read_text(encoding="utf-8").split("### Operations")[1].split("\n#")[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE)


def test_every_entry_has_a_row_in_the_readme_and_every_row_an_entry():
    rows = readme_operation_rows()
    assert len(rows) == len(set(rows)), "an operation has two rows"
    assert set(ops.TABLE) - set(rows) == set(), "entries without a README row"
    assert set(rows) - set(ops.TABLE) == set(), "README rows naming no entry"


def test_bad_calls_of_the_exported_functions_are_clear_errors():
    with pytest.raises(TypeError, match="log1p"):
        autograd.log1p("1")
    with pytest.raises(TypeError, match="tan"):
        autograd.tan(None)
    with pytest.raises(TypeError, match="clamp's low"):
        autograd.clamp(1.0, "a", 2.0)
    with pytest.raises(ValueError, match="clamp's high"):
        autograd.clamp(1.0, 0.0, math.nan)
    with pytest.raises(ValueError, match="every number infinite"):
        autograd.clamp(5.0, low=math.inf)
    assert autograd.clamp(5.0, -math.inf, math.inf) == 5.0 and autograd.clamp(5.0, 2, 2) == 2.0
    with pytest.raises(OverflowError, match="beyond the largest float"):
        autograd.log(10 ** 400)
    with pytest.raises(ValueError, match="above its high"):
        autograd.clamp(Value(1.0), 2.0, 1.0)
    with pytest.raises(ValueError, match="low, high or both"):
        Value(1.0).clamp()
    with pytest.raises(ValueError, match="slope"):
        autograd.leaky_relu(1.0, math.inf)
    with pytest.raises(ValueError, match="do not broadcast together"):
        autograd.total([np.zeros(2), np.zeros(3)])
    for junk in (None, "3"):
        with pytest.raises(TypeError, match="total takes"):
            autograd.total([np.zeros(2), junk])
    with pytest.raises(TypeError, match="arrays of real numbers"):
        autograd.total([np.zeros(2, complex), 1.0])
    with pytest.raises(TypeError, match="got Value among ndarray"):
        autograd.dot([np.ones(2)], [Value(1.0)])


def test_numpy_scalars_are_numbers_checked_like_floats():
    with pytest.raises(autograd.DomainError, match="log"):
        autograd.log(np.float64(-1.0))
    with pytest.raises(OverflowError, match="exp"):
        autograd.exp(np.float32(1000))
    assert autograd.sqrt(np.float32(4.0)) == 2.0 and type(autograd.sqrt(np.int64(4))) is float
    assert autograd.exp(np.array(0.0)) == 1.0  # a 0-d array is an array: numpy's answer


def test_every_case_exercises_the_entry_it_names():
    for case in CASES:
        xs = [Value(x) for x in case.smooth_points[0]]
        keys = {node.rule.key for node in topological_order(case.ours(*xs)) if node.rule}
        assert case.op in keys, (case.name, keys)


@pytest.mark.parametrize("name, outside", [
    ("log1p", -1.0), ("log2", 0.0), ("log10", -3.0), ("asin", 1.5), ("acos", -1.0001),
    ("acosh", 0.5), ("atanh", 1.0), ("atanh", -1.0)])
def test_each_domain_is_checked_by_name(name, outside):
    for x in (outside, Value(outside)):
        with pytest.raises(autograd.DomainError, match=rf"{name}\({outside!r}\) has no real value"):
            getattr(autograd, name)(x)
    # a batch gets NaN or inf there, as numpy gives; the tape names the sample (test_hostile.py)
    with np.errstate(all="ignore"):
        assert not np.isfinite(getattr(autograd, name)(np.array([outside]))[0])


@pytest.mark.parametrize("name, x", [("expm1", 710.0), ("sinh", -711.0), ("cosh", 711.0)])
def test_overflow_is_an_error_naming_the_operation(name, x):
    for argument in (x, Value(x)):
        with pytest.raises(OverflowError, match=rf"{name}\({x!r}\) overflows"):
            getattr(autograd, name)(argument)


def test_infinite_slopes_at_domain_edges_name_the_operation():
    for name, x in [("asin", 1.0), ("acos", -1.0), ("acosh", 1.0)]:
        v = Value(x)
        with pytest.raises(ZeroDivisionError, match=rf"backward through {name}\({x!r}\)"):
            getattr(autograd, name)(v).backward()


def test_clamp_slope_is_one_at_its_corners_and_zero_outside():
    for x, slope in [(-1.0, 1.0), (2.0, 1.0), (-1.5, 0.0), (2.5, 0.0), (0.5, 1.0)]:
        v = Value(x)
        autograd.clamp(v, -1.0, 2.0).backward()
        assert v.grad == slope
    assert math.isnan(autograd.clamp(math.nan, 0.0, 1.0))  # NaN stays NaN, as torch
    assert autograd.clamp(5.0, high=1.0) == 1.0 and autograd.clamp(-5.0, low=0.0) == 0.0


# ---- fuzzing: any input, finite or not, gets the same answer on every interpreter ----

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, 1e300, -1e300, 710.0, -745.0,
           math.inf, -math.inf, math.nan]
ANY_FLOAT = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True))


def eager(case, point):
    """(value, gradient) from the eager engine, or the type of the error it raised."""
    xs = [Value(x) for x in point]
    try:
        out = case.ours(*xs)
    except ArithmeticError as error:
        return type(error), None
    try:
        gradient = [g.data for g in grad(out, xs)]
    except ArithmeticError as error:
        return out.data, type(error)
    return out.data, gradient


@pytest.mark.parametrize("case", CASES, ids=str)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_tape_and_arrays_agree_with_the_eager_engine_on_any_input(case, data):
    arity = len(case.smooth_points[0])
    point = data.draw(st.tuples(*[ANY_FLOAT] * arity))
    value, gradient = eager(case, point)
    params = [Value(0.0) for _ in range(arity)]
    tape = trace(lambda row: case.ours(*[p + x for p, x in zip(params, row)]),
                 case.smooth_points[0], wrt=params)
    shifted = [0.0 + x for x in point]  # what the tape's inputs are: p + x with p = 0
    if value is not float and isinstance(value, type):  # the eager engine refused the value
        with pytest.raises(value, match="sample 0"):
            tape.run([shifted])
        return
    (replayed,) = tape.run([shifted])
    assert same(float(replayed[0]), value), (point, replayed, value)
    with np.errstate(all="ignore"):
        on_arrays = case.ours(*[np.array([x]) for x in point])
    assert same(float(on_arrays[0]), value), (point, on_arrays, value)
    if isinstance(gradient, type):  # the eager backward pass refused: so must the tape's
        with pytest.raises(gradient):
            tape.backward([shifted])
        return
    for p in params:
        p.grad = 0.0
    tape.backward([shifted])
    assert all(same(p.grad, g) for p, g in zip(params, gradient)), (
        point, [p.grad for p in params], gradient)


def test_sigmoid_on_an_array_gives_the_floats_a_value_gives():
    # 1 - sigmoid, in its derivative, magnifies a last-bit difference near 1 (x = 11 was off by
    # 7e-12 between the tape and the eager engine), so the two forms must agree to the bit
    from autograd.elementary import sigmoid_of_array, sigmoid_of_float

    xs = np.concatenate([np.linspace(-40.0, 40.0, 20001), [0.0, -0.0, 11.0, 745.0, -745.0]])
    with np.errstate(under="ignore"):
        on_array = sigmoid_of_array(xs)
    assert on_array.tolist() == [sigmoid_of_float(float(x)) for x in xs]
