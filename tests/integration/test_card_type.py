"""@card(type="modelgate") in real runs: tests/flows/card_flow.py (a modelgate card on every
step, @gate on train with on_fail="record"), run passing and failing; the cards read back with
metaflow.cards.get_cards, then loaded in a real headless browser (Debian's chromium, driven by
Playwright) with every request that is not the card's own file blocked and counted.

The browser tests need the `playwright` package (the dev extra) and /usr/bin/chromium (.ci/run
installs it): they skip without them, except in CI, where they fail."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import modelgate
from helpers import FLOWS, run_flows_side_by_side
from modelgate.metaflow_io.runs import get_run, global_namespace
from modelgate.names import DEFAULT_TAG

pytestmark = pytest.mark.slow  # Metaflow runs of its own, and a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("MODELGATE_CARD_SCREENSHOTS")  # a folder: keep the browser's screenshots there


@pytest.fixture(scope="module")
def card_runs() -> dict[str, str]:
    flow = FLOWS / "card_flow.py"
    return run_flows_side_by_side({"pass": (flow, "CardFlow", []), "fail": (flow, "CardFlow", ["--inverted", "True"])})


def card_html(pathspec: str, step: str) -> str:
    """The HTML of the one modelgate card of the step's task."""
    from metaflow.cards import get_cards

    with global_namespace():
        task = get_run(pathspec)[step].task
        cards = list(get_cards(task, type="modelgate"))
        assert len(cards) == 1, f"{task.pathspec} has {len(cards)} modelgate cards"
        return cards[0].get()


def verdict_word(page: str) -> str:
    (word,) = re.findall(r'<span class="word" data-verdict="\w+">([^<]*)</span>', page)
    return word


def test_every_step_has_a_card_and_the_gated_one_shows_its_verdict(card_runs):
    passing = card_runs["pass"]
    start = card_html(passing, "start")
    assert verdict_word(start) == "NO VERDICT" and "no verdict in this task" in start  # before the gate: said

    train = card_html(passing, "train")
    assert verdict_word(train) == "PASS"
    assert "roc_auc-vs-majority-margin+0.1: the difference against the margin +0.1" in train  # the forest plot
    assert train.count("<svg") == 1 and train.count('src="data:image/png;base64,') == 1  # forest, ROC curves
    assert "ROC curves on 200 validation rows" in train
    # @gate records a middle step's verdict on end, once the run has succeeded: after this card.
    assert "Not on record yet" in train
    with global_namespace():
        fingerprint = get_run(passing)["train"].task["modelgate_data_fingerprint"].data
    assert fingerprint in train


def test_the_end_card_shows_the_verdict_its_record_and_the_tag(card_runs):
    passing = card_runs["pass"]
    end = card_html(passing, "end")
    assert verdict_word(end) == "PASS"
    (record,) = modelgate.history(passing)
    assert f"Recorded in the metadata of this task, {passing}/end/" in end
    for field in ("config_hash", "data_fingerprint", "id", "user", "modelgate_version"):
        assert f"{record[field]}" in end, field
    assert "@gate" in end and f"{DEFAULT_TAG}: apply" in end
    assert f"<dt>tag</dt><dd>{DEFAULT_TAG}</dd>" in end
    assert "none yet" in end  # the first run of the flow: no champion


def test_a_failing_verdict_recorded_by_the_gate_shows_fail_on_both_cards(card_runs):
    failing = card_runs["fail"]
    train, end = card_html(failing, "train"), card_html(failing, "end")
    assert verdict_word(train) == verdict_word(end) == "FAIL"
    assert '<span class="detail">2 of 2 checks failed</span>' in end
    assert '<tr class="outcome-fail"><td class="outcome">FAIL</td>' in end
    assert "<dt>tag</dt><dd>not tagged</dd>" in end and f"{DEFAULT_TAG}: none" in end


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium (Debian's) with a fresh profile, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="modelgate-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class Loaded:
    """A page loaded from a file, with every other request blocked and counted."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []  # every request the page made, the file's own included
        self.blocked: list[str] = []
        self.console: list[str] = []
        self.page = browser.new_page()

        def route(request_route: Any) -> None:
            if request_route.request.url == self.url:
                request_route.continue_()
            else:
                self.blocked.append(request_route.request.url)
                request_route.abort()

        self.page.route("**/*", route)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.goto(self.url, wait_until="load")

    def elsewhere(self) -> list[str]:
        """Requests for anything but the file (data: URIs are decoded in place, not fetched)."""
        return [url for url in self.requests if url != self.url and not url.startswith("data:")]

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path), full_page=True)
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SCREENSHOTS) / path.name)


def test_the_harness_sees_and_blocks_a_request(browser, tmp_path):
    """The check below is not vacuous: a page that fetches something is caught."""
    path = tmp_path / "fetching.html"
    path.write_text('<!DOCTYPE html><html><body><img src="http://192.0.2.1/x.png"></body></html>')
    loaded = Loaded(browser, path)
    assert loaded.blocked == ["http://192.0.2.1/x.png"] and loaded.elsewhere() == ["http://192.0.2.1/x.png"]
    loaded.page.close()


@pytest.mark.parametrize("which, step, word", [("pass", "end", "PASS"), ("fail", "train", "FAIL")])
def test_the_card_renders_in_a_browser_with_no_network(card_runs, browser, tmp_path, which, step, word):
    path = tmp_path / f"modelgate-card-{which}-{step}.html"
    path.write_text(card_html(card_runs[which], step), encoding="utf-8")
    loaded = Loaded(browser, path)
    page = loaded.page
    try:
        shown = page.locator(".verdict .word")
        assert shown.is_visible() and shown.inner_text() == word  # the verdict, in a word
        assert page.locator(".verdict .icon").get_attribute("aria-hidden") == "true"  # the icon is decoration

        forest = page.locator("figure.forest-plot svg")
        assert forest.count() == 1 and forest.is_visible()
        box = forest.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100  # drawn, at a readable size
        labels = forest.locator("text").all_text_contents()  # SVG text has no innerText
        assert any(f"every row (n=200) {word}" in label for label in labels), labels  # each row's outcome, in words

        plot = page.locator("section.task-plot img")
        assert plot.count() == 1
        assert plot.evaluate("img => img.complete && img.naturalWidth > 0")  # the ROC curves, decoded offline

        loaded.screenshot(tmp_path / f"modelgate-card-{which}-{step}.png")
        assert loaded.elsewhere() == [] and loaded.blocked == []  # nothing but the file itself was asked for
        assert not [m for m in loaded.console if "Content Security Policy" in m]  # nor refused by the page's CSP
    finally:
        page.close()


def test_the_no_verdict_card_renders_in_a_browser(card_runs, browser, tmp_path):
    path = tmp_path / "modelgate-card-start.html"
    path.write_text(card_html(card_runs["pass"], "start"), encoding="utf-8")
    loaded = Loaded(browser, path)
    try:
        assert loaded.page.locator(".verdict .word").inner_text() == "NO VERDICT"
        assert loaded.page.get_by_text("no verdict in this task").is_visible()
        assert loaded.elsewhere() == [] and loaded.blocked == []
    finally:
        loaded.page.close()
