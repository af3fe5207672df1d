"""deck.pptx for one slice with python-pptx.

The story of `slides.story`: title slide (client, consultant and firm, date, slice), the
executive summary (the ranked findings with evidence and action the report opens with), the
KPI scorecard, then per step its key charts and tables (headline as the title, the chart drawn
for the slide, the narrative as speaker notes), and an appendix (data audit, method notes).
Tables are real PowerPoint tables, so a consultant can restyle and edit them, not pictures of
tables; a long table runs over several slides with its header repeated, its columns sized to
their content. Every slide has speaker notes.

With a client template (.pptx) its layouts, theme colours and fonts are used and its own
slides are dropped; without one, a plain 16:9 deck in the branding colours.
"""

from __future__ import annotations

import html
import io
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
from clientbook.deliver import slides
from clientbook.deliver.slides import KeyItem, title_lines
from clientbook.present.i18n import t

MAX_TABLE_ROWS = 12  # rows a slide at most; a longer table continues on the next slide
TABLE_SIZES = (14, 12, 11, 10, 9)  # font sizes (pt) tried until the table fits the slide
# python-pptx's default cell margins: 0.1 in left and right, 0.05 in top and bottom (in pt)
CELL_PAD_X, CELL_PAD_Y = 14.4, 7.2
TITLE_SIZES = (28, 24, 20)
EMU_PER_PT = 12700
# East Asian typeface for Chinese runs: PowerPoint otherwise may pick a Japanese face.
EA_FONT = {"zh": "Microsoft YaHei"}
LANG_TAG = {"en": "en-US", "zh": "zh-CN"}
GREY = RGBColor(0x70, 0x70, 0x70)


# ---- text helpers ------------------------------------------------------------------------


def plain(markdown: str) -> str:
    """Markdown narrative as plain speaker-notes text."""
    # data in the narrative is escaped for HTML (playbook.say); a deck is not HTML
    return html.unescape(slides.plain(markdown))


def cell_text(v: Any, lang: str = "en") -> str:
    """A table value as text (present.numbers for numbers, dates as dates)."""
    return slides.cell_text(v, lang)


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


