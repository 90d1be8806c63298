"""The report page in a real browser: headless Chromium driven by Playwright's Python client.

Chromium is the system's (Debian's `chromium` package; `VIDEOCAM_CHROMIUM` names another
executable); nothing is downloaded. Without Playwright or Chromium these tests are skipped,
and the reason is printed (pytest -rs, on by default in pyproject.toml).
"""
from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from report_pages import APPEARANCES, FPS, SCRIPT, level, read_summary, write_run, write_truth, write_video

from videocam.cli.main import main
from videocam.eval.report_html import INDEX_NAME

EVIL = "<img src=x onerror=alert(1)>"
KIM = 'Kim "Jr." & Sons'


def _chromium() -> str | None:
    env = os.environ.get("VIDEOCAM_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests: Playwright is not installed (pip install -e '.[test]')")
    exe = _chromium()
    if exe is None:
        pytest.skip("browser tests: no Chromium found (apt-get install chromium, or set VIDEOCAM_CHROMIUM)")
    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=exe)
        except Exception as e:  # noqa: BLE001 - any launch failure is a reason to skip, said aloud
            pytest.skip(f"browser tests: Chromium at {exe} did not start: {str(e).splitlines()[0]}")
        yield b
        b.close()


class Page:
    """A page with everything it did recorded: console errors, page errors, requests, dialogs."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def files_requested(self) -> set[Path]:
        """Every request, which must all be file:// URLs (data: thumbnails make none)."""
        schemes = {urlparse(u).scheme for u in self.requests}
        assert schemes <= {"file"}, self.requests
        return {Path(unquote(urlparse(u).path)) for u in self.requests}

    def wait_until(self, expr: str, timeout_s: float = 10.0) -> None:
        """Poll `expr` from outside the page (the page's CSP forbids the eval that
        Playwright's wait_for_function uses)."""
        end = time.monotonic() + timeout_s
        while not self.page.evaluate(expr):
            if time.monotonic() > end:
                raise AssertionError(f"still false after {timeout_s} s: {expr}")
            self.page.wait_for_timeout(50)

    def wait_video(self) -> None:
        self.wait_until("document.getElementById('video').readyState >= 1")


@pytest.fixture
def demo(tmp_path):
    """A run CSV, its truth and its annotated video (grey level = frame number), reported with --html."""
    csv_path = write_run(tmp_path / "clip.cam.csv")
    write_video(tmp_path / "clip.cam.mp4")
    truth = write_truth(tmp_path / "clip.truth.csv")
    assert main(["report", str(csv_path), "--truth", str(truth), "--html"]) == 0
    return tmp_path


@pytest.fixture
def demo_page(browser, demo):
    p = Page(browser, (demo / "clip.cam.report.html").as_uri())
    yield p
    p.page.close()


def test_loads_with_no_error_and_no_request_elsewhere(demo_page, demo):
    demo_page.wait_video()
    demo_page.page.wait_for_timeout(200)
    assert demo_page.errors == []
    assert demo_page.files_requested() == {demo / "clip.cam.report.html", demo / "clip.cam.mp4"}
    assert demo_page.page.locator("img").count() == APPEARANCES["ahn"] + APPEARANCES["moon"]
    assert demo_page.page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")


def test_one_mark_per_appearance(demo_page, demo):
    lanes = demo_page.page.evaluate("Array.from(document.querySelectorAll('rect.mark')).map(r => r.dataset.lane)")
    summary = read_summary(demo / "clip.cam.summary.csv")
    counts = {name: lanes.count(name) for name in set(lanes)}
    assert counts == APPEARANCES
    assert counts == {k: int(summary[k]["appearances"]) for k in summary if int(summary[k]["appearances"] or 0)}


def test_table_matches_the_summary_csv(demo_page, demo):
    shown = demo_page.page.evaluate("""Array.from(document.querySelectorAll('#people tr[data-name]')).map(
        tr => [tr.dataset.name, tr.querySelector('td.screen').textContent, tr.querySelector('td.n').textContent])""")
    summary = read_summary(demo / "clip.cam.summary.csv")
    assert [name for name, _, _ in shown] == [k for k in summary if "+" not in k or k == "2+ people"]
    for name, screen, n in shown:
        assert float(screen.removesuffix(" s")) == pytest.approx(float(summary[name]["screen_s"]), abs=0.005)
        assert int(n) == int(summary[name]["appearances"])


