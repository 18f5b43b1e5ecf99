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


def test_bad_sizes():
    with pytest.raises(ValueError, match="whole number"):
        data.moons(0)
    with pytest.raises(ValueError, match="whole number"):
        data.blobs(2.5)
