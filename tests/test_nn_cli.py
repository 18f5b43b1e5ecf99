"""`python -m nn`, run as a user runs it."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "nn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def refused(result, words):
    """argparse's usage and one `prog: error:` line naming the problem; exit code 2."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m nn: error: ") and words in last, result.stderr
    assert result.stdout == ""  # refused before anything was built or trained


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
    refused(run(args, tmp_path), words)


@pytest.mark.parametrize("args, words", [
    (["--samples", "1"], "moons needs a whole number of samples, at least 2 (one per class)"),
    (["--dataset", "blobs", "--samples", "2"], "blobs needs a whole number of samples, at least 3"),
    (["--samples", "2", "--test-size", "0.9"], "keep at least one sample to train on"),
    (["--seed", "-1"], "'-1' must be at least 0"),
    (["--out", "a file"], "--out 'a file' is a file, not a folder"),
    (["--save", "a folder"], "--save: cannot write 'a folder': it is a folder"),
    (["--save", "missing/m.json"], "the folder"),
    (["--save", ""], "the path is empty"),
    (["--lr", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--l2", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--noise", "1e308"], "'1e308' is too large: at most 1e+06"),
    (["--noise", "-0.1"], "must be zero or a positive number"),
    (["--noise", "nan"], "must be a finite number"),
    (["--noise", "inf"], "must be a finite number"),
])
def test_arguments_that_used_to_end_in_a_traceback(args, words, tmp_path):
    (tmp_path / "a file").write_text("not a folder")
    (tmp_path / "a folder").mkdir()
    refused(run(args, tmp_path), words)
    assert sorted(os.listdir(tmp_path)) == ["a file", "a folder"]


@pytest.mark.parametrize("zero", ["0", "0.00", "0e5", "-0", "0.0e-3", "000"])
def test_noise_and_l2_take_zero_written_any_way(zero, tmp_path):
    result = run(["--noise", zero, "--l2", zero, "--epochs", "2", "--no-plots", "--quiet"],
                 tmp_path)
    assert result.returncode == 0, result.stderr
    assert "l2: 0," in result.stdout


def test_xor_runs_and_draws(tmp_path):
    result = run(["--dataset", "xor", "--epochs", "50", "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "xor: 4 training and 4 test samples" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["decision_boundary.png", "loss_curve.png"]


def test_divergence_is_one_line_and_exit_code_1(tmp_path):
    result = run(["--lr", "1e6", "--epochs", "5", "--quiet", "--no-plots"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("progress", [["--quiet"], []])
def test_ctrl_c_prints_one_word_and_exits_130(progress, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    child = subprocess.Popen(
        [sys.executable, "-m", "nn", "--dataset", "digits", "--epochs", "100000", "--no-plots",
         "--save", "m.json", *progress],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in child.stdout:  # wait until training has begun
            if line.startswith("loss:"):
                break
        time.sleep(1.5)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == "interrupted"
    if progress:
        assert stderr == "interrupted\n"
    assert os.listdir(tmp_path) == []  # nothing saved from an interrupted run


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
