"""A Replay (tape.replay_on) refuses or reads right what a caller may give it: boolean masks,
rows of the wrong shape, a second thread; its errors name the caller's rows; and the tape's own
gradient is a small array of its own, not a view that keeps the whole program's arrays alive."""
import threading

import numpy as np
import pytest

from autograd import Value, log, tanh, trace

X = np.array([[1.0, 2.0], [2.0, 1.0], [0.5, 1.0], [3.0, 0.5]])


def small_tape():
    w = [Value(0.5), Value(-1.0)]
    return trace(lambda x: tanh(x[0] * w[0] + w[1]) * x[1], X[0], wrt=w)


def test_a_boolean_mask_picks_its_rows():
    tape = small_tape()
    mask = np.array([False, True, True, False])
    outputs, gradient = tape.replay_on(X).value_and_grad(mask, reduction="sum")
    expected_outputs, expected_gradient = tape.value_and_grad(X[mask], reduction="sum")
    assert outputs.shape == (1, 2)
    np.testing.assert_allclose(outputs[0], expected_outputs[0], rtol=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12)


def test_rows_of_the_wrong_shape_or_kind_are_refused():
    replay = small_tape().replay_on(X)
    with pytest.raises(ValueError, match="rows"):
        replay.value_and_grad(np.array([[0, 1], [2, 3]]))
    with pytest.raises(ValueError, match="mask"):
        replay.value_and_grad(np.array([True, False]))  # a mask of another length
    with pytest.raises(TypeError, match="rows"):
        replay.value_and_grad(np.array([0.0, 1.0]))


def test_a_second_thread_is_refused_not_given_wrong_numbers():
    replay = small_tape().replay_on(X)
    replay.value_and_grad([0, 1])
    errors = []

    def other():
        try:
            replay.value_and_grad([2, 3])
        except RuntimeError as error:
            errors.append(str(error))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "one thread" in errors[0]


def test_its_errors_name_the_callers_row():
    w = [Value(1.0)]
    samples = np.array([[1.0], [2.0], [3.0], [4.0], [-1.0]])
    replay = trace(lambda x: log(x[0] * w[0]), samples[0], wrt=w).replay_on(samples)
    with pytest.raises(ArithmeticError, match="row 4"):
        replay.value_and_grad([3, 4])


def test_the_tapes_gradient_keeps_no_more_than_itself_alive():
    w = [Value(0.3), Value(0.1)]

    def chain(x):
        a = x[0]
        for _ in range(50):
            a = tanh(a * w[0] + w[1])
        return a

    tape = trace(chain, [0.5], wrt=w)
    _, gradient = tape.value_and_grad(np.linspace(-1, 1, 200)[:, None])
    assert gradient.base is None and gradient.shape == (2,)
