"""Layout measured, not guessed: the printed report, the PPTX deck and slides.html fit their page.

- report.html in Chromium with print media: no element is wider than the printable width of
  its page (A4 portrait, or landscape for the wide tables), every table header text is in the
  PDF's extracted text, the PDF has bookmarks, and no page ends with a heading.
- deck.pptx: every shape lies inside the slide; a table's height is estimated from its column
  widths, font sizes and wrapped text (PowerPoint grows rows to fit).
- slides.html: on every slide, no element sticks out of the 16:9 canvas and nothing scrolls.

Runs on hand-built playbook outputs with the hard cases (a 13-column table with long cells, a
15-row table, dates, a long executive summary), and on the demo outputs when `make demo` made
them. Screenshots of the first PDF pages and of five slides go to outputs/test-artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import pytest
from pptx import Presentation

from clientbook.config.audit_file import Audit
from clientbook.config.branding import Branding
from clientbook.data.dataset import Slice
from clientbook.deliver import deck, pdf, report, slides
from decks_fixtures import chart_out, chart_png, md_out, table_out

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "outputs" / "test-artifacts"
CHROMIUM = pdf.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason=f"no system Chromium: {pdf.INSTALL_HINT}"
)
MM = 96 / 25.4  # CSS px per mm

WIDE_COLUMNS = [
    "Customer ID",
    "Name",
    "E-mail",
    "Phone",
    "Region",
    "Channel",
    "RFM segment",
    "Tier",
    "Days since last order",
    "Orders",
    "Value",
    "Churn risk",
    "Action",
]
ACTION = (
    "Onboarding: welcome series and a second-purchase incentive, then a call from the account owner"
)


def _wide_rows(n: int) -> list[list]:
    return [
        [
            f"C{i:06d}",
            "X****** T********* C*** L***",
            f"x{i}***@example.com",
            f"*******{i:04d}",
            "Southwest China",
            "Key account",
            "Can't Lose Them",
            "A",
            3 + i,
            20 - i,
            16979.52 - 100 * i,
            0.029,
            ACTION,
        ]
        for i in range(n)
    ]


AT_RISK = [
    "Rank",
    "Customer",
    "Region",
    "Value",
    "Risk score",
    "Days since last purchase",
    "Usual interval (days)",
    "Last purchase",
    "Why at risk",
    "Suggested action",
]


def _at_risk_rows(n: int) -> list[list]:
    return [
        [
            i + 1,
            f"C{i:06d}",
            "Central China",
            4181.0 - i,
            0.78,
            113,
            27,
            f"2025-09-{1 + i % 28:02d}T00:00:00",
            "no purchase for 4.2x the usual interval",
            "Personalised reminder with a time-limited win-back offer",
        ]
        for i in range(n)
    ]


def _step(name: str, heading: str, intro: str, outputs: list) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell("say", outputs=[md_out(f"## {heading}\n\n{intro}")])]
    cells += [nbformat.v4.new_code_cell("x", outputs=[o]) for o in outputs]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["papermill"] = {"input_path": f"playbooks/{name}.ipynb"}
    return nb


def hard_notebooks() -> list[tuple[str, nbformat.NotebookNode]]:
    png = chart_png("en", "Revenue by segment", ["Champions", "At risk", "New"])
    intro = "How this step works: every customer is scored; " * 4
    return [
        (
            "data_audit",
            _step(
                "00_data_audit",
                "Data audit",
                intro,
                [
                    table_out(
                        "The export at a glance",
                        ["Table", "Rows", "From", "To"],
                        [["orders", 4915, "2024-01-06T00:00:00", "2025-12-30T00:00:00"]],
                    )
                ],
            ),
        ),
        (
            "classification",
            _step(
                "01_classification",
                "Customer classification",
                intro,
                [
                    chart_out("Champions bring 61% of revenue", "Protect them.", png),
                    md_out("### Segments\n\nThe segments, one row each."),
                    table_out(
                        "Segments at a glance",
                        ["Segment", "Customers", "Revenue"],
                        [["Champions", 88, 3.6e6], ["Loyal", 71, 969200.0]],
                    ),
                ],
            ),
        ),
        (
            "retention",
            _step(
                "06_retention",
                "Retention and churn warning",
                intro,
                [table_out("At-risk, high-value customers", AT_RISK, _at_risk_rows(15))],
            ),
        ),
        (
            "performance_review",
            _step(
                "07_performance_review",
                "Performance review",
                intro,
                [
                    table_out(
                        "KPI scorecard, 2025-Q4",
                        ["KPI", "Actual", "Target", "Status"],
                        [[f"KPI {i}", f"{50 + i}.0%", "75.0%", "missed"] for i in range(11)],
                    )
                ],
            ),
        ),
        (
            "action_plan",
            _step(
                "08_action_plan",
                "Action plan",
                intro,
                [
                    md_out("### Customer lists"),
                    table_out(
                        "Top customers of the first-ranked segment", WIDE_COLUMNS, _wide_rows(10)
                    ),
                ],
            ),
        ),
    ]


RESULTS = {
    "action_plan": {
        "executive_summary": [
            {
                "finding": f"Finding {i}: retention rate missed its target, 69.6% against 75.0%.",
                "evidence": "previous period 66.0%, change +3.6 pp",
                "action": "Run the win-back programme for at-risk customers and onboard new ones.",
            }
            for i in range(1, 7)
        ]
    }
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """report.html, report.pdf, deck.pptx and slides.html of the hard cases."""
    root = tmp_path_factory.mktemp("layout") / "audit"
    (root / "dataset").mkdir(parents=True)
    (root / "slices" / "all").mkdir(parents=True)
    (root / "dataset" / "dataset.json").write_text(json.dumps({"as_of": "2026-01-01"}))
    audit = Audit(
        client="Acme Trading & Co.",
        sources={"orders": {"path": "orders.csv"}},
        branding={"firm": "Northwind"},
    )
    sl = Slice(id="all", kind="all", value=None, label="All customers")
    loaded = hard_notebooks()
    report.render_report(root, sl, loaded, RESULTS, audit, [])
    nbs = [nb for _, nb in loaded]
    brand = Branding(client="Acme Trading & Co.", firm="Northwind")
    out = root / "slices" / "all"
    deck.build_deck(
        nbs,
        RESULTS,
        out / "deck.pptx",
        title="Acme customer review",
        subtitle="All customers",
        lang="en",
        branding=brand,
    )
    slides.render_slides(
        nbs,
        out / "slides.html",
        title="Acme customer review",
        subtitle="All customers",
        lang="en",
        branding=brand,
        assets_dir=root / "assets",
        results=RESULTS,
    )
    return out


def _demo(name: str) -> list[Path]:
    return sorted((ROOT / "outputs").glob(f"*/slices/all/{name}"))


# ---- PPTX --------------------------------------------------------------------------------


def shapes_outside(pptx_path: Path) -> list[str]:
    """Every shape (a table with its estimated rendered height, a text box with its wrapped
    text) that does not lie inside its slide."""
    prs = Presentation(str(pptx_path))
    w, h = int(prs.slide_width), int(prs.slide_height)
    bad = []
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.left is None:  # a placeholder that inherits its place from the layout
                continue
            height = int(shape.height)
            if shape.has_table:
                height = max(height, deck.table_height(shape.table))
            elif shape.has_text_frame and shape.text_frame.text.strip():
                height = max(height, deck.text_height(shape))
            left, top, width = int(shape.left), int(shape.top), int(shape.width)
            if left < 0 or top < 0 or left + width > w or top + height > h:
                bad.append(f"slide {n} {shape.name}: {left},{top} {width}x{height} outside {w}x{h}")
    return bad


def test_every_pptx_shape_lies_inside_its_slide(built):
    assert shapes_outside(built / "deck.pptx") == []


def test_the_check_catches_a_table_that_grows_off_the_slide(built, tmp_path):
    prs = Presentation(str(built / "deck.pptx"))
    slide = next(s for s in prs.slides if any(sh.has_table for sh in s.shapes))
    table = next(sh for sh in slide.shapes if sh.has_table).table
    for row in table.rows:  # 80 characters in a narrow column, many times over
        row.cells[0].text = "x" * 80
    table.columns[0].width = table.columns[0].width // 3
    path = tmp_path / "bad.pptx"
    prs.save(str(path))
    assert shapes_outside(path)


def test_long_wide_tables_paginate_with_the_header_repeated(built):
    prs = Presentation(str(built / "deck.pptx"))
    pages = [
        s
        for s in prs.slides
        if s.shapes.title.text_frame.text.startswith("At-risk, high-value customers")
    ]
    assert len(pages) == 2
    tables = [next(sh for sh in s.shapes if sh.has_table).table for s in pages]
    for table in tables:
        assert [table.cell(0, j).text for j in range(len(AT_RISK))] == AT_RISK
    assert sum(len(t.rows) - 1 for t in tables) == 15
    # Content-sized: the long text column is wider than the rank column; dates are dates.
    widths = [c.width for c in tables[0].columns]
    assert widths[AT_RISK.index("Suggested action")] > 2 * widths[0]
    assert tables[0].cell(1, AT_RISK.index("Last purchase")).text == "2025-09-01"


@pytest.mark.skipif(not _demo("deck.pptx"), reason="no demo deck under outputs/: make demo")
@pytest.mark.parametrize("path", _demo("deck.pptx"), ids=lambda p: p.parents[2].name)
def test_demo_deck_fits_and_every_slide_has_notes(path):
    assert shapes_outside(path) == []
    prs = Presentation(str(path))
    assert all(
        s.has_notes_slide and s.notes_slide.notes_text_frame.text.strip() for s in prs.slides
    )
    assert not re.search(
        r"\d{4}-\d{2}-\d{2}T00:00:00",
        "".join(
            sh.table.cell(i, j).text
            for s in prs.slides
            for sh in s.shapes
            if sh.has_table
            for i in range(len(sh.table.rows))
            for j in range(len(sh.table.columns))
        ),
    )


# ---- PDF ---------------------------------------------------------------------------------


OVERFLOW_JS = """(pageWidth) => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(el).display === 'none') continue;
    const limit = el.closest('.cb-print-wide') ? pageWidth.landscape : pageWidth.portrait;
    if (r.width > limit + 1 || r.right > limit + 1)
      bad.push(`${el.tagName}.${el.className} ${Math.round(r.width)}px > ${Math.round(limit)}`);
  }
  return bad.slice(0, 10);
}"""


def wider_than_the_page(browser, html: Path) -> list[str]:
    """Elements of report.html, laid out with print media at the printable width, that are
    wider than that width (landscape width inside a landscape table)."""
    portrait, landscape = (210 - 24) * MM, (297 - 24) * MM
    page = browser.new_page(viewport={"width": int(portrait), "height": 1000})
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    page.goto(html.resolve().as_uri(), wait_until="load")
    page.emulate_media(media="print")
    # The landscape tables get the landscape width, as on their printed page.
    page.add_style_tag(content=f".cb-print-wide {{ width: {landscape:.0f}px; }}")
    bad = page.evaluate(OVERFLOW_JS, {"portrait": portrait, "landscape": landscape})
    page.close()
    return bad


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=pdf.LAUNCH_ARGS, headless=True)
        yield b
        b.close()


def pdf_pages_text(path: Path) -> list[str]:
    """Each page's text, ligatures (ﬁ) spelled out."""
    from pypdf import PdfReader

    return [
        unicodedata.normalize("NFKC", p.extract_text() or "") for p in PdfReader(str(path)).pages
    ]


