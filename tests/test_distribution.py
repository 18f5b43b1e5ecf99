"""The distribution as pip and PyPI see it: one version everywhere, the licence, an sdist whose
tests can run (helpers, notebooks) and whose README finds its pictures."""
import pathlib
import re
import subprocess
import sys
import tarfile
import tomllib

import pytest

import autograd
import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_one_version_everywhere():
    assert autograd.__version__ == nn.__version__ == PROJECT["version"]


def test_the_licence_is_an_spdx_string_with_its_file():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the chainrule authors" in text
    # PEP 639: the SPDX string replaces the licence classifier (setuptools refuses both)
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])
    build_requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r)
               for r in build_requires["requires"])


def test_the_classifiers_name_the_supported_pythons():
    minimum = PROJECT["requires-python"].removeprefix(">=")
    assert minimum == "3.10"
    versions = {c.rsplit(" :: ", 1)[1] for c in PROJECT["classifiers"]
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert versions == {"3.10", "3.11", "3.12", "3.13"}
    # a Typing :: Typed classifier promises a py.typed marker
    typed = "Typing :: Typed" in PROJECT["classifiers"]
    assert typed == (ROOT / "autograd" / "py.typed").exists()


def readme_pictures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((docs/[^)\s]+)\)", readme)
    assert linked, "the README shows pictures from docs/"
    return sorted(set(linked))


def test_the_readme_pictures_exist():
    for path in readme_pictures():
        assert (ROOT / path).is_file(), path


@pytest.fixture(scope="module")
def sdist_names(tmp_path_factory):
    pytest.importorskip("build", reason="the sdist test needs `build` (pip install build)")
    out = tmp_path_factory.mktemp("sdist")
    # --no-isolation would use this environment's setuptools, which may predate PEP 639;
    # the default isolated build fetches the pinned one, as pip and CI do.
    result = subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out),
                             str(ROOT)], capture_output=True, text=True, timeout=300)
    if result.returncode != 0 and "Could not find a version that satisfies" in result.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (archive,) = out.glob("chainrule-*.tar.gz")
    assert archive.name == f"chainrule-{PROJECT['version']}.tar.gz"
    top = f"chainrule-{PROJECT['version']}/"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        metadata = tar.extractfile(top + "PKG-INFO").read().decode("utf-8")
    assert all(name.startswith(top) or name == top.rstrip("/") for name in names)
    return {name[len(top):] for name in names if name.startswith(top)}, metadata


def tracked(pattern):
    return sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern))


def test_the_sdist_metadata_states_the_licence(sdist_names):
    _, metadata = sdist_names
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers and "License-File: LICENSE" in headers
    assert f"Version: {PROJECT['version']}" in headers


def test_the_sdist_carries_what_its_tests_and_readme_need(sdist_names):
    sdist_names, _ = sdist_names
    needed = {"README.md", "LICENSE", "pyproject.toml", "PKG-INFO",
              "tests/cases.py", "tests/reference.py", "autograd/__init__.py", "nn/__init__.py",
              "nn/datasets/digits.csv.gz", "autograd/pictures/step_page.html",
              "autograd/py.typed", "nn/py.typed"}
    needed |= set(tracked("tests/*.py")) | set(tracked("tests/typing/*.py"))
    needed |= set(tracked("notebooks/*.ipynb"))
    needed |= set(readme_pictures())
    assert len(tracked("notebooks/*.ipynb")) >= 8
    missing = needed - sdist_names
    assert not missing, f"missing from the sdist: {sorted(missing)}"


def test_the_sdist_carries_no_litter(sdist_names):
    sdist_names, _ = sdist_names
    litter = [name for name in sdist_names
              if "__pycache__" in name or name.endswith((".pyc", ".pyo"))
              or ".ipynb_checkpoints" in name or name.startswith((".hypothesis", "build/",
                                                                  "dist/", ".git/"))]
    assert litter == []
