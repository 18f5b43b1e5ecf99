"""autograd.exercises.check: right, not yet (with the hint), not answered; never a crash."""
import numpy as np
import pytest

from autograd import Value
from autograd.exercises import check


@pytest.mark.parametrize("answer, expected", [
    (2.0, 2.0), (2.0 + 1e-9, 2.0), (Value(-6.0), -6.0), (3, 3.0), ([1.0, Value(2.0)], [1, 2]),
    ("tanh", "tanh"), (5, lambda a: a > 3), (0.01, lambda a: True),
    (np.float64(-0.0043), -0.0043), ([np.float32(0.5), np.int64(2)], [0.5, 2.0]),
    (np.array([1.0, 2.0]), [1.0, 2.0]), ([1.0, 2.0], np.array([1.0, 2.0])),
    (np.array(3.0), 3.0), (np.eye(2), [[1, 0], [0, 1]]),
])
def test_right_answers_pass(answer, expected, capsys):
    assert check("1.1", answer, expected, "a hint") is True
    assert capsys.readouterr().out == "1.1 right\n"


@pytest.mark.parametrize("answer, expected, said", [
    (3.0, 2.0, "got 3"), (2.01, 2.0, "got 2.01"), ("2", 2.0, "a number is expected"),
    ([1.0], [1.0, 2.0], "a list of 2"), ([1.0, 3.0], [1.0, 2.0], "item 1"),
    (1, lambda a: "too small" if a < 3 else True, "too small"), (float("nan"), 1.0, "got nan"),
    (None, 1.0, "a number is expected"),
])
def test_wrong_answers_say_what_and_give_the_hint(answer, expected, said, capsys):
    assert check("2.3", answer, expected, "think of the chain rule") is False
    out = capsys.readouterr().out
    assert out.startswith("2.3 not yet") and said in out and "Hint: think of the chain rule" in out


def test_an_unanswered_exercise_is_not_wrong_and_not_right(capsys):
    assert check("3.1", ..., 1.0, "a hint") is False
    assert capsys.readouterr().out == "3.1 not answered yet: replace the ... with your answer\n"


def test_a_check_that_raises_on_the_answer_is_reported_not_raised(capsys):
    assert check("4.2", object(), lambda a: a.missing, "hint") is False
    assert "raised AttributeError" in capsys.readouterr().out
