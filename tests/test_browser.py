"""The slides and the report in a real browser (playwright + the system Chromium), offline.

Skipped with the reason when Chromium or playwright is absent (install Debian's `chromium`).
Screenshots go to outputs/test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clientbook.config.branding import Branding
from clientbook.deliver import pdf, slides
from decks_fixtures import TEXT, playbooks

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "outputs" / "test-artifacts"
CHROMIUM = pdf.find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason=f"no system Chromium for the browser tests: {pdf.INSTALL_HINT}"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=pdf.LAUNCH_ARGS, headless=True)
        yield b
        b.close()


class Visit:
    """A page opened from file:// that records console errors and every request it makes."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []  # alert/confirm/prompt: a planted script that ran
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        # Never let a request leave the machine, even if one slipped in: it is recorded above.
        self.page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:"))
                else route.abort()
            ),
        )
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:"))]


def _render(tmp_path: Path, lang: str) -> Path:
    return slides.render_slides(
        playbooks(lang),
        tmp_path / "audit" / "all" / "slides.html",
        title="Acme customer review" if lang == "en" else "Acme 客户回顾",
        subtitle="All customers · 2025-Q3",
        lang=lang,
        branding=Branding(
            client="Acme",
            firm="Northwind",
            consultant="Li Wei",
            primary_color="#0b6e4f",
            accent_color="#e07a5f",
        ),
        assets_dir=tmp_path / "audit" / "assets",
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_slides_start_offline_and_advance_with_the_arrow_key(browser, tmp_path, lang):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    v = Visit(browser, _render(tmp_path, lang))
    page = v.page
    page.wait_for_function("window.Reveal && window.Reveal.isReady()", timeout=10_000)
    assert page.evaluate("Reveal.getIndices().h") == 0
    total = page.evaluate("Reveal.getTotalSlides()")
    # title, executive summary, chart, table, chart (missing step: none), appendix, methods
    assert total == 7
    page.screenshot(path=str(ARTIFACTS / f"slides-{lang}-0-title.png"))
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 1")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Reveal.getIndices().h === 2")
    page.wait_for_timeout(900)  # let the slide transition finish before the screenshot
    headline = page.locator(".slides > section.present h2.cb-headline").inner_text()
    assert headline == TEXT[lang]["chart_headline"]
    page.screenshot(path=str(ARTIFACTS / f"slides-{lang}-2-chart.png"))
    assert v.errors == []
    assert v.remote_requests() == []
    # The reveal.js and require.js it ran came from the local assets folder.
    assert any(u.endswith("/assets/reveal/dist/reveal.js") for u in v.requests)
    assert any(u.endswith("/assets/require/require.js") for u in v.requests)
    page.close()


def test_the_recorder_sees_a_remote_asset(browser, tmp_path):
    # Proves the offline check can fail: a page with a CDN script is caught.
    page = tmp_path / "cdn.html"
    page.write_text(
        '<html><head><script src="https://unpkg.com/reveal.js@4.0.2/dist/reveal.js">'
        "</script></head><body>x</body></html>"
    )
    v = Visit(browser, page)
    assert v.remote_requests() == ["https://unpkg.com/reveal.js@4.0.2/dist/reveal.js"]
    v.page.close()


def test_the_recorder_sees_a_dialog(browser, tmp_path):
    # Proves the hostile-data check can fail: an unescaped planted script is caught.
    page = tmp_path / "xss.html"
    page.write_text(
        "<html><body>x<img src=x onerror=alert(2)><script>alert(1)</script></body></html>"
    )
    v = Visit(browser, page)
    v.page.wait_for_timeout(200)
    assert sorted(v.dialogs) == ["1", "2"]
    v.page.close()


def test_rendered_reports_open_offline_without_console_errors(browser, rendered_run):
    """A run's own report pages (the `all` slice and one more), rendered for this session."""
    reports = sorted(
        rendered_run.glob("slices/*/report.html"),
        key=lambda p: (p.parent.name != "all", p.parent.name),
    )[:2]
    assert [p.parent.name for p in reports] == ["all", "period-2025-Q1"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for report in reports:
        v = Visit(browser, report)
        v.page.wait_for_timeout(500)
        v.page.screenshot(path=str(ARTIFACTS / f"report-{report.parent.name}.png"), full_page=False)
        assert v.errors == [], report
        assert v.remote_requests() == [], report
        v.page.close()


def test_print_pdf_writes_a_pdf(tmp_path):
    html = _render(tmp_path, "zh")
    out = tmp_path / "slides.pdf"
    assert pdf.print_pdf(html, out) is None
    assert out.read_bytes().startswith(b"%PDF")
    assert out.stat().st_size > 10_000


def test_reports_and_slides_from_hostile_data_run_no_planted_script(browser, tmp_path_factory):
    # The hostile demo of test_hostile.py (script and onerror names for the client, the firm,
    # regions, products, channels and comments): opened, it shows them as text and runs none.
    from test_hostile import hostile_run

    root, code, stderr = hostile_run(tmp_path_factory.getbasetemp() / "hostile")
    assert code == 0, stderr
    run = __import__("json").loads((root / "run.json").read_text(encoding="utf-8"))
    ids = [s["id"] for s in run["slices"]]
    hostile = [s["id"] for s in run["slices"] if "<" in s["label"]]
    assert hostile  # the regions named <script>... and <img ... onerror=...>
    pages = [root / "index.html"]
    for sid in ["all", *hostile]:
        pages += [root / "slices" / sid / "report.html", root / "slices" / sid / "slides.html"]
    assert set(hostile) <= set(ids)
    for path in pages:
        v = Visit(browser, path)
        if path.name == "slides.html":
            v.page.wait_for_function("window.Reveal && window.Reveal.isReady()", timeout=10_000)
            for _ in range(3):  # through the title and the first slides, notes included
                v.page.keyboard.press("ArrowRight")
        v.page.wait_for_timeout(300)
        assert v.dialogs == [], path
        assert v.errors == [], path
        assert v.remote_requests() == [], path
        shown = v.page.inner_text("body")
        assert "<script>alert(1)</script>" in shown or path.name == "slides.html", path
        v.page.close()
