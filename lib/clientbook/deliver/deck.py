"""deck.pptx for one slice with python-pptx.

Title slide (client, consultant and firm, date, slice), agenda, key findings, then one slide
per key chart or table of the executed playbooks (its headline as the title, the chart as a
picture, the narrative as speaker notes). Tables are real PowerPoint tables, so a consultant
can restyle and edit them, not pictures of tables.

With a client template (.pptx) its layouts, theme colours and fonts are used and its own
slides are dropped; without one, a plain 16:9 deck in the branding colours.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from clientbook.config.branding import Branding, rgb
from clientbook.deliver.slides import KeyItem, Section, key_content, title_lines
from clientbook.present.i18n import t

MAX_TABLE_ROWS = 12  # more rows do not fit a slide legibly; the report has the full table
MAX_FINDINGS_PER_SLIDE = 8
# East Asian typeface for Chinese runs: PowerPoint otherwise may pick a Japanese face.
EA_FONT = {"zh": "Microsoft YaHei"}
LANG_TAG = {"en": "en-US", "zh": "zh-CN"}
GREY = RGBColor(0x70, 0x70, 0x70)


# ---- text helpers ------------------------------------------------------------------------


def plain(markdown: str) -> str:
    """Markdown narrative as plain speaker-notes text."""
    s = re.sub(r"^\s{0,3}#{1,6}\s*", "", markdown, flags=re.M)
    s = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*", r"\1", s)
    s = re.sub(r"`([^`]*)`", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"^\s*[-*]\s+", "• ", s, flags=re.M)
    s = html.unescape(s)  # data in the narrative is escaped for HTML (playbook.say)
    return re.sub(r"\n{3,}", "\n\n", s).strip()


def cell_text(v: Any) -> str:
    """A table value as text: 61000.0 -> 61,000; 25000.5 -> 25,000.5; None -> ''."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def _lang_runs(text_frame: Any, lang: str) -> None:
    """Tag every run with its language (and an East Asian font for Chinese) so PowerPoint
    spell-checks and lays out Chinese text properly."""
    for p in text_frame.paragraphs:
        for r in p.runs:
            rpr = r._r.get_or_add_rPr()
            rpr.set("lang", LANG_TAG.get(lang, "en-US"))
            if lang in EA_FONT:
                rpr.set("altLang", "en-US")
                ea = rpr.find(qn("a:ea"))
                if ea is None:
                    ea = rpr.makeelement(qn("a:ea"), {})
                    # a:ea comes after a:latin and fills; appending keeps schema order here
                    rpr.append(ea)
                ea.set("typeface", EA_FONT[lang])


def _write(text_frame: Any, lines: list[str], lang: str, size: int | None = None,
           colour: RGBColor | None = None, bold: bool | None = None) -> None:
    text_frame.clear()
    for i, line in enumerate(lines):
        p = text_frame.paragraphs[0] if i == 0 else text_frame.add_paragraph()
        r = p.add_run()
        r.text = line
        if size:
            r.font.size = Pt(size)
        if colour is not None:
            r.font.color.rgb = colour
        if bold is not None:
            r.font.bold = bold
    _lang_runs(text_frame, lang)


# ---- layouts -----------------------------------------------------------------------------


def _layout(prs: Any, names: tuple[str, ...], fallback: int) -> Any:
    for layout in prs.slide_layouts:
        if layout.name in names:
            return layout
    layouts = list(prs.slide_layouts)
    return layouts[min(fallback, len(layouts) - 1)]


def _drop_slides(prs: Any) -> None:
    """Remove a template's own example slides; keep its masters and layouts."""
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


