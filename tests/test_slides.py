"""Slides: the key content of executed playbooks, one chart or table per slide, offline."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup

from clientbook.config.branding import Branding
from clientbook.deliver import slides
from decks_fixtures import TEXT, executed_playbook, playbooks

BRAND = Branding(client="Acme", firm="Northwind", consultant="Li Wei")
# A 1x1 PNG, as a logo file.
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_key_content_picks_charts_tables_and_their_narrative():
    x = TEXT["en"]
    sec = slides.key_content(executed_playbook("en"))
    assert sec.heading == "Customer segments"
    assert [(i.kind, i.headline) for i in sec.items] == [
        ("chart", x["chart_headline"]),
        ("table", x["table_headline"]),
    ]
    chart, table = sec.items
    # The intro leads up to the chart; the sentence after it leads up to the table.
    assert chart.speaker_notes() == f"{x['chart_notes']}\n\n{x['intro']}"
    assert table.speaker_notes() == x["after"]
    assert table.columns == x["columns"]
    assert table.rows[1] == ["B", 80, 25000.5]
    assert chart.png().startswith(b"\x89PNG")
    # Trainer notes, parameters and the papermill injected cell are not narrative.
    assert not any("Trainer" in n or "slice_id" in n for n in sec.narrative)


def test_narrative_after_the_last_chart_goes_to_its_notes():
    nb = executed_playbook("en")
    extra = nbformat.v4.new_code_cell(
        "say",
        outputs=[nbformat.v4.new_output("display_data", data={"text/markdown": "Closing remark."})],
    )
    nb.cells.append(extra)
    sec = slides.key_content(nb)
    assert sec.items[-1].speaker_notes().endswith("Closing remark.")


def test_slides_notebook_follows_the_story():
    nb = slides.slides_notebook(
        playbooks("en"),
        title="T",
        subtitle="S",
        lang="en",
        branding=BRAND,
        today=date(2025, 10, 1),
        results={"s": {"findings": ["Champions bring 61% of revenue."]}},
    )
    assert {c.metadata["slideshow"]["slide_type"] for c in nb.cells} == {"slide"}
    src = [c.source for c in nb.cells]
    x = TEXT["en"]
    # title | executive summary | the steps' key charts and tables | appendix, method notes
    assert "Prepared for Acme" in src[0] and "Prepared by Li Wei, Northwind" in src[0]
    assert "2025-10-01" in src[0]
    assert "Executive summary" in src[1] and "Champions bring 61% of revenue." in src[1]
    assert [
        x["chart_headline"] in src[2],
        x["table_headline"] in src[3],
        x["chart2_headline"] in src[4],
    ] == [True, True, True]
    assert "Appendix" in src[5] and "Method notes" in src[6] and x["intro"] in src[6]
    assert len(src) == 7
    # Every slide has speaker notes; the step whose table is missing has no slide.
    assert all('<aside class="notes">' in c for c in src)
    assert not any("Leads" in c for c in src)


def test_long_tables_continue_with_the_header_and_dates_as_dates():
    rows = [[f"S{i}", i, "2025-11-06T00:00:00"] for i in range(30)]
    item = slides.KeyItem(
        kind="table",
        headline="H",
        notes="",
        output={},
        columns=["Segment", "Customers", "Last order"],
        rows=rows,
    )
    pages = slides.table_pages_html(item, "en")
    assert len(pages) == 3
    for table, note in pages:
        soup = BeautifulSoup(table, "html.parser")
        assert [th.get_text() for th in soup.select("thead th")] == [
            "Segment",
            "Customers",
            "Last order",
        ]
        assert note.startswith("Rows ")
    assert "2025-11-06<" in pages[0][0] and "T00:00:00" not in pages[0][0]
    # Numbers right-aligned, text and dates not.
    soup = BeautifulSoup(pages[0][0], "html.parser")
    assert [td.get("class") for td in soup.select("tbody tr")[0].select("td")] == [
        None,
        ["cb-num"],
        None,
    ]


def _render(tmp_path: Path, lang: str = "en", branding: Branding = BRAND) -> Path:
    return slides.render_slides(
        playbooks(lang),
        tmp_path / "demo" / "all" / "slides.html",
        title="Acme review <Q3>",
        subtitle="All customers",
        lang=lang,
        branding=branding,
        assets_dir=tmp_path / "demo" / "assets",
    )


def test_render_slides_writes_reveal_html_with_notes_and_no_code(tmp_path):
    out = _render(tmp_path)
    html = out.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    top = soup.select(".reveal > .slides > section")
    assert len(top) == 7
    headlines = [h.get_text() for h in soup.select("h2.cb-headline")]
    assert headlines == [
        "Executive summary",
        TEXT["en"]["chart_headline"],
        TEXT["en"]["table_headline"],
        TEXT["en"]["chart2_headline"],
        "Method notes",
    ]
    chart_slide = top[2]  # title, summary, then the first chart
    assert chart_slide.select_one("img")["src"].startswith("data:image/png;base64,")
    assert chart_slide.select_one("img")["alt"] == TEXT["en"]["chart_headline"]
    assert "Protect this group first." in chart_slide.select_one("aside.notes").get_text()
    # The table slide shows the table itself.
    cells = [td.get_text() for td in top[3].select("table td")]
    assert cells[:3] == ["A", "120", "61,000"]
    # No code, no parameters, no papermill output, no trainer notes, no stderr.
    for text in ("playbook.chart", "slice_id", "INJECTED", "Trainer", "some warning"):
        assert text not in html
    assert soup.select(".jp-InputArea") == [] or all(
        not el.select(".cm-editor") for el in soup.select(".jp-InputArea")
    )
    # Titles are escaped, not injected.
    assert soup.title.get_text() == "Acme review <Q3>"


def test_render_slides_links_local_assets_only(tmp_path):
    out = _render(tmp_path)
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    links = [el.get("href") for el in soup.select("link[href]")]
    scripts = [el.get("src") for el in soup.select("script[src]")]
    assert links == ["../assets/reveal/dist/reveal.css", "../assets/reveal/dist/theme/white.css"]
    assert scripts == ["../assets/require/require.js"]
    for rel in (
        links
        + scripts
        + ["../assets/reveal/dist/reveal.js", "../assets/reveal/plugin/notes/notes.js"]
    ):
        assert (out.parent / rel).is_file(), rel
    assert '"../assets/reveal/dist/reveal.js"' in out.read_text(encoding="utf-8")


def test_branding_colours_logo_and_language(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1PX)
    b = Branding(
        client="Acme", firm="Northwind", logo=logo, primary_color="#0B6E4F", accent_color="#abc"
    )
    html = _render(tmp_path, "zh", b).read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "zh-CN"
    assert "--cb-primary: #0b6e4f;" in html and "--cb-accent: #aabbcc;" in html
    assert soup.select_one("img.cb-logo")["src"].startswith("data:image/png;base64,iVBOR")
    assert "客户：Acme" in html
    assert TEXT["zh"]["chart_headline"] in html


def test_install_assets_copies_once(tmp_path):
    dest = tmp_path / "assets"
    slides.install_assets(dest)
    js = dest / "reveal" / "dist" / "reveal.js"
    assert js.read_bytes() == (slides.ASSETS / "reveal" / "dist" / "reveal.js").read_bytes()
    before = js.stat().st_mtime_ns
    slides.install_assets(dest)
    assert js.stat().st_mtime_ns == before
    assert not list(dest.rglob(".tmp-*"))
