"""The seams between modules have public names: read statically from the source."""
import ast
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent


def imports(package):
    """(file, module imported from, name) for every `from X import name` in the package."""
    for path in sorted((ROOT / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    yield path.relative_to(ROOT).as_posix(), module, alias.name


def ours(module):
    return module.startswith(".") or module.split(".")[0] in ("autograd", "nn")


def test_no_module_imports_another_modules_underscore_names():
    private = [(path, module, name) for package in ("autograd", "nn")
               for path, module, name in imports(package)
               if ours(module) and name.startswith("_") and not name.startswith("__")]
    assert private == []


def test_nn_uses_only_the_names_autograd_exports():
    outside = [(path, module, name) for path, module, name in imports("nn")
               if module.split(".")[0] == "autograd"
               and (module != "autograd" or name not in autograd.__all__)]
    assert outside == []
