"""`python -m nn`, run as a user runs it."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "nn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_default_demo(tmp_path):
    result = run([], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "moons: 150 training and 50 test samples" in result.stdout
    train = float(result.stdout.split("train accuracy: ")[1].split("%")[0])
    test = float(result.stdout.split("test accuracy: ")[1].split("%")[0])
    assert train >= 97 and test >= 90
    assert "100/100" in result.stderr  # the progress bar
    for name in ("loss_curve.png", "decision_boundary.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_options_and_save(tmp_path):
    result = run(["--dataset", "blobs", "--hidden", "8", "--optimizer", "adam", "--epochs", "20",
                  "--batch-size", "16", "--activation", "tanh", "--save", "m.json",
                  "--out", "pictures", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 classes" in result.stdout and "cross_entropy" in result.stdout
    assert result.stderr == ""  # --quiet: no progress bar
    document = json.loads((tmp_path / "m.json").read_text())
    assert document["config"]["nouts"] == [8, 3]
    assert sorted(os.listdir(tmp_path / "pictures")) == ["decision_boundary.png",
                                                         "loss_curve.png"]


def test_digits_without_plots(tmp_path):
    result = run(["--dataset", "digits", "--hidden", "", "--epochs", "1", "--batch-size", "64",
                  "--optimizer", "adam", "--lr", "0.05", "--no-plots", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "10 classes" in result.stdout
    test = float(result.stdout.split("test accuracy: ")[1].split("%")[0])
    assert test > 60  # a linear softmax model, one epoch
    assert os.listdir(tmp_path) == []


def test_help():
    result = run(["--help"], ROOT)
    assert result.returncode == 0
    for option in ("--dataset", "--hidden", "--activation", "--loss", "--optimizer", "--lr",
                   "--epochs", "--batch-size", "--seed", "--save"):
        assert option in result.stdout


@pytest.mark.parametrize("args, words", [
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--epochs", "0"], "'0' must be at least 1"),
    (["--lr", "fast"], "'fast' is not a number"),
    (["--hidden", "16,x"], "not a list of layer sizes"),
    (["--dataset", "blobs", "--loss", "hinge"], "use --loss cross_entropy"),
    (["--loss", "bce"], "use --loss bce_logits"),
    (["--test-size", "1.5"], "between 0 and 1"),
])
def test_bad_arguments_exit_non_zero_with_a_clear_message(args, words, tmp_path):
    result = run(args, tmp_path)
    assert result.returncode == 2
    assert words in result.stderr


def test_without_matplotlib_it_trains_and_says_how_to_get_pictures(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    hide_matplotlib = ("import sys, runpy; sys.modules['matplotlib'] = None; "
                       "sys.argv = ['nn', '--epochs', '3', '--quiet']; "
                       "runpy.run_module('nn', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", hide_matplotlib], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "train accuracy" in result.stdout
    assert "matplotlib is not installed" in result.stderr and "chainrule[plot]" in result.stderr
    assert os.listdir(tmp_path) == []