def _frame_shown(page) -> int:
    """The frame number the video element shows, from its grey level."""
    from PIL import Image
    img = Image.open(io.BytesIO(page.locator("#video").screenshot())).convert("L")
    grey = img.getpixel((img.width // 2, img.height // 3))
    return round((grey - level(0)) / (level(1) - level(0)))


def _frame_settles(page, want: int, timeout_s: float = 3.0) -> int:
    """The frame shown once painting has caught up: `want` as soon as it shows, else the last seen."""
    end = time.monotonic() + timeout_s
    shown = _frame_shown(page)
    while shown != want and time.monotonic() < end:
        page.wait_for_timeout(50)
        shown = _frame_shown(page)
    return shown


def test_click_seeks_to_the_start_and_plays(demo_page):
    page = demo_page.page
    demo_page.wait_video()
    # Record play() instead of playing, so the frame stays put to be checked.
    page.evaluate("() => { const v = document.getElementById('video'); window.played = 0;"
                  "v.play = () => { window.played += 1; return Promise.resolve(); }; }")
    for lane, k, start_frame in (("ahn", 1, 27), ("moon", 1, 21), ("nobody", 0, 0), ("ahn", 0, 5)):
        mark = page.locator(f'rect.mark[data-lane="{lane}"]').nth(k)
        start = float(mark.get_attribute("data-t0"))
        assert start == pytest.approx(start_frame / FPS)
        page.evaluate("() => { window.seeked = new Promise(r => document.getElementById('video')"
                      ".addEventListener('seeked', r, {once: true})); }")  # not awaited here
        mark.click()
        page.evaluate("window.seeked")
        now = page.evaluate("document.getElementById('video').currentTime")
        assert abs(now - start) < 1.0 / FPS  # within one frame
        # 'seeked' can fire before the compositor paints the new frame (seen on a loaded 2-core
        # machine: the frame before it was still on screen), so wait for the paint, then check it.
        assert _frame_settles(page, start_frame) == start_frame
    assert page.evaluate("window.played") == 4
    assert demo_page.errors == []


def test_click_really_plays(demo_page):
    demo_page.wait_video()
    demo_page.page.locator('rect.mark[data-lane="ahn"]').first.click()
    demo_page.wait_until("document.getElementById('video').currentTime > 0.55")
    assert demo_page.errors == []


def test_hover_says_who_when_and_how_sure(demo_page):
    mark = demo_page.page.locator('rect.mark[data-lane="moon"]').nth(1)
    mark.hover()
    tip = demo_page.page.locator("#tip")
    assert tip.is_visible()
    assert tip.inner_text().splitlines() == ["moon", "0:02.10 – 0:02.70 (0.60 s)", "mean probability 0.900"]  # p 0.8, its box 0.9


def test_names_from_files_show_literally_and_run_nothing(browser, tmp_path):
    script = [("nobody", [])] * 3 + [(EVIL, [EVIL])] * 4 + [(EVIL, [EVIL, KIM])] * 3 + [(KIM, [KIM])] * 4
    folder = tmp_path / "a&b <i>"
    folder.mkdir()
    stem = 'it\'s <b>"#1"'
    csv_path = write_run(folder / f"{stem}.cam.csv", script, classes=(EVIL, KIM, "nobody"))
    write_video(folder / f"{stem}.cam.mp4", n=len(script))
    truth = write_truth(folder / "t <u>.csv", script)
    assert main(["report", str(csv_path), "--truth", str(truth), "--html"]) == 0
    p = Page(browser, (folder / f"{stem}.cam.report.html").as_uri())
    page = p.page
    p.wait_video()  # the video's odd name still resolves
    text = page.locator("main").inner_text()
    for s in (EVIL, KIM, stem, "t <u>.csv"):
        assert s in text
    assert page.title().startswith(stem)
    assert page.evaluate("document.querySelectorAll('main b, main i, main u, img[src=\"x\"]').length") == 0
    lanes = page.evaluate("Array.from(document.querySelectorAll('rect.mark')).map(r => r.dataset.lane)")
    assert set(lanes) == {EVIL, KIM, "nobody", "2+ people"}
    page.locator("rect.mark").nth(lanes.index(EVIL)).hover()
    assert page.locator("#tip").inner_text().splitlines()[0] == EVIL
    page.locator("rect.mark").nth(lanes.index(KIM)).click()
    page.wait_for_timeout(300)
    assert p.dialogs == [] and p.errors == []
    assert p.files_requested() == {folder / f"{stem}.cam.report.html", folder / f"{stem}.cam.mp4"}
    page.close()


def test_index_page_links_each_run(browser, tmp_path):
    for name in ("a", "b"):
        write_run(tmp_path / f"{name}.cam.csv", SCRIPT if name == "a" else SCRIPT[:10])
    assert main(["report", str(tmp_path / "a.cam.csv"), str(tmp_path / "b.cam.csv"), "--html"]) == 0
    p = Page(browser, (tmp_path / INDEX_NAME).as_uri())
    rows = p.page.locator("#videos tbody tr")
    assert rows.count() == 2
    hrefs = p.page.evaluate("Array.from(document.querySelectorAll('#videos a')).map(a => a.href)")
    assert [Path(unquote(urlparse(h).path)) for h in hrefs] == [tmp_path / "a.cam.report.html",
                                                                tmp_path / "b.cam.report.html"]
    p.page.locator("#videos a").first.click()
    p.page.wait_for_load_state("load")
    assert p.page.locator("h1").inner_text() == "a.cam"
    assert p.errors == []
    p.page.close()
