"""Every ```python block of the README, executed in order in one namespace (as a reader typing
them into one session would), in a scratch folder, with matplotlib drawing off-screen.

How the README is read:
- a ```python block followed directly by a plain ``` block shows its output there; when that
  output starts with `SomeError: ...` the block is meant to raise it, with that message;
  otherwise the block's printed output must match it (numbers to 1e-6, tiny errors to 1e-9);
- `print(...)  # shown` lines must print what the comment shows, and `name = ...  # ... = 1.5`
  lines must give that number, to the same tolerance;
- a block that is broken as written is listed in BROKEN with the fix it needs, and is expected
  to fail until the README is fixed (strictly: once it runs, the entry must go).
"""
import contextlib
import io
import math
import os
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", flags=re.S | re.M)
ERROR = re.compile(r"^(\w+(?:Error|Exception|Warning)): (.*)", flags=re.S)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")

# A block broken as written: a piece of its text, the error it raises, and the fix it needs.
BROKEN = {}  # piece of a block's code -> (the error it raises, why and the fix it needs)


def python_blocks():
    """(line, code, shown output or None) for each ```python block, in order."""
    fences = list(FENCE.finditer(README))
    blocks = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        shown = None
        following = fences[i + 1] if i + 1 < len(fences) else None
        if (following is not None and following.group(1) == ""
                and README[fence.end():following.start()].strip() == ""):
            shown = following.group(2)
        blocks.append((README.count("\n", 0, fence.start()) + 1, fence.group(2), shown))
    return blocks


BLOCKS = python_blocks()


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def same_text(printed, shown):
    """Equal line by line, words exactly and numbers to the tolerance."""
    got, want = printed.strip().splitlines(), shown.strip().splitlines()
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if NUMBER.sub("#", g).split() != NUMBER.sub("#", w).split():
            return False
        if not all(close(float(a), float(b))
                   for a, b in zip(NUMBER.findall(g), NUMBER.findall(w))):
            return False
    return True


def statements_with_comments(code):
    """Split a block into top-level statements, each with the comment on its last line."""
    import ast

    tree = ast.parse(code)
    lines = code.splitlines()
    for node in tree.body:
        last = lines[node.end_lineno - 1]
        comment = last.split("#", 1)[1].strip() if "#" in last else ""
        # a '#' inside a string on that line is not a comment: check it parses without it
        if comment:
            try:
                ast.parse(last.split("#", 1)[0].strip() or "pass")
            except SyntaxError:
                comment = ""
        yield node, comment


def run_block(code, namespace):
    """Run a block statement by statement, checking `print(...)  # shown` and
    `name = ...  # ... = number` comments; returns everything printed."""
    import ast

    printed_all = io.StringIO()
    for node, comment in statements_with_comments(code):
        out = io.StringIO()
        module = ast.Module(body=[node], type_ignores=[])
        with contextlib.redirect_stdout(out):
            exec(compile(module, "<README>", "exec"), namespace)
        printed_all.write(out.getvalue())
        if not comment:
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "print"):
            assert same_text(out.getvalue(), comment), \
                f"{ast.unparse(node)} printed {out.getvalue().strip()!r}, the README shows " \
                f"{comment!r}"
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)
              and re.search(r"=\s*(" + NUMBER.pattern + r")\s*$", comment)):
            want = float(re.search(r"=\s*(" + NUMBER.pattern + r")\s*$", comment).group(1))
            value = namespace[node.targets[0].id]
            got = float(getattr(value, "data", value))
            assert close(got, want), f"{node.targets[0].id} is {got}, the README says {want}"
    return printed_all.getvalue()


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One namespace for all the blocks, in a scratch folder, with matplotlib off-screen."""
    os.environ["MPLBACKEND"] = "Agg"
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
    except ImportError:
        pass
    folder = tmp_path_factory.mktemp("readme")
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield {"__name__": "__readme__"}
    finally:
        os.chdir(before)
        with contextlib.suppress(ImportError):
            import matplotlib.pyplot as plt
            plt.close("all")


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 6
    # the divergence example is recognised as meant to raise
    assert any(shown and shown.startswith("FloatingPointError:") for _, _, shown in BLOCKS)


def marks(code):
    for piece, (error, reason) in BROKEN.items():
        if piece in code:
            return [pytest.mark.xfail(raises=error, strict=True, reason=reason)]
    return []


@pytest.mark.parametrize("line, code, shown", [
    pytest.param(line, code, shown, id=f"line{line}", marks=marks(code))
    for line, code, shown in BLOCKS])
def test_readme_block(session, line, code, shown):
    expected = ERROR.match(shown.strip()) if shown else None
    if expected:
        with pytest.raises(Exception) as raised:
            run_block(code, session)
        assert type(raised.value).__name__ == expected.group(1)
        assert str(raised.value) == expected.group(2).strip()
        return
    try:
        printed = run_block(code, session)
    except Exception as error:
        if type(error).__name__ == "RendererNotFound":
            pytest.skip(f"no Graphviz renderer to save a picture: {error}")
        if isinstance(error, ModuleNotFoundError) and error.name == "torch":
            pytest.skip("the block leaves for PyTorch, which is not installed")
        raise
    if shown is not None:
        assert same_text(printed, shown), f"printed:\n{printed}\nthe README shows:\n{shown}"