def _write(
    text_frame: Any,
    lines: list[str],
    lang: str,
    size: int | None = None,
    colour: RGBColor | None = None,
    bold: bool | None = None,
) -> None:
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
            shape = slide.shapes.add_textbox(
                self.margin, Inches(0.3), self.w - 2 * self.margin, Inches(1.0)
            )
        if not self.templated:
            shape.left, shape.top = self.margin, Inches(0.35)
            shape.width, shape.height = self.w - 2 * self.margin - Inches(1.6), Inches(1.0)
        tf = shape.text_frame
        tf.word_wrap = True
        size = None
        if not self.templated:  # the largest size at which the headline takes two lines at most
            room = (int(shape.width) - int(tf.margin_left) - int(tf.margin_right)) / EMU_PER_PT
            size = next(
                (z for z in TITLE_SIZES if slides.wrapped_lines(text, room, z) <= 2),
                TITLE_SIZES[-1],
            )
        _write(
            tf,
            [text],
            self.lang,
            size=size,
            colour=None if self.templated else self.primary,
            bold=None,
        )
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

    def _decorate(self, slide: Any, section: str = "") -> None:
        """Footer text (client, slice and the step) and logo on every slide."""
        box = slide.shapes.add_textbox(
            self.margin, self.h - Inches(0.5), self.w - 2 * self.margin, Inches(0.35)
        )
        text = " · ".join(x for x in (self.footer, section) if x)
        _write(box.text_frame, [text], self.lang, size=10, colour=GREY)
        logo = self.branding.logo_file(raster_only=True)
        if logo is not None:
            slide.shapes.add_picture(
                str(logo), self.w - self.margin - Inches(1.4), Inches(0.35), height=Inches(0.6)
            )

    def _notes(self, slide: Any, text: str) -> None:
        if text.strip():
            tf = slide.notes_slide.notes_text_frame
            _write(tf, plain(text).split("\n"), self.lang)

    # ---- slide kinds ----

    def title_slide(self, title: str, lines: list[str]) -> Any:
        s = self.prs.slides.add_slide(self.l_title)
        ph = {p.placeholder_format.idx: p for p in s.placeholders}
        if 0 in ph:
            _write(
                ph[0].text_frame,
                [title],
                self.lang,
                colour=None if self.templated else self.primary,
                bold=True,
            )
            if not self.templated:
                ph[0].left, ph[0].top = self.margin, Inches(2.0)
                ph[0].width, ph[0].height = self.w - 2 * self.margin, Inches(1.5)
                ph[0].text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        sub = ph.get(1)
        if sub is None:
            sub = s.shapes.add_textbox(
                self.margin, Inches(3.7), self.w - 2 * self.margin, Inches(2.5)
            )
        if not self.templated:
            sub.left, sub.top = self.margin, Inches(3.7)
            sub.width, sub.height = self.w - 2 * self.margin, Inches(2.5)
        _write(
            sub.text_frame,
            lines,
            self.lang,
            size=None if self.templated else 18,
            colour=None if self.templated else GREY,
        )
        if not self.templated:
            for p in sub.text_frame.paragraphs:
                p.alignment = PP_ALIGN.LEFT
        logo = self.branding.logo_file(raster_only=True)
        if logo is not None:
            s.shapes.add_picture(str(logo), self.margin, Inches(0.6), height=Inches(1.0))
        return s

    def exhibit(self, item: KeyItem, section: str = "") -> list[Any]:
        """One key chart (one slide) or table (as many slides as it needs)."""
        if item.kind == "table":
            return self.table_slides(item, section)
        return [self.chart_slide(item, section)]

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

    def chart_slide(self, item: KeyItem, section: str = "") -> Any:
        s = self.prs.slides.add_slide(self.l_only)
        self._title(s, item.headline)
        png = item.slide_png()
        if png:
            left, top, width, height = self._content_box(s)
            with Image.open(io.BytesIO(png)) as im:
                iw, ih = im.size
            scale = min(width / iw, height / ih)
            pw, ph = int(iw * scale), int(ih * scale)
            s.shapes.add_picture(
                io.BytesIO(png),
                Emu(left + (width - pw) // 2),
                Emu(top),
                width=Emu(pw),
                height=Emu(ph),
            )
        self._decorate(s, section)
        self._notes(s, item.speaker_notes() or item.headline)
        return s

    def table_slides(self, item: KeyItem, section: str = "") -> list[Any]:
        """The table on as many slides as it needs, header repeated, columns content-sized."""
        cols = item.columns or [
            str(i + 1) for i in range(max((len(r) for r in item.rows), default=0))
        ]
        rows = [
            [cell_text(r[j] if j < len(r) else None, self.lang) for j in range(len(cols))]
            for r in item.rows
        ]
        numeric = slides.numeric_columns(cols, item.rows)
        probe = self.prs.slides.add_slide(self.l_only)  # the content box needs a real title
        self._title(probe, item.headline)
        left, top, width, height = self._content_box(probe)
        _drop_last_slide(self.prs)
        fit = slides.fit_table(
            cols,
            rows,
            width / EMU_PER_PT,
            height / EMU_PER_PT,
            sizes=TABLE_SIZES,
            pad_x=CELL_PAD_X,
            pad_y=CELL_PAD_Y,
            max_rows=MAX_TABLE_ROWS,
        )
        out = []
        n = len(fit.pages)
        for k, page in enumerate(fit.pages):
            title = (
                item.headline
                if n == 1
                else t("deck.continued", self.lang, headline=item.headline, page=k + 1, pages=n)
            )
            s = self.prs.slides.add_slide(self.l_only)
            self._title(s, title)
            if cols:
                shape = s.shapes.add_table(
                    len(page) + 1,
                    len(cols),
                    Emu(left),
                    Emu(top),
                    Emu(int(sum(fit.widths) * EMU_PER_PT)),
                    Emu(
                        int(
                            (fit.header_height + sum(fit.row_heights[i] for i in page)) * EMU_PER_PT
                        )
                    ),
                )
                table = shape.table
                for j, w in enumerate(fit.widths):
                    table.columns[j].width = Emu(int(w * EMU_PER_PT))
                table.rows[0].height = Emu(int(fit.header_height * EMU_PER_PT))
                for j, c in enumerate(cols):
                    self._cell(table.cell(0, j), c, header=True, size=fit.size, numeric=numeric[j])
                for i, ri in enumerate(page, start=1):
                    table.rows[i].height = Emu(int(fit.row_heights[ri] * EMU_PER_PT))
                    for j in range(len(cols)):
                        self._cell(
                            table.cell(i, j),
                            rows[ri][j],
                            header=False,
                            size=fit.size,
                            numeric=numeric[j],
                        )
            notes = item.speaker_notes()
            if n > 1:
                where = t(
                    "deck.rows_shown",
                    self.lang,
                    first=page[0] + 1,
                    last=page[-1] + 1,
                    total=len(rows),
                )
                notes = f"{where}\n\n{notes}" if notes else where
            self._decorate(s, section)
            self._notes(s, notes or item.headline)
            out.append(s)
        return out

    def summary_slides(self, summary: list[dict[str, str]]) -> list[Any]:
        """The ranked findings, each with its evidence and the action, a few to a slide."""
        out = []
        per = slides.SUMMARY_PER_SLIDE
        chunks = [summary[i : i + per] for i in range(0, len(summary), per)] or [[]]
        for k, chunk in enumerate(chunks):
            title = t("deck.summary", self.lang)
            if len(chunks) > 1:
                title = t(
                    "deck.continued", self.lang, headline=title, page=k + 1, pages=len(chunks)
                )
            s = self.prs.slides.add_slide(self.l_only)
            self._title(s, title)
            left, top, width, height = self._content_box(s)
            box = s.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
            tf = box.text_frame
            tf.word_wrap = True
            tf.clear()
            notes = []
            if not chunk:
                _para(tf, t("deck.no_findings", self.lang), 20, first=True)
            for i, item in enumerate(chunk):
                rank = k * per + i + 1
                _para(
                    tf,
                    f"{rank}. {item['finding']}",
                    20,
                    bold=True,
                    first=i == 0,
                    space_before=0 if i == 0 else 14,
                )
                if item.get("evidence"):
                    _para(tf, item["evidence"], 15, colour=GREY)
                if item.get("action"):
                    _para(
                        tf,
                        f"→ {item['action']}",
                        16,
                        colour=None if self.templated else self.primary,
                    )
                notes.append(
                    " ".join(
                        x
                        for x in (
                            f"{rank}. {item['finding']}",
                            item.get("evidence", ""),
                            item.get("action", ""),
                        )
                        if x
                    )
                )
            _lang_runs(tf, self.lang)
            self._decorate(s)
            self._notes(s, "\n\n".join(notes) or t("deck.no_findings", self.lang))
            out.append(s)
        return out

    def text_slides(self, title: str, entries: list[tuple[str, str]], per: int = 3) -> list[Any]:
        """Headed paragraphs (the method notes), `per` to a slide."""
        out = []
        chunks = [entries[i : i + per] for i in range(0, len(entries), per)]
        for k, chunk in enumerate(chunks):
            head = (
                title
                if len(chunks) == 1
                else t("deck.continued", self.lang, headline=title, page=k + 1, pages=len(chunks))
            )
            s = self.prs.slides.add_slide(self.l_only)
            self._title(s, head)
            left, top, width, height = self._content_box(s)
            box = s.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
            tf = box.text_frame
            tf.word_wrap = True
            tf.clear()
            for i, (name, text) in enumerate(chunk):
                _para(tf, name, 16, bold=True, first=i == 0, space_before=0 if i == 0 else 10)
                _para(tf, _clip(text, 420), 13)
            _lang_runs(tf, self.lang)
            self._decorate(s)
            self._notes(s, "\n\n".join(f"{n}: {x}" for n, x in chunk))
            out.append(s)
        return out

    def divider_slide(self, title: str, notes: str) -> Any:
        s = self.prs.slides.add_slide(self.l_only)
        self._title(s, title)
        self._decorate(s)
        self._notes(s, notes)
        return s

    def _cell(
        self, cell: Any, text: str, header: bool, size: float = 11, numeric: bool = False
    ) -> None:
        tf = cell.text_frame
        tf.word_wrap = True
        _write(
            tf,
            [text],
            self.lang,
            size=size,
            bold=True if header else None,
            colour=RGBColor(0xFF, 0xFF, 0xFF) if header and not self.templated else None,
        )
        tf.paragraphs[0].alignment = PP_ALIGN.RIGHT if numeric else PP_ALIGN.LEFT
        if header and not self.templated:
            cell.fill.solid()
            cell.fill.fore_color.rgb = self.primary


def _para(
    tf: Any,
    text: str,
    size: float,
    bold: bool = False,
    colour: RGBColor | None = None,
    first: bool = False,
    space_before: float = 0,
) -> Any:
    p = tf.paragraphs[0] if first and not tf.paragraphs[0].runs else tf.add_paragraph()
    r = p.add_run()
    r.text = text
    r.font.size = Pt(size)
    r.font.bold = bold
    if colour is not None:
        r.font.color.rgb = colour
    if space_before:
        p.space_before = Pt(space_before)
    return p


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def _drop_last_slide(prs: Any) -> None:
    ids = prs.slides._sldIdLst
    last = list(ids)[-1]
    prs.part.drop_rel(last.rId)
    ids.remove(last)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ---- measuring a built deck (used by the layout tests) ----------------------------------


def table_height(table: Any) -> int:
    """A PowerPoint table's rendered height in EMU, estimated from its column widths, each
    cell's font size and its wrapped text (PowerPoint grows a row to fit its text)."""
    widths = [int(c.width) / EMU_PER_PT for c in table.columns]
    total = 0.0
    for row in table.rows:
        need = 0.0
        for j, cell in enumerate(row.cells):
            tf = cell.text_frame
            sizes = [r.font.size.pt for p in tf.paragraphs for r in p.runs if r.font.size]
            size = max(sizes, default=18.0)
            bold = any(r.font.bold for p in tf.paragraphs for r in p.runs)
            pad_x = (cell.margin_left + cell.margin_right) / EMU_PER_PT
            pad_y = (cell.margin_top + cell.margin_bottom) / EMU_PER_PT
            lines = slides.wrapped_lines(tf.text, widths[j] - pad_x, size, bold)
            need = max(need, lines * size * slides.LINE + pad_y)
        total += max(need, int(row.height) / EMU_PER_PT)
    return int(total * EMU_PER_PT)


def text_height(shape: Any) -> int:
    """A text box's height in EMU when its text is laid out (wrapped) in its width."""
    tf = shape.text_frame
    width = (int(shape.width) - int(tf.margin_left) - int(tf.margin_right)) / EMU_PER_PT
    total = (int(tf.margin_top) + int(tf.margin_bottom)) / EMU_PER_PT
    for p in tf.paragraphs:
        sizes = [r.font.size.pt for r in p.runs if r.font.size] or [18.0]
        size = max(sizes)
        bold = any(r.font.bold for r in p.runs)
        before = p.space_before.pt if p.space_before is not None else 0.0
        total += before + slides.wrapped_lines(p.text, width, size, bold) * size * slides.LINE
    return int(total * EMU_PER_PT)


# ---- the deck ----------------------------------------------------------------------------


def build_deck(
    notebooks: list[NotebookNode],
    results: dict,
    out_path: Path,
    *,
    title: str,
    subtitle: str,
    lang: str,
    branding: Branding,
    template: Path | None = None,
    today: date | None = None,
    currency: str | None = None,
) -> Path:
    """Write deck.pptx for one slice from its executed playbooks and results.json."""
    today = today or date.today()
    footer = " · ".join(x for x in (branding.client, subtitle) if x)
    d = _Deck(template, branding, lang, footer)
    st = slides.story(notebooks, results, lang, currency)

    lines = [subtitle] if subtitle else []
    s = d.title_slide(title, lines + title_lines(branding, subtitle, lang, today))
    d._notes(
        s, t("deck.notes.title", lang, sections=", ".join(p.heading for p in st.steps if p.heading))
    )
    d.summary_slides(st.summary)
    if st.figures is not None:  # every headline KPI, from the results' metrics map
        d.exhibit(st.figures)
    if st.scorecard is not None:
        d.exhibit(st.scorecard)
    for part in st.steps:
        for k, item in enumerate(part.items):
            slides_made = d.exhibit(item, part.heading)
            if k == len(part.items) - 1 and part.more:
                last = slides_made[-1]
                more = t("deck.more_in_report", lang, count=part.more)
                tf = last.notes_slide.notes_text_frame
                _write(tf, [*tf.text.split("\n"), "", more], lang)
    if st.appendix or st.methods:
        d.divider_slide(t("deck.appendix", lang), t("deck.notes.appendix", lang))
        for part in st.appendix:
            for item in part.items:
                d.exhibit(item, part.heading)
        if st.methods:
            d.text_slides(t("deck.method_notes", lang), st.methods)

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
