"""backward_steps: the step-through page, its numbers, and a real headless browser pressing
Next until the end."""
import html
import json
import os
import shutil

import pytest

from autograd import Value, backward_steps, grad, topological_order
from autograd.backward import chain_rule_steps
from autograd.pictures import render as render_module
from autograd.pictures import steps as steps_module
from autograd.pictures.render import printable
from test_hostile_pages import HOSTILE_TEXTS

IN_CI = bool(os.environ.get("CI"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def expression():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
    n = x * w + b
    n.label = "n"
    h = n.tanh()
    out = h * h + x  # x is used twice: its gradient has two contributions
    out.label = "out"
    return out


def test_the_steps_follow_the_engine():
    out = expression()
    steps = backward_steps(out).steps
    order = topological_order(out)
    engine = [g.data for g in grad(out, order)]
    final = {}
    for step in steps:
        final[step["node"] if step["parent"] is None else step["parent"]] = step["grad"]
    assert [final[i] for i in range(len(order))] == engine  # exactly the engine's numbers
    edges = sum(len(node.parents) for node in order)
    assert len(steps) == edges + 1
    assert steps[0]["text"].startswith("out.grad = 1")


def test_a_step_writes_out_the_chain_rule_with_numbers():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = x * w
    out.label = "out"
    texts = [step["text"] for step in backward_steps(out).steps]
    assert "x.grad += (∂out/∂x = -3) × out.grad 1 = -3" in texts
    assert "w.grad += (∂out/∂w = 2) × out.grad 1 = 2" in texts


def test_the_page_is_self_contained(tmp_path):
    page = backward_steps(expression()).html
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert "fetch(" not in page and "XMLHttpRequest" not in page
    path = backward_steps(expression()).save(tmp_path / "steps.html")
    assert path.read_text() == page


def test_jupyter_shows_it_in_an_iframe():
    steps = backward_steps(expression())
    shown = steps._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "&lt;script&gt;" in shown
    assert "steps" in repr(steps)
    # an untrusted notebook strips the iframe; the steps stay readable as text after it
    after = shown.split("</iframe>", 1)[1]
    assert after.startswith("<details>") and "<script" not in after
    for step in steps.steps:
        assert html.escape(printable(step["text"])) in after


def test_without_a_renderer_the_page_still_steps_through_a_table(monkeypatch):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    page = backward_steps(expression()).html
    assert "<svg" not in page and "the table below shows every step" in page
    assert 'id="grad0"' in page


def test_a_graph_too_large_to_step_through():
    v = Value(1.0)
    for _ in range(500):
        v = v * 1.0001
    with pytest.raises(ValueError, match="more than 400"):
        backward_steps(v)


needs_chromium = pytest.mark.skipif((not CHROMIUM or not CHROMEDRIVER) and not IN_CI,
                                    reason="Chromium and its driver are not installed")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module's tests."""
    from selenium import webdriver  # the test extra installs it
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path_factory.mktemp('profile')}",
                 "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)  # a page that never loads fails, rather than hangs
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@needs_chromium
def test_in_a_headless_browser_next_until_the_end(tmp_path, browser):
    from selenium.webdriver.common.by import By

    out = expression()
    order = topological_order(out)
    engine = [g.data for g in grad(out, order)]
    steps = backward_steps(out)
    path = steps.save(tmp_path / "steps.html")

    driver = browser
    driver.get(path.as_uri())
    counter = driver.find_element(By.ID, "counter")
    assert counter.text == f"step 0 of {len(steps.steps)}"
    cells = driver.find_elements(By.CSS_SELECTOR, "td.grad")
    assert all(cell.text == "—" for cell in cells)  # nothing computed yet
    next_button = driver.find_element(By.ID, "next")
    shown = []
    while next_button.is_enabled():
        next_button.click()
        shown.append(driver.find_element(By.ID, "explain").text)
    assert len(shown) == len(steps.steps)
    assert shown[-1].startswith(steps.steps[-1]["text"]) and "done" in shown[-1]
    assert counter.text == f"step {len(steps.steps)} of {len(steps.steps)}"
    on_page = [float(cell.get_attribute("data-grad")) for cell in cells]
    assert on_page == engine
    # the SVG boxes show the gradients too
    svg_text = driver.find_element(By.ID, "v0").text
    assert "grad" in svg_text and "—" not in svg_text
    # Previous goes back: the first value's gradient is unknown again at step 0
    driver.find_element(By.ID, "reset").click()
    assert driver.find_element(By.ID, "grad0").text == "—"


# ---- hostile labels and parameter names, in a real browser ----

TITLE = "The backward pass, step by step"
# A payload that runs sets window.pwned or the title; one that is parsed as markup adds an
# element. The page is made of exactly these:
ELEMENTS = {"script": 1, "style": 1, "svg": 1, "img": 0, "iframe": 0, "a[href]": 0}


def hostile_expression(text, as_dict):
    """text as a label (x, the output) and as a parameter name (w, unlabelled)."""
    x, w = Value(2.0), Value(-3.0)
    x.label = text
    out = x * w
    out.label = text + "!"
    params = {text: w} if as_dict else [(text, w)]
    return out, params, (x, w)


def step_through(driver, steps, frame=None):
    """Press Next to the end and check the page did what it should and nothing else."""
    from selenium.webdriver.common.by import By

    if frame is not None:
        driver.switch_to.frame(frame)
    try:
        assert driver.execute_script("return window.pwned") is None
        assert driver.execute_script("return document.title") == TITLE
        for selector, count in ELEMENTS.items():
            assert len(driver.find_elements(By.CSS_SELECTOR, selector)) == count, selector
        next_button = driver.find_element(By.ID, "next")
        assert next_button.is_displayed()
        explained = []
        for _ in steps:  # a bounded loop: on a page whose script died, Next never turns off
            next_button.click()
            explained.append(driver.find_element(By.ID, "explain").get_property("textContent"))
        assert not next_button.is_enabled()
        assert [text.split("   (done")[0] for text in explained] == [s["text"] for s in steps]
        return explained, [float(cell.get_attribute("data-grad"))
                           for cell in driver.find_elements(By.CSS_SELECTOR, "td.grad")]
    finally:
        assert driver.execute_script("return window.pwned") is None
        driver.switch_to.default_content()
        assert driver.execute_script("return window.pwned") is None


@needs_chromium
@pytest.mark.parametrize("position", range(len(HOSTILE_TEXTS)))
def test_hostile_labels_and_names_stay_text_in_the_browser(position, tmp_path, browser):
    from selenium.webdriver.common.by import By

    text = HOSTILE_TEXTS[position]
    out, params, (x, w) = hostile_expression(text, as_dict=position % 2 == 0)
    steps = backward_steps(out, params=params)
    order = topological_order(out)
    engine = [g.data for g in grad(out, order)]
    shown = printable(text) or f"v{order.index(x)}"  # an empty label: the box's number
    name = printable(text)

    # the saved page
    browser.get(steps.save(tmp_path / "steps.html").as_uri())
    explained, grads = step_through(browser, steps.steps)
    assert grads == engine
    assert any(t.startswith(f"{shown}.grad += (∂{name}!/∂{shown} = -3)") for t in explained)
    if name:
        assert any(t.startswith(f"{name}.grad += (∂{name}!/∂{name} = 2)") for t in explained)
    rows = [row.get_property("textContent")
            for row in browser.find_elements(By.CSS_SELECTOR, "tr td:first-child")]
    assert rows[order.index(x)] == shown and rows[-1] == name + "!"

    # the notebook's form: an iframe whose srcdoc is the page
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<!DOCTYPE html><html><head><title>notebook</title></head><body>"
                        f"{steps._repr_html_()}</body></html>", encoding="utf-8")
    browser.get(notebook.as_uri())
    assert browser.title == "notebook"
    frames = browser.find_elements(By.TAG_NAME, "iframe")
    assert len(frames) == 1 and not browser.find_elements(By.CSS_SELECTOR, "img, script")
    explained_in_frame, grads = step_through(browser, steps.steps, frame=frames[0])
    assert explained_in_frame == explained and grads == engine


