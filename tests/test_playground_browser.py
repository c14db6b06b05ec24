"""The playground end to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright for Python): load URLs, read `window.playground.state()`, click and drag controls,
and take screenshots (written to $TINYREG_SCREENSHOTS when it is set, else to a temporary
folder). Skipped only where Chromium or Playwright is missing; CI has both."""

import os
import time
from pathlib import Path

import pytest

from tinyreg.app.playground.config import parse_query
from tinyreg.app.playground.session import Session

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("starlette")
from test_playground_server import start, stop  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    proc, url = start()
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A browser context; Playwright's wait_for_function evaluates strings, which the page's
    Content-Security-Policy forbids, so these contexts bypass it (the first test keeps it)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    yield context
    context.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("TINYREG_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def running(state) -> bool:
    if state is None:
        return True
    return any(s["running"] for s in state.values()) if "a" in state else state["running"]


def settle(page, limit: float = 60.0) -> dict:
    """Poll window.playground.state() until training is over; returns the state."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = page.evaluate("window.playground.state()")
        if not running(state):
            return state
        time.sleep(0.1)
    pytest.fail(f"still training after {limit} s: {state}")


def engine(query: str) -> dict:
    """The numbers the tinyreg engine gives for `query`, trained here, without the server."""
    session = Session(*parse_query(query))
    while not session.done:
        session.step()
    session.playing = False
    return session.state()


def test_a_url_trains_to_its_steps_with_the_engines_numbers(server, browser, shots):
    query = "?run=1&steps=300&dataset=spirals&hidden=16,16&l1_prox=0.02&dropout=0.1"
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # under the page's CSP
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + query)
    state = settle(page)
    assert state == engine(query)
    assert state["step"] == 300 and state["running"] is False and state["zero_fraction"] > 0
    page.wait_for_timeout(300)  # the last frame drawn
    page.screenshot(path=shots / "playground_single.png", full_page=True)
    assert not errors
    assert page.evaluate("window.playground.updates()") >= 2
    page.close()


def test_two_tabs_are_independent_and_the_same_url_gives_the_same_numbers(server, context):
    first, second = "?run=1&steps=200&dropout=0.3", "?run=1&steps=200&dropout=0.3&seed=5&lr=0.1"
    pages = [context.new_page() for _ in range(3)]
    for page, query in zip(pages, [first, second, first], strict=True):
        page.goto(server + query)
    states = [settle(page) for page in pages]
    assert states[0] == states[2] == engine(first)
    assert states[1] == engine(second) != states[0]


def test_a_bad_value_shows_an_error_naming_the_field_and_the_value(server, context):
    page = context.new_page()
    page.goto(server + "?dropout=2&run=1&steps=10")
    alert = page.locator("#errors")
    alert.wait_for(state="visible")
    text = alert.inner_text()
    assert "dropout" in text and "'2'" in text
    page.wait_for_function("window.playground.state() !== null")
    assert page.evaluate("window.playground.state()")["step"] == 0  # not started
    page.click("#play")  # the rest of the page works: dropout at its default
    page.wait_for_function("window.playground.state().step > 0")
    assert settle(page)["step"] == 10
    other = context.new_page()  # and the server serves on
    other.goto(server + "?run=1&steps=5")
    assert settle(other)["step"] == 5


def test_ab_trains_two_models_from_the_same_weights(server, context, shots):
    query = "?run=1&steps=400&hidden=12,12&b.l1_prox=0.03&b.group_lasso=0.01"
    page = context.new_page()
    page.goto(server + query)
    state = settle(page)
    assert set(state) == {"a", "b"} and state == engine(query)
    assert state["a"]["step"] == state["b"]["step"] == 400
    assert state["b"]["zero_fraction"] > 0 == state["a"]["zero_fraction"]
    assert page.locator(".card").count() == 2
    page.wait_for_timeout(300)
    page.screenshot(path=shots / "playground_ab.png", full_page=True)


def test_controls_drag_click_and_the_url_follows(server, context, shots):
    page = context.new_page()
    page.goto(server + "?steps=0")
    page.wait_for_function("window.playground.state() !== null")
    assert page.evaluate("window.playground.state()")["running"] is False
    slider = page.locator('.knob[data-name="dropout"] input[type=range]')
    box = slider.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    knob = "'.knob[data-name=\"dropout\"] input[type=number]'"  # the slider's value box
    dragged = f"parseFloat(document.querySelector({knob}).value)"
    in_url = "parseFloat(new URLSearchParams(location.search).get('dropout'))"
    page.wait_for_function(f"{in_url} === {dragged}")  # the URL follows to where the drag ended
    value = page.evaluate(in_url)
    assert 0.2 <= value <= 0.6
    page.click("#play")
    page.wait_for_function("window.playground.state().step > 50")
    assert page.evaluate("window.playground.state()")["running"] is True
    page.select_option('.knob[data-name="optimizer"] select', "adamw")  # a model knob: reset
    page.wait_for_function("location.search.includes('optimizer=adamw')")
    page.click("#play")  # pause
    page.wait_for_function("window.playground.state().running === false")
    assert page.evaluate("window.playground.latencies().length") >= 2  # answered, measured
    page.click("#ab")
    page.wait_for_function("document.querySelectorAll('.card').length === 2")
    page.click("#code")
    code = page.locator("#code-text")
    code.wait_for(state="visible")
    assert "tr.manual_seed(0)" in code.inner_text() and "optim.AdamW" in code.inner_text()
    page.screenshot(path=shots / "playground_code.png")