FOOTER_PT = 16 / 25.4 * 72  # the bottom margin, where the footer is printed


def lowest_text_and_image(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The y (PDF points from the bottom) of the lowest body text and of the lowest image
    (a chart) on a page; inf when there is none."""
    texts: list[float] = []
    images: list[float] = []

    def on_text(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        y = tm[5] * cm[3] + cm[5]
        if text.strip() and y > FOOTER_PT:
            texts.append(y)

    def on_op(op, args, cm, tm):  # type: ignore[no-untyped-def]
        if op == b"Do":
            images.append(cm[5])

    page.extract_text(visitor_text=on_text, visitor_operand_before=on_op)
    return min(texts, default=float("inf")), min(images, default=float("inf"))


TOKEN = re.compile(r"[^\W\u3400-\u9fff]+|[\u3400-\u9fff]")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def check_printed(html: Path, pdf_path: Path, browser, headings: bool = True) -> None:
    from bs4 import BeautifulSoup
    from pypdf import PdfReader

    assert wider_than_the_page(browser, html) == []
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    pages = pdf_pages_text(pdf_path)
    text = _norm("".join(pages))
    words = set(TOKEN.findall("".join(pages)))
    for th in soup.select("table th"):  # every header, also of the wide tables
        head = th.get_text()
        # A header wrapped over lines interleaves with its neighbours' in extracted text:
        # whole when it fits one line, else word by word (Chinese: character by character,
        # as Chinese wraps between any two characters).
        assert _norm(head) in text or set(TOKEN.findall(head)) <= words, head
    # Bookmarks: every step heading (h2) is one.
    titles: list[str] = []
    stack = list(PdfReader(str(pdf_path)).outline)
    while stack:
        o = stack.pop()
        stack.extend(o) if isinstance(o, list) else titles.append(_norm(o.title))
    h2 = {_norm(h.get_text().replace("¶", "")) for h in soup.select("h2")}
    assert h2 and h2 <= set(titles), h2 - set(titles)
    # No page ends with a heading (the footer line is the last line of every page); page 1 is
    # the cover with the contents, whose entries are the headings' texts.
    if headings:
        heads = [h.get_text().replace("¶", "") for h in soup.select("h2, h3, h4")]
        assert stranded_headings(pdf_path, heads, first=2) == []


def stranded_headings(pdf_path: Path, headings: list[str], first: int = 1) -> list[str]:
    """Pages (from `first`, the last page aside) whose last body text is a heading with no
    chart drawn below it."""
    from pypdf import PdfReader

    heads = {_norm(h) for h in headings}
    pages = pdf_pages_text(pdf_path)
    pdf_pages = PdfReader(str(pdf_path)).pages
    bad = []
    for n in range(first, len(pages)):
        lines = [ln for ln in pages[n - 1].splitlines() if ln.strip()]
        body = [ln for ln in lines if not re.search(r"\d+ / \d+$", ln)]
        if body and _norm(body[-1]) in heads:
            text_y, image_y = lowest_text_and_image(pdf_pages[n - 1])
            if not image_y < text_y:
                bad.append(f"page {n} ends with {body[-1]!r}")
    return bad


@needs_chromium
def test_report_prints_within_the_page(built, browser):
    pytest.importorskip("pypdf")
    html, out = built / "report.html", built / "report.pdf"
    assert pdf.print_pdf(html, out) is None
    check_printed(html, out, browser)
    from pypdf import PdfReader

    reader = PdfReader(str(out))
    sizes = {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    }
    assert sizes == {(595, 842), (842, 595)}  # portrait, and landscape for the wide tables
    first = pdf_pages_text(out)[0]
    assert "Acme Trading & Co.: All customers" in first and "1 / " in first  # the footer
    _screenshots(out, "hard")


@needs_chromium
def test_the_width_check_catches_a_table_that_does_not_fit(browser, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(
        "<table><tr>" + "<td>unbreakable_word_of_some_length</td>" * 30 + "</tr></table>",
        encoding="utf-8",
    )
    assert wider_than_the_page(browser, page)


@needs_chromium
def test_the_heading_check_catches_a_stranded_heading(tmp_path):
    pytest.importorskip("pypdf")
    page = tmp_path / "stranded.html"
    page.write_text(
        '<div style="height:950px">Text</div><h3>Stranded</h3>'
        '<div style="break-before:page">Body</div><p>End</p>',
        encoding="utf-8",
    )
    out = tmp_path / "stranded.pdf"
    assert pdf.print_pdf(page, out) is None
    assert stranded_headings(out, ["Stranded"]) == ["page 1 ends with 'Stranded'"]


@needs_chromium
@pytest.mark.skipif(not _demo("report.pdf"), reason="no demo report.pdf: make demo")
@pytest.mark.parametrize("path", _demo("report.pdf"), ids=lambda p: p.parents[2].name)
def test_demo_report_prints_within_the_page(path, browser):
    pytest.importorskip("pypdf")
    check_printed(path.with_name("report.html"), path, browser)
    _screenshots(path, path.parents[2].name)


def _screenshots(pdf_path: Path, name: str, pages: int = 4) -> None:
    """The first PDF pages as PNG for a person to look at (needs poppler-utils' pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            str(pages),
            str(pdf_path),
            str(ARTIFACTS / f"pdf-{name}"),
        ],
        check=True,
    )


