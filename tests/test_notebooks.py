"""The committed walkthroughs: run top to bottom, outputs kept, listed in the README.

(`python -m pytest` also executes every notebook afresh, through nbmake.)"""
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "notebooks")
NOTEBOOKS = sorted(name for name in os.listdir(FOLDER) if name.endswith(".ipynb"))


def test_there_are_seven_in_reading_order():
    assert len(NOTEBOOKS) == 7
    assert [name[:3] for name in NOTEBOOKS] == [f"0{i}_" for i in range(1, 8)]


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