def test_placeholders_are_filled_in_one_pass():
    # a label that names a placeholder stays text: no later substitution sees it
    for text in ("{svg}", "{rows}", "{data}"):
        x = Value(1.0, label=text)
        page = backward_steps(x * 2).html
        assert page.count("<svg") == 1 and page.count("const DATA = {") == 1
        assert page.count('<tr id="row0">') == 1


def test_the_embedded_data_cannot_end_its_script():
    label = "</script><!--<script>&\u2028\u2029"
    x = Value(1.0, label=label)
    page = backward_steps(x * 2).html
    line = next(line for line in page.split("\n") if line.startswith("const DATA = "))
    assert not set("<>&\u2028\u2029") & set(line)
    data = json.loads(line[len("const DATA = "):-1])
    assert data["nodes"][0]["name"] == label  # the same text, only written differently


@needs_chromium
def test_a_label_that_starts_with_grad_keeps_its_box(tmp_path, browser):
    from selenium.webdriver.common.by import By

    x = Value(2.0, label="x")
    n = x * x
    n.label = "grad of n"  # the page writes each gradient into its box: not into this title
    out = n.tanh()
    steps = backward_steps(out)
    browser.get(steps.save(tmp_path / "steps.html").as_uri())
    next_button = browser.find_element(By.ID, "next")
    for _ in steps.steps:
        next_button.click()
    index = topological_order(out).index(n)
    texts = [t.get_property("textContent")
             for t in browser.find_elements(By.CSS_SELECTOR, f"#v{index} text")]
    assert texts[0] == "grad of n" and texts[-1].startswith("grad ") and texts[-1] != "grad —"


def test_the_page_template_holds_each_placeholder_once():
    template = steps_module.page_template()
    for name in ("svg", "rows", "data"):
        assert template.count("{{" + name + "}}") == 1
    assert template.count("{{") == 3


def test_the_page_template_ships_with_the_package():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml"), "rb") as file:
        setuptools = tomllib.load(file)["tool"]["setuptools"]
    from setuptools import find_packages

    root = os.path.join(os.path.dirname(__file__), "..")
    assert "autograd.pictures" in find_packages(root, include=setuptools["packages"]["find"]["include"])
    assert "step_page.html" in setuptools["package-data"]["autograd.pictures"]


def test_the_page_takes_the_engines_steps():
    out = expression()
    order = topological_order(out)
    number = {node: i for i, node in enumerate(order)}
    page = backward_steps(out).steps[1:]  # after the first, d out / d out = 1
    walk = list(chain_rule_steps(out))
    assert [(s["node"], s["parent"], s["edge"], s["grad"]) for s in page] == [
        (number[s.node], number[s.parent], f"e{number[s.parent]}_{number[s.node]}_{s.position}",
         s.after) for s in walk]
