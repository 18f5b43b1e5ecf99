"""The seams between modules have public names: read statically from the source."""
import ast
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent


def imports(package):
    """(file, module imported from, name) for every `from X import name` in the package and its
    subpackages."""
    for path in sorted((ROOT / package).rglob("*.py")):
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
    imports included)}, each module named by its dotted path (autograd.pictures.graph), a
    package by its __init__ (autograd.pictures.__init__), subpackages included."""
    paths = {".".join(path.relative_to(ROOT).with_suffix("").parts): path
             for path in sorted((ROOT / package).rglob("*.py"))}

    def module(name):
        """The module that runs on importing `name`, if it is one of the package's."""
        for candidate in (name, name + ".__init__"):
            if candidate in paths:
                return candidate
        return None

    graph = {}
    for name, path in paths.items():
        edges = graph.setdefault(name, set())
        here = name.split(".")[:-1]  # the package this module is in
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package `level - 1` steps up from here
                    base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
                # `from . import graph` imports a module; `from .graph import draw_graph`, a name
                targets = [f"{base}.{alias.name}" if module(f"{base}.{alias.name}") else base
                           for alias in node.names]
            else:
                continue
            edges.update(found for found in map(module, targets) if found)
    return graph


def test_there_are_no_import_cycles():
    for package in ("autograd", "nn"):
        graph = module_graph(package)
        graph.pop(f"{package}.__init__", None)  # it imports every module to export their names
        for start in graph:
            stack, seen = [(start, [start])], set()
            while stack:
                node, path = stack.pop()
                for after in graph.get(node, ()):
                    assert after != start, f"{package}: import cycle {' -> '.join(path + [after])}"
                    if after not in seen:
                        seen.add(after)
                        stack.append((after, path + [after]))


def test_the_import_graph_reads_subpackages():
    graph = module_graph("autograd")
    assert {"autograd.pictures.graph", "autograd.backward"} <= graph["autograd.pictures.steps"]
    assert {"autograd.pictures.graph", "autograd.pictures.steps"} <= \
        graph["autograd.pictures.__init__"]
