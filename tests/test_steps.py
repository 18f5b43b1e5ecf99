"""backward_steps: the step-through page, its numbers, and a real headless browser pressing
Next until the end."""
import os
import shutil

import pytest

from autograd import Value, backward_steps, grad, topological_order
from autograd import render as render_module

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


@pytest.mark.skipif((not CHROMIUM or not CHROMEDRIVER) and not IN_CI,
                    reason="Chromium and its driver are not installed")
def test_in_a_headless_browser_next_until_the_end(tmp_path):
    from selenium import webdriver  # the test extra installs it
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    out = expression()
    order = topological_order(out)
    engine = [g.data for g in grad(out, order)]
    steps = backward_steps(out)
    path = steps.save(tmp_path / "steps.html")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                 "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
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
    finally:
        driver.quit()
