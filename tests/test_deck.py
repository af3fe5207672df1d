"""PPTX deck: slide order and titles, native tables with the expected cells, notes, CJK."""

from __future__ import annotations

from datetime import date

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Inches

from clientbook.config.branding import Branding
from clientbook.deliver import deck
from decks_fixtures import TEXT, executed_playbook, playbooks

BRAND = Branding(client="Acme", firm="Northwind", consultant="Li Wei")
RESULTS = {
    "02_segments": {
        "findings": ["Champions bring 61% of revenue.", "At-risk grew by 12."],
        "kpis": {"customers": 400},
    },
    "03_service": {"findings": ["FCR fell to 71%."]},
}


def _build(tmp_path, lang="en", results=RESULTS, nbs=None, **kw):
    out = deck.build_deck(
        nbs or playbooks(lang),
        results,
        tmp_path / "deck.pptx",
        title="Acme customer review",
        subtitle="Slice: North",
        lang=lang,
        branding=BRAND,
        today=date(2025, 10, 1),
        **kw,
    )
    return Presentation(str(out))


def _title(slide) -> str:
    return slide.shapes.title.text_frame.text


def _tables(slide):
    return [s.table for s in slide.shapes if s.has_table]


def _body(slide) -> str:
    return "\n".join(
        sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title
    )


def test_slide_order_and_titles(tmp_path):
    prs = _build(tmp_path)
    x = TEXT["en"]
    assert [_title(s) for s in prs.slides] == [
        "Acme customer review",
        "Executive summary",
        x["chart_headline"],
        x["table_headline"],
        x["chart2_headline"],
        "Appendix",
        "Method notes",
    ]
    title_text = "\n".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    for part in (
        "Slice: North",
        "Prepared for Acme",
        "Prepared by Li Wei, Northwind",
        "Date: 2025-10-01",
    ):
        assert part in title_text
    summary = _body(prs.slides[1])
    for f in (
        "1. Champions bring 61% of revenue.",
        "2. At-risk grew by 12.",
        "3. FCR fell to 71%.",
    ):
        assert f in summary
    assert x["intro"] in _body(prs.slides[-1])  # the step's method note
    assert all(s.notes_slide.notes_text_frame.text.strip() for s in prs.slides)
    assert prs.slide_width == Inches(13.333)


