"""Datasets: toy problems generated with numpy from a seed, and real handwritten digits.

Every function returns `(X, y)`: X a float array of shape (samples, features), y an int array
of class labels 0, 1, ... Nothing is downloaded.
"""
from __future__ import annotations

import gzip
import os
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

_DIGITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "datasets", "digits.csv.gz")


def _is_whole(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _whole(value, least, what):
    if not _is_whole(value) or value < least:
        raise ValueError(f"{what} must be a whole number >= {least}, got {value!r}")
    return int(value)


def _samples(n, classes, who):
    """The number of samples, checked to give every class at least one."""
    if not _is_whole(n) or n < classes:
        raise ValueError(f"{who} needs a whole number of samples, at least {classes} "
                         f"(one per class), got {n!r}")
    return int(n)


def _spread(value, what):
    """A noise level or size: a finite number >= 0 (NaN or inf would fill X with them)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {value!r}")
    return float(value)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: the classic problem a single neuron cannot solve."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    return X, y


def moons(n: int = 100, noise: float = 0.1,
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (micrograd's demo data), Gaussian noise of std `noise`."""
    n, noise = _samples(n, 2, "moons"), _spread(noise, "noise")
    rng = np.random.default_rng(seed)
    n_outer, n_inner = n - n // 2, n // 2
    t_outer = np.linspace(0, np.pi, n_outer)
    t_inner = np.linspace(0, np.pi, n_inner)
    X = np.concatenate([
        np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
        np.stack([1 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, int), np.ones(n_inner, int)])
    return _shuffled(X + rng.normal(scale=noise, size=X.shape), y, rng)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a large one (class 0); `factor` is the radius ratio."""
    n, noise = _samples(n, 2, "circles"), _spread(noise, "noise")
    factor = _spread(factor, "factor")
    rng = np.random.default_rng(seed)
    n_outer, n_inner = n - n // 2, n // 2
    t_outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([
        np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
        factor * np.stack([np.cos(t_inner), np.sin(t_inner)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_outer, int), np.ones(n_inner, int)])
    return _shuffled(X + rng.normal(scale=noise, size=X.shape), y, rng)


def spirals(n: int = 100, classes: int = 2, noise: float = 0.2, turns: float = 1.0,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """`classes` arms of a spiral winding out from the centre: hard for a linear model."""
    classes = _whole(classes, 1, "classes")
    n, noise = _samples(n, classes, "spirals"), _spread(noise, "noise")
    turns = _spread(turns, "turns")
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        m = n // classes + (1 if k < n % classes else 0)
        r = np.linspace(0.05, 1.0, m)
        angle = 2 * np.pi * (turns * r + k / classes) + rng.normal(scale=noise, size=m) * r
        X.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
        y.append(np.full(m, k))
    return _shuffled(np.concatenate(X), np.concatenate(y), rng)


def blobs(n: int = 100, centers: int = 3, std: float = 0.5, features: int = 2,
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around `centers` random centres in [-3, 3]^features."""
    centers, features = _whole(centers, 1, "centers"), _whole(features, 1, "features")
    n, std = _samples(n, centers, "blobs"), _spread(std, "std")
    rng = np.random.default_rng(seed)
    middles = rng.uniform(-3, 3, size=(centers, features))
    y = np.arange(n) % centers
    X = middles[y] + rng.normal(scale=std, size=(n, features))
    return _shuffled(X, y, rng)


def digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """1,797 handwritten digits, 8×8 pixels each (see datasets/README.md for the source).

    X has 64 columns (the pixels row by row), scaled to [0, 1] unless scale=False (then 0–16);
    y holds the digits 0–9. `X[i].reshape(8, 8)` is the image."""
    with gzip.open(_DIGITS, "rt") as file:
        table = np.loadtxt(file, delimiter=",")
    X, y = table[:, :64], table[:, 64].astype(int)
    return (X / 16.0 if scale else X), y


def split(X: ArrayLike, y: ArrayLike, test_size: float = 0.25,
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into X_train, X_test, y_train, y_test (test_size: a fraction)."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"split: {len(X)} samples in X but {len(y)} labels in y")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.floating)) \
            or not 0 < test_size < 1:
        raise ValueError(f"test_size is a fraction between 0 and 1, got {test_size!r}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, int(round(test_size * len(X))))
    if n_test >= len(X):
        raise ValueError(f"split: {len(X)} samples are too few to hold out {test_size:.0%} "
                         f"for testing and keep at least one sample to train on")
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def _shuffled(X, y, rng):
    order = rng.permutation(len(X))
    return X[order], y[order]


DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": moons, "circles": circles, "spirals": spirals, "blobs": blobs, "xor": xor,
    "digits": digits}
