"""The committed walkthroughs: run top to bottom, outputs kept, listed in the README.

(`python -m pytest` also executes every notebook afresh, through nbmake.)"""
import json
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "notebooks")
NOTEBOOKS = sorted(name for name in os.listdir(FOLDER) if name.endswith(".ipynb"))


def test_there_are_eight_in_reading_order():
    assert len(NOTEBOOKS) == 8
    assert [name[:3] for name in NOTEBOOKS] == [f"0{i}_" for i in range(1, 9)]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_copy_ran_top_to_bottom_without_errors(name):
    with open(os.path.join(FOLDER, name), encoding="utf-8") as file:
        notebook = json.load(file)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell.get("execution_count") for cell in code]
    assert counts == list(range(1, len(code) + 1)), "not run once, top to bottom"
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert not any("Traceback" in "".join(o.get("text", "")) for o in outputs)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_readme_lists_it(name):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as file:
        assert f"notebooks/{name}" in file.read()


def test_pictures_are_kept():
    kinds = set()
    for name in NOTEBOOKS:
        with open(os.path.join(FOLDER, name), encoding="utf-8") as file:
            for cell in json.load(file)["cells"]:
                for output in cell.get("outputs", []):
                    kinds.update(output.get("data", {}))
    assert {"image/png", "image/svg+xml", "text/html"} <= kinds


def cells_of(name):
    with open(os.path.join(FOLDER, name), encoding="utf-8") as file:
        return json.load(file)["cells"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pictures_show_untrusted_and_no_progress_bars_are_kept(name):
    for cell in cells_of(name):
        outputs = cell.get("outputs", [])
        stderr = [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
        assert len(stderr) <= 3 and sum(len("".join(o["text"])) for o in stderr) <= 1500
        for output in outputs:
            data = output.get("data", {})
            # an untrusted notebook (a fresh clone) shows no SVG: a PNG must stand beside it
            assert "image/svg+xml" not in data or "image/png" in data
            assert "application/vnd.jupyter.widget-view+json" not in data  # stale once saved


# ---- exercises that check themselves (autograd.exercises.check) ----

CHECKED = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")


def exercises(name):
    """{exercise name: (learner's cells, solution cells)} of a notebook."""
    found = {}
    for cell in cells_of(name):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        solution = "solution" in cell.get("metadata", {}).get("tags", [])
        for exercise in CHECKED.findall(source):
            found.setdefault(exercise, ([], []))[solution].append(cell)
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_has_three_exercises_each_with_a_hidden_checked_solution(name):
    found = exercises(name)
    assert len(found) >= 3, f"{name} has {len(found)} exercises"
    for exercise, (tasks, solutions) in found.items():
        assert tasks and solutions, f"{exercise}: a learner's cell and a solution cell"
        for task in tasks:  # as committed: waiting for the learner
            text = "".join("".join(o.get("text", "")) for o in task.get("outputs", []))
            assert f"{exercise} not answered yet" in text, exercise
        for solution in solutions:  # hidden in JupyterLab, and run through the check
            hidden = solution["metadata"].get("jupyter", {})
            assert hidden.get("source_hidden") and hidden.get("outputs_hidden"), exercise
            assert re.search(r"assert check\(\s*[\"']" + re.escape(exercise),
                             "".join(solution["source"])), exercise
            text = "".join("".join(o.get("text", "")) for o in solution.get("outputs", []))
            assert f"{exercise} right" in text, exercise
