"""The public API is typed (py.typed ships in both packages): mypy --strict accepts code that
uses it as the README does, and catches code that misuses it."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USES = sorted((ROOT / "tests" / "typing").glob("uses_*.py"))


def mypy(path, tmp_path):
    pytest.importorskip("mypy", reason="the typing test needs mypy (in the test extra)")
    # --follow-imports=silent: our modules are read for their types, their own insides are
    # not what is tested here
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
               "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), str(path)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_both_packages_are_marked_typed():
    assert (ROOT / "autograd" / "py.typed").is_file() and (ROOT / "nn" / "py.typed").is_file()


@pytest.mark.parametrize("path", USES, ids=lambda p: p.name)
def test_code_written_against_the_public_api_type_checks(path, tmp_path):
    result = mypy(path, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


MISUSES = {
    "a Value is not a str": "from autograd import Value\ns: str = Value(1.0)\n",
    "grad of a list is a list": "from autograd import Value, grad\n"
                                "g: Value = grad(Value(1.0), [Value(2.0)])\n",
    "exp of a float is a float": "from autograd import exp\nv: str = exp(1.0)\n",
    "data is a float": "from autograd import Value\nv: str = Value(1.0).data\n",
    "fit returns a History": "import nn\nX, y = nn.data.xor()\n"
                             "h: str = nn.fit(nn.MLP(2, [1]), X, y)\n",
    "an optimizer takes Values": "import nn\nnn.optim.SGD([1.0, 2.0], lr=0.1)\n",
    "several outputs are a list": "import nn\nfrom autograd import Value\n"
                                  "v: Value = nn.MLP(2, [4, 3])([1.0, 2.0])\n",
}


@pytest.mark.parametrize("name", MISUSES)
def test_misuse_is_caught(name, tmp_path):
    # the hints say something: a wrong type is an error, not Any passing silently
    path = tmp_path / "misuse.py"
    path.write_text(MISUSES[name])
    result = mypy(path, tmp_path)
    assert result.returncode == 1 and "error" in result.stdout, result.stdout
