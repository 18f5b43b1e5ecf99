"""Datasets: shapes, labels, seeds, the digits, the split."""
import numpy as np
import pytest

from nn import data


@pytest.mark.parametrize("make, classes", [
    (lambda **k: data.moons(**k), 2), (lambda **k: data.circles(**k), 2),
    (lambda **k: data.spirals(**k), 2), (lambda **k: data.spirals(classes=3, **k), 3),
    (lambda **k: data.blobs(**k), 3),
])
def test_toy_sets(make, classes):
    X, y = make(n=90, seed=4)
    assert X.shape == (90, 2) and X.dtype == float and y.shape == (90,)
    assert sorted(set(y.tolist())) == list(range(classes))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # balanced
    X2, y2 = make(n=90, seed=4)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(n=90, seed=5)[0])


def test_moons_are_two_half_circles():
    X, y = data.moons(200, noise=0.0)
    outer, inner = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    assert np.allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)


def test_xor():
    X, y = data.xor()
    assert [int(a) ^ int(b) for a, b in X] == list(y)


def test_digits():
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    raw, _ = data.digits(scale=False)
    assert np.array_equal(raw, X * 16) and raw.max() == 16
    # a zero has an empty middle: the centre pixels are darker than the ring around them
    zero = raw[y == 0].mean(axis=0).reshape(8, 8)
    assert zero[3:5, 3:5].mean() < zero[1:7, 1:7].mean()


def test_split():
    X, y = data.moons(100)
    Xtr, Xte, ytr, yte = data.split(X, y, test_size=0.2, seed=1)
    assert len(Xtr) == 80 and len(Xte) == 20 and len(ytr) == 80 and len(yte) == 20
    rows = {tuple(r) for r in np.concatenate([Xtr, Xte])}
    assert rows == {tuple(r) for r in X}
    with pytest.raises(ValueError, match="100 samples in X but 3 labels"):
        data.split(X, y[:3])
    with pytest.raises(ValueError, match="fraction"):
        data.split(X, y, test_size=2)


@pytest.mark.parametrize("make, words", [
    (lambda: data.moons(0), "moons needs a whole number of samples, at least 2"),
    (lambda: data.moons(1), "at least 2 \\(one per class\\), got 1"),
    (lambda: data.circles(1), "circles needs .* at least 2"),
    (lambda: data.blobs(2), "blobs needs .* at least 3 \\(one per class\\), got 2"),
    (lambda: data.blobs(2.5), "whole number of samples"),
    (lambda: data.moons(True), "whole number of samples"),
    (lambda: data.moons("100"), "whole number of samples"),
    (lambda: data.spirals(4, classes=5), "spirals needs .* at least 5"),
    (lambda: data.spirals(10, classes=0), "classes must be a whole number >= 1"),
    (lambda: data.blobs(10, centers=0), "centers must be a whole number >= 1"),
    (lambda: data.blobs(10, features=0), "features must be a whole number >= 1"),
    (lambda: data.moons(10, noise=-0.1), "noise must be a finite number >= 0"),
    (lambda: data.moons(10, noise=float("nan")), "noise must be a finite number"),
    (lambda: data.circles(10, noise=float("inf")), "noise must be a finite number"),
    (lambda: data.circles(10, factor="half"), "factor must be a finite number"),
    (lambda: data.spirals(10, turns=float("nan")), "turns must be a finite number"),
    (lambda: data.blobs(10, std=-1), "std must be a finite number >= 0"),
])
def test_bad_arguments_to_the_generators_say_what_is_wrong(make, words):
    with pytest.raises(ValueError, match=words):
        make()


@pytest.mark.parametrize("n, test_size", [(1, 0.25), (2, 0.9), (3, 0.99)])
def test_a_split_keeps_at_least_one_sample_to_train_and_one_to_test(n, test_size):
    X, y = np.zeros((n, 2)), np.zeros(n, int)
    with pytest.raises(ValueError, match="too few .* keep at least one sample to train on"):
        data.split(X, y, test_size=test_size)
    Xtr, Xte, _, _ = data.split(np.zeros((2, 2)), np.zeros(2, int), test_size=0.25)
    assert len(Xtr) == 1 and len(Xte) == 1


@pytest.mark.parametrize("test_size", [0, 1, -0.5, float("nan"), "0.2", True])
def test_split_refuses_a_test_size_that_is_not_a_fraction(test_size):
    with pytest.raises(ValueError, match="test_size is a fraction"):
        data.split(np.zeros((10, 2)), np.zeros(10, int), test_size=test_size)


def test_zero_noise_and_the_smallest_sizes_work():
    assert data.moons(2, noise=0)[0].shape == (2, 2)
    assert data.blobs(3, std=0)[0].shape == (3, 2)
    assert data.spirals(1, classes=1)[0].shape == (1, 2)
