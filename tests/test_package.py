"""The package as a user meets it: public names, the demo, a foreign `autograd` on the path."""
import math
import os
import subprocess
import sys

import autograd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(args, cwd=ROOT, pythonpath=ROOT):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True)


def test_public_names():
    for name in autograd.__all__:
        assert hasattr(autograd, name), name
    assert autograd.__chainrule__ is True


def test_nn_imports():
    result = run_python(["-c", "import nn"])
    assert result.returncode == 0, result.stderr


def test_a_foreign_autograd_is_detected_and_explained(tmp_path):
    # PyPI's HIPS autograd uses the same import name; imitate it ahead of ours on the path.
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("from builtins import abs as grad\n")
    result = run_python(["-c", "import nn"], cwd=tmp_path,
                        pythonpath=os.pathsep.join([str(tmp_path), ROOT]))
    assert result.returncode != 0
    message = result.stderr
    assert "ImportError" in message and "HIPS" in message
    assert str(fake) in message and "pip uninstall" in message


def test_the_demo_shows_the_chain_rule_with_the_right_numbers():
    result = run_python(["-m", "autograd"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # the same neuron worked out here with the math module: z = 0.8*1.5 + 0.2, y = σ(z),
    # E = ½ y², dE/dw = y * y(1 - y) * 1.5
    y = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.2)))
    dw, db = y * y * (1 - y) * 1.5, y * y * (1 - y)
    assert f"w.grad = {dw:.6f}" in out and f"b.grad = {db:.6f}" in out
    assert f"E = ½(t − y)²      = ½(0.0 − {y:.6f})² = {0.5 * y * y:.6f}" in out
    assert "gradcheck passed" in out
    assert "E falls from" in out


def test_the_distribution_ships_every_package_and_subpackage():
    import pathlib
    import tomllib

    from setuptools import find_packages

    root = pathlib.Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = set(find_packages(root, include=config["packages"]["find"]["include"]))
    on_disk = {".".join(init.parent.relative_to(root).parts)
               for top in ("autograd", "nn") for init in (root / top).rglob("__init__.py")}
    assert on_disk <= shipped and "autograd.batched" in shipped and "autograd.pictures" in shipped
    assert not any(name.startswith("tests") for name in shipped)


def test_the_typed_markers_are_package_data():
    # py.typed tells type checkers to read the annotations: it must ship in the wheel
    import pathlib
    import tomllib

    root = pathlib.Path(__file__).resolve().parent.parent
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    for package in ("autograd", "nn"):
        assert "py.typed" in data[package] and (root / package / "py.typed").is_file()