# ---- slides.html -------------------------------------------------------------------------

SLIDE_JS = """() => {
  const out = [];
  const slides = Reveal.getSlides();
  slides.forEach((s, i) => {
    Reveal.slide(i);
    const box = s.getBoundingClientRect();
    for (const el of s.querySelectorAll('*')) {
      if (el.closest('aside.notes')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.left < box.left - 1 || r.top < box.top - 1 || r.right > box.right + 1 ||
          r.bottom > box.bottom + 1)
        out.push(`slide ${i + 1} ${el.tagName}.${el.className}: ${Math.round(r.bottom)} > ` +
                 `${Math.round(box.bottom)}`);
      if (el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).overflowY !== 'visible')
        out.push(`slide ${i + 1} ${el.tagName}.${el.className} scrolls or clips`);
    }
  });
  return out.slice(0, 20);
}"""


def slides_overflow(browser, html: Path, shots: str | None = None) -> list[str]:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    page.goto(html.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.Reveal && window.Reveal.isReady()", timeout=10_000)
    page.evaluate("Reveal.configure({transition: 'none'})")
    assert page.evaluate("[Reveal.getConfig().width, Reveal.getConfig().height]") == [1280, 720]
    bad = page.evaluate(SLIDE_JS)
    if shots:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        total = page.evaluate("Reveal.getTotalSlides()")
        for i in sorted({0, 1, 2, 3, total // 2, total - 2} & set(range(total)))[:5]:
            page.evaluate(f"Reveal.slide({i})")
            page.wait_for_timeout(150)
            page.screenshot(path=str(ARTIFACTS / f"slides-{shots}-{i + 1:02d}.png"))
    page.close()
    return bad


@needs_chromium
def test_no_slide_element_overflows_its_slide(built, browser):
    assert slides_overflow(browser, built / "slides.html", shots="hard") == []


@needs_chromium
def test_the_slide_check_catches_an_overflowing_table(built, browser):
    html = (built / "slides.html").read_text(encoding="utf-8")
    bad = built / "bad-slides.html"  # next to the good one: the same assets
    rows = "".join(f"<tr><td>row {i}</td></tr>" for i in range(60))
    bad.write_text(
        html.replace('<div class="cb-body">', f'<div class="cb-body"><table>{rows}</table>', 1),
        encoding="utf-8",
    )
    assert slides_overflow(browser, bad)


@needs_chromium
@pytest.mark.skipif(not _demo("slides.html"), reason="no demo slides.html: make demo")
@pytest.mark.parametrize("path", _demo("slides.html"), ids=lambda p: p.parents[2].name)
def test_demo_slides_fit(path, browser):
    assert slides_overflow(browser, path, shots=path.parents[2].name) == []