class _Deck:
    def __init__(self, template: Path | None, branding: Branding, lang: str, footer: str):
        self.templated = template is not None
        self.prs = Presentation(str(template)) if template else Presentation()
        if self.templated:
            _drop_slides(self.prs)
        else:
            self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)
        self.branding, self.lang, self.footer = branding, lang, footer
        self.primary = RGBColor(*rgb(branding.primary_color))
        self.accent = RGBColor(*rgb(branding.accent_color))
        p = self.prs
        self.l_title = _layout(p, ("Title Slide",), 0)
        self.l_content = _layout(p, ("Title and Content",), 1)
        self.l_only = _layout(p, ("Title Only",), 5)
        self.margin = Inches(0.5)

    @property
    def w(self) -> int:
        return int(self.prs.slide_width)

    @property
    def h(self) -> int:
        return int(self.prs.slide_height)

    def _title(self, slide: Any, text: str) -> Any:
        shape = slide.shapes.title
        if shape is None:  # a template layout without a title: add a text box
            shape = slide.shapes.add_textbox(self.margin, Inches(0.3), self.w - 2 * self.margin,
                                             Inches(1.0))
        if not self.templated:
            shape.left, shape.top = self.margin, Inches(0.35)
            shape.width, shape.height = self.w - 2 * self.margin - Inches(1.6), Inches(1.0)
        tf = shape.text_frame
        tf.word_wrap = True
        _write(tf, [text], self.lang, size=None if self.templated else 28,
               colour=None if self.templated else self.primary, bold=None)
        if not self.templated:
            tf.vertical_anchor = MSO_ANCHOR.MIDDLE
            tf.paragraphs[0].alignment = PP_ALIGN.LEFT
            bar = slide.shapes.add_shape(1, self.margin, Inches(1.38), Inches(1.2), Inches(0.06))
            bar.fill.solid()
            bar.fill.fore_color.rgb = self.accent
            bar.line.fill.background()
        return shape

    def _content_box(self, slide: Any) -> tuple[int, int, int, int]:
        """(left, top, width, height) free below the title and above the footer."""
        title = slide.shapes.title
        below = int(Inches(0.25))
        top = int(title.top + title.height) + below if title is not None else int(Inches(1.3))
        top = max(top, int(Inches(1.55))) if not self.templated else top
        bottom = self.h - int(Inches(0.6))
        return int(self.margin), top, self.w - 2 * int(self.margin), bottom - top

    def _decorate(self, slide: Any) -> None:
        """Footer text and logo on every slide."""
        box = slide.shapes.add_textbox(self.margin, self.h - Inches(0.5), self.w - 2 * self.margin,
                                       Inches(0.35))
        _write(box.text_frame, [self.footer], self.lang, size=10, colour=GREY)
        logo = self.branding.logo_file(raster_only=True)
        if logo is not None:
            slide.shapes.add_picture(str(logo), self.w - self.margin - Inches(1.4), Inches(0.35),
                                     height=Inches(0.6))

    def _notes(self, slide: Any, text: str) -> None:
        if text.strip():
            tf = slide.notes_slide.notes_text_frame
            _write(tf, plain(text).split("\n"), self.lang)

    # ---- slide kinds ----

    def title_slide(self, title: str, lines: list[str]) -> Any:
        s = self.prs.slides.add_slide(self.l_title)
        ph = {p.placeholder_format.idx: p for p in s.placeholders}
        if 0 in ph:
            _write(ph[0].text_frame, [title], self.lang,
                   colour=None if self.templated else self.primary, bold=True)
            if not self.templated:
                ph[0].left, ph[0].top = self.margin, Inches(2.0)
                ph[0].width, ph[0].height = self.w - 2 * self.margin, Inches(1.5)
                ph[0].text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        sub = ph.get(1)
        if sub is None:
            sub = s.shapes.add_textbox(self.margin, Inches(3.7), self.w - 2 * self.margin,
                                       Inches(2.5))
        if not self.templated:
            sub.left, sub.top = self.margin, Inches(3.7)
            sub.width, sub.height = self.w - 2 * self.margin, Inches(2.5)
        _write(sub.text_frame, lines, self.lang, size=None if self.templated else 18,
               colour=None if self.templated else GREY)
        if not self.templated:
            for p in sub.text_frame.paragraphs:
                p.alignment = PP_ALIGN.LEFT
        logo = self.branding.logo_file(raster_only=True)
        if logo is not None:
            s.shapes.add_picture(str(logo), self.margin, Inches(0.6), height=Inches(1.0))
        return s

    def bullets_slide(self, title: str, lines: list[str]) -> Any:
        s = self.prs.slides.add_slide(self.l_content)
        self._title(s, title)
        body = next((p for p in s.placeholders if p.placeholder_format.idx == 1), None)
        left, top, width, height = self._content_box(s)
        if body is None:
            body = s.shapes.add_textbox(left, top, width, height)
        elif not self.templated:
            body.left, body.top, body.width, body.height = left, top, width, height
        body.text_frame.word_wrap = True
        _write(body.text_frame, lines, self.lang, size=None if self.templated else 18)
        self._decorate(s)
        return s

    def chart_slide(self, item: KeyItem) -> Any:
        s = self.prs.slides.add_slide(self.l_only)
        self._title(s, item.headline)
        png = item.png()
        if png:
            left, top, width, height = self._content_box(s)
            with Image.open(io.BytesIO(png)) as im:
                iw, ih = im.size
            scale = min(width / iw, height / ih)
            pw, ph = int(iw * scale), int(ih * scale)
            s.shapes.add_picture(io.BytesIO(png), Emu(left + (width - pw) // 2), Emu(top),
                                 width=Emu(pw), height=Emu(ph))
        self._decorate(s)
        self._notes(s, item.speaker_notes())
        return s

    def table_slide(self, item: KeyItem) -> Any:
        s = self.prs.slides.add_slide(self.l_only)
        self._title(s, item.headline)
        rows = item.rows[:MAX_TABLE_ROWS]
        cols = item.columns or [str(i + 1) for i in range(max((len(r) for r in rows), default=0))]
        left, top, width, height = self._content_box(s)
        if cols:
            row_h = Inches(0.4)
            shape = s.shapes.add_table(len(rows) + 1, len(cols), Emu(left), Emu(top), Emu(width),
                                       Emu(min(height, row_h * (len(rows) + 1))))
            table = shape.table
            for j, c in enumerate(cols):
                self._cell(table.cell(0, j), c, header=True)
            for i, r in enumerate(rows, start=1):
                for j in range(len(cols)):
                    self._cell(table.cell(i, j), cell_text(r[j]) if j < len(r) else "",
                               header=False, numeric=j < len(r) and _is_number(r[j]))
        notes = item.speaker_notes()
        if len(item.rows) > MAX_TABLE_ROWS:
            more = t("deck.table_more_rows", self.lang, shown=MAX_TABLE_ROWS, total=len(item.rows))
            box = s.shapes.add_textbox(self.margin, self.h - Inches(0.9),
                                       self.w - 2 * self.margin, Inches(0.35))
            _write(box.text_frame, [more], self.lang, size=11, colour=GREY)
            notes = f"{notes}\n\n{more}" if notes else more
        self._decorate(s)
        self._notes(s, notes)
        return s

    def _cell(self, cell: Any, text: str, header: bool, numeric: bool = False) -> None:
        tf = cell.text_frame
        _write(tf, [text], self.lang, size=12 if header else 11, bold=True if header else None,
               colour=RGBColor(0xFF, 0xFF, 0xFF) if header and not self.templated else None)
        tf.paragraphs[0].alignment = PP_ALIGN.RIGHT if numeric else PP_ALIGN.LEFT
        if header and not self.templated:
            cell.fill.solid()
            cell.fill.fore_color.rgb = self.primary


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def findings_lines(results: dict[str, Any]) -> list[str]:
    """Every step's recorded findings, in step order."""
    out: list[str] = []
    for rec in results.values():
        if isinstance(rec, dict):
            out += [str(f) for f in rec.get("findings") or [] if str(f).strip()]
    return out


def key_figures_item(results: dict[str, Any], lang: str, currency: str | None = None
                     ) -> KeyItem | None:
    """The slice's headline KPIs as one table slide (labels with their scope, values from the
    results' metrics map, formatted by the registry's unit); None when it has none."""
    from clientbook.present.results import key_figures, window_label

    figures = key_figures(results, lang, currency)
    if not figures:
        return None
    window = window_label(results)
    notes = t("metrics.key_figures_note", lang, window=window) if window else ""
    return KeyItem("table", t("metrics.key_figures", lang), notes, {},
                   columns=[t("performance.col.kpi", lang), t("performance.col.actual", lang)],
                   rows=[[f["label"], f["value"]] for f in figures])


def build_deck(notebooks: list[NotebookNode], results: dict, out_path: Path, *, title: str,
               subtitle: str, lang: str, branding: Branding, template: Path | None = None,
               today: date | None = None, currency: str | None = None) -> Path:
    """Write deck.pptx for one slice from its executed playbooks and results.json."""
    today = today or date.today()
    footer = " · ".join(x for x in (branding.client, subtitle) if x)
    d = _Deck(template, branding, lang, footer)
    sections: list[Section] = [s for s in (key_content(nb) for nb in notebooks) if s.items]
    findings = findings_lines(results)

    lines = [subtitle] if subtitle else []
    d.title_slide(title, lines + title_lines(branding, subtitle, lang, today))

    agenda = [t("deck.key_findings", lang)] + [s.heading for s in sections if s.heading]
    d.bullets_slide(t("deck.agenda", lang), agenda)

    chunks = [findings[i:i + MAX_FINDINGS_PER_SLIDE]
              for i in range(0, len(findings), MAX_FINDINGS_PER_SLIDE)]
    for chunk in chunks or [[t("deck.no_findings", lang)]]:
        d.bullets_slide(t("deck.key_findings", lang), chunk)
    figures = key_figures_item(results, lang, currency)
    if figures is not None:  # every figure shown: one slide per MAX_TABLE_ROWS
        for i in range(0, len(figures.rows), MAX_TABLE_ROWS):
            d.table_slide(replace(figures, rows=figures.rows[i:i + MAX_TABLE_ROWS]))

    for section in sections:
        for item in section.items:
            (d.table_slide if item.kind == "table" else d.chart_slide)(item)

    d.prs.core_properties.title = title
    d.prs.core_properties.author = ", ".join(x for x in (branding.consultant, branding.firm) if x)
    d.prs.core_properties.language = LANG_TAG.get(lang, "en-US")
    # the report date, not the wall clock: the same run gives the same file properties
    stamp = datetime.combine(today, time())
    d.prs.core_properties.created = d.prs.core_properties.modified = stamp
    d.prs.core_properties.last_printed = stamp
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    d.prs.save(str(out_path))
    return out_path