def test_tables_are_native_table_shapes_with_the_cells(tmp_path):
    prs = _build(tmp_path)
    table_slide = prs.slides[3]
    (table,) = _tables(table_slide)
    cells = [[table.cell(i, j).text for j in range(3)] for i in range(len(table.rows))]
    assert cells == [
        ["Segment", "Customers", "Revenue"],
        ["A", "120", "61,000"],
        ["B", "80", "25,000.50"],
        ["C", "200", "14,000"],
    ]
    # ... and no picture of a table.
    assert not [s for s in table_slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    # Header filled with the branding primary colour.
    assert str(table.cell(0, 0).fill.fore_color.rgb) == BRAND.primary_color[1:].upper()


def test_chart_slides_have_the_picture_and_speaker_notes(tmp_path):
    prs = _build(tmp_path)
    chart_slide = prs.slides[2]
    pics = [s for s in chart_slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pics) == 1
    assert pics[0].image.content_type == "image/png"
    # Inside the slide.
    assert pics[0].left + pics[0].width <= prs.slide_width
    assert pics[0].top + pics[0].height <= prs.slide_height
    notes = chart_slide.notes_slide.notes_text_frame.text
    assert notes == f"{TEXT['en']['chart_notes']}\n\n{TEXT['en']['intro']}"
    assert not _tables(chart_slide)


def test_long_tables_continue_on_the_next_slide_and_the_summary_paginates(tmp_path):
    rows = [[f"S{i}", i, float(i)] for i in range(15)]
    many = {
        "action_plan": {
            "executive_summary": [
                {"finding": f"Finding {i}", "evidence": "e", "action": "a"} for i in range(5)
            ]
        }
    }
    prs = _build(tmp_path, results=many, nbs=[executed_playbook("en", rows=rows)])
    titles = [_title(s) for s in prs.slides]
    assert titles[1:3] == ["Executive summary (1/2)", "Executive summary (2/2)"]
    head = TEXT["en"]["table_headline"]
    pages = [s for s in prs.slides if _title(s).startswith(head)]
    assert [_title(s) for s in pages] == [f"{head} (1/2)", f"{head} (2/2)"]
    tables = [_tables(s)[0] for s in pages]
    assert [t.cell(0, 0).text for t in tables] == ["Segment", "Segment"]  # header repeated
    assert [len(t.rows) - 1 for t in tables] == [8, 7]
    assert tables[1].cell(1, 0).text == "S8"
    assert "Rows 9-15 of 15." in pages[1].notes_slide.notes_text_frame.text


def test_no_findings_says_so(tmp_path):
    prs = _build(tmp_path, results={})
    assert t_en("deck.no_findings") in _body(prs.slides[1])


def t_en(key: str) -> str:
    from clientbook.present.i18n import t

    return t(key, "en")


def test_chinese_deck_text_is_tagged_for_east_asian_fonts(tmp_path):
    prs = _build(tmp_path, lang="zh")
    x = TEXT["zh"]
    assert [_title(s) for s in prs.slides][1:3] == ["执行摘要", x["chart_headline"]]
    run = prs.slides[2].shapes.title.text_frame.paragraphs[0].runs[0]
    rpr = run._r.find(qn("a:rPr"))
    assert rpr.get("lang") == "zh-CN"
    assert rpr.find(qn("a:ea")).get("typeface") == "Microsoft YaHei"
    (table,) = _tables(prs.slides[3])
    assert [table.cell(0, j).text for j in range(3)] == x["columns"]
    assert "日期：2025-10-01" in prs.slides[0].placeholders[1].text_frame.text


def test_client_template_supplies_layouts_and_its_slides_are_dropped(tmp_path):
    tpl = Presentation()  # 4:3, like many corporate templates
    tpl.slides.add_slide(tpl.slide_layouts[0]).shapes.title.text = "Template example slide"
    tpl_path = tmp_path / "client.pptx"
    tpl.save(str(tpl_path))
    prs = _build(tmp_path, template=tpl_path)
    titles = [_title(s) for s in prs.slides]
    assert "Template example slide" not in titles
    assert len(titles) == 7
    assert prs.slide_width == tpl.slide_width  # the template's size, not ours
    assert prs.slides[0].slide_layout.name == "Title Slide"
    assert prs.slides[2].slide_layout.name == "Title Only"
    # The template's theme colours apply: no colour forced on the title.
    run = prs.slides[2].shapes.title.text_frame.paragraphs[0].runs[0]
    assert run.font.color.type is None


@pytest.mark.parametrize(
    ("md", "text"),
    [
        (
            "## Heading\n\nSome **bold** and *it* and `code`.",
            "Heading\n\nSome bold and it and code.",
        ),
        ("- one\n- two", "• one\n• two"),
        ("See [the report](report.html).", "See the report."),
    ],
)
def test_plain_notes_from_markdown(md, text):
    assert deck.plain(md) == text


@pytest.mark.parametrize(
    ("v", "text"),
    [
        (61000.0, "61,000"),
        (25000.5, "25,000.50"),
        (0.125, "0.12"),
        (1234, "1,234"),
        (None, ""),
        (float("nan"), ""),
        ("12.3%", "12.3%"),
        (True, "True"),
        ("2025-11-06T00:00:00", "2025-11-06"),
        ("2025-11-06", "2025-11-06"),
    ],
)
def test_cell_text(v, text):
    assert deck.cell_text(v) == text


def test_logo_on_every_slide_and_svg_logo_skipped(tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 80), "#0b6e4f").save(logo)
    b = Branding(client="Acme", logo=logo)
    out = deck.build_deck(
        playbooks("en"),
        RESULTS,
        tmp_path / "d.pptx",
        title="T",
        subtitle="S",
        lang="en",
        branding=b,
    )
    prs = Presentation(str(out))
    for slide in prs.slides:
        pics = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert any(p.image.size == (200, 80) for p in pics)
    svg = tmp_path / "logo.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    out = deck.build_deck(
        playbooks("en"),
        RESULTS,
        tmp_path / "d2.pptx",
        title="T",
        subtitle="S",
        lang="en",
        branding=Branding(logo=svg),
    )
    assert len(Presentation(str(out)).slides) == 7


def test_charts_are_stored_for_slides_without_title_at_slide_size():
    import base64
    import io

    from PIL import Image

    from clientbook.present import playbook, style

    style.apply("en")
    fig, ax = style.fig()
    ax.bar(["a", "b"], [1, 2])
    ax.set_title("Revenue by segment")  # left-aligned by the house style
    png = base64.b64decode(playbook._slide_png(fig))
    assert not any(ax.get_title(loc=lo) for lo in ("left", "center", "right"))
    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    # At least 150 dpi when shown across the slide's content box, in its proportions.
    box_w, box_h = playbook.SLIDE_BOX_IN
    assert w >= box_w * playbook.SLIDE_DPI
    assert abs(w / h - box_w / box_h) < 0.25
