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


def module_graph(package):
    """{module: the package's modules it imports, anywhere in its source (function-local
    imports included)}."""
    graph = {}
    for path in sorted((ROOT / package).glob("*.py")):
        name = path.stem
        edges = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    edges.add(node.module.split(".")[0])
                elif node.level == 1:
                    edges.update(alias.name for alias in node.names)
                elif node.module and node.module.split(".")[0] == package:
                    edges.add((node.module.split(".") + ["__init__"])[1])
    return graph


def test_there_are_no_import_cycles():
    for package in ("autograd", "nn"):
        graph = module_graph(package)
        graph.pop("__init__", None)  # it imports every module to export their names
        for start in graph:
            stack, seen = [(start, [start])], set()
            while stack:
                node, path = stack.pop()
                for after in graph.get(node, ()):
                    assert after != start, f"{package}: import cycle {' -> '.join(path + [after])}"
                    if after not in seen:
                        seen.add(after)
                        stack.append((after, path + [after]))
