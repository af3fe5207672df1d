"""Offline reveal.js slides from executed playbooks.

A slide is one key chart or table (what `playbook.chart` / `playbook.table` display, marked
with ``{"clientbook": {"kind", "headline", "notes"}}`` output metadata) under its headline; the
narrative (`playbook.say` Markdown) around it becomes the speaker notes. Code, the papermill
parameter cells and trainer notes never reach a slide.

nbconvert's stock reveal template loads reveal.js, require.js, jquery, mermaid and MathJax
from CDNs, so such slides never start offline. Our template (templates/clientbook_slides/)
links only the vendored files in lib/clientbook/assets/, copied next to the output.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import SlidesExporter
from nbformat import NotebookNode
from traitlets.config import Config

from clientbook.config.branding import Branding
from clientbook.config.resources import assets_dir, templates_dir
from clientbook.present.i18n import t
from clientbook.present.numbers import format_number, is_missing

ASSETS = assets_dir()
TEMPLATES = templates_dir()
TEMPLATE_NAME = "clientbook_slides"
# What a slides.html needs at view time (the rest of assets/ is documentation).
VENDORED = ("reveal", "require")
SKIP_TAGS = {"injected-parameters", "parameters", "papermill-error-cell-tag"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}


@dataclass
class KeyItem:
    """One key chart or table of a playbook, with the narrative that led up to it."""

    kind: str  # "chart" or "table"
    headline: str
    notes: str
    output: dict[str, Any]  # the nbformat display output itself
    narrative: list[str] = field(default_factory=list)  # Markdown shown before it
    columns: list[str] = field(default_factory=list)  # tables only
    rows: list[list[Any]] = field(default_factory=list)

    def png(self) -> bytes | None:
        data = self.output.get("data", {}).get("image/png")
        if not data:
            return None
        return base64.b64decode(data if isinstance(data, str) else "".join(data))

    def slide_png(self) -> bytes | None:
        """The chart drawn for a slide (no title, slide proportions, >= 150 dpi) when the
        playbook stored one, else the report's image."""
        data = (_clientbook_meta(self.output) or {}).get("slide_png")
        return base64.b64decode(data) if data else self.png()

    def speaker_notes(self) -> str:
        """The notes given with the chart first, then the narrative around it."""
        return "\n\n".join(p.strip() for p in [self.notes, *self.narrative] if p.strip())


@dataclass
class Section:
    """The key content of one executed playbook (one management step)."""

    heading: str  # the step's first `##` heading, "" when it has none
    items: list[KeyItem]
    narrative: list[str]  # all narrative of the step, in order


def _clientbook_meta(output: dict[str, Any]) -> dict[str, Any] | None:
    meta = output.get("metadata") or {}
    cb = meta.get("clientbook")
    if cb is None:  # IPython may nest metadata under the MIME type
        cb = next(
            (v["clientbook"] for v in meta.values() if isinstance(v, dict) and "clientbook" in v),
            None,
        )
    if isinstance(cb, dict) and cb.get("kind") in ("chart", "table"):
        return cb
    return None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _heading(markdown: str) -> str | None:
    first = markdown.lstrip().splitlines()[0] if markdown.strip() else ""
    return first.lstrip("#").strip() if first.startswith("## ") else None


def key_content(nb: NotebookNode | dict[str, Any]) -> Section:
    """The step heading, key charts/tables and narrative of one executed playbook."""
    heading = ""
    items: list[KeyItem] = []
    narrative: list[str] = []
    pending: list[str] = []  # narrative since the last key item
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & SKIP_TAGS:
            continue  # papermill's injected cell would otherwise become an empty first slide
        if cell.get("cell_type") == "markdown":
            if "training" not in tags:  # trainer notes stay out of client deliverables
                pending.append(_text(cell.get("source")))
                narrative.append(pending[-1])
            continue
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue  # streams and errors are for the notebook reader, not the client
            cb = _clientbook_meta(out)
            if cb is not None:
                items.append(
                    KeyItem(
                        kind=cb["kind"],
                        headline=str(cb.get("headline", "")),
                        notes=str(cb.get("notes", "") or ""),
                        output=dict(out),
                        narrative=pending,
                        columns=[str(c) for c in cb.get("columns", [])],
                        rows=[list(r) for r in cb.get("rows", [])],
                    )
                )
                pending = []
                continue
            md = out.get("data", {}).get("text/markdown")
            if md is None:
                continue
            md = _text(md)
            h = _heading(md)
            if h and not heading:
                heading = html.unescape(h)  # Markdown (data escaped) -> plain text
                rest = md.lstrip().split("\n", 1)[1] if "\n" in md.strip() else ""
                md = rest
            if md.strip():
                pending.append(md)
                narrative.append(md)
    if items and pending:  # narrative after the last chart still belongs to the talk
        items[-1].narrative = items[-1].narrative + pending
    return Section(heading=heading, items=items, narrative=narrative)


# ---- values as a reader sees them ---------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?)?$")


def date_text(v: Any) -> str | None:
    """A date as a date ('2025-11-06'), from a date, a midnight timestamp or its ISO text;
    None when `v` is not a date. The one way slides and the deck write dates."""
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time() else v.isoformat(" ", "minutes")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, str):
        m = _ISO_DATE.match(v.strip())
        return m.group(1) if m else None
    return None


def cell_text(v: Any, lang: str = "en") -> str:
    """A table value as text: 61000.0 -> 61,000; 25000.5 -> 25,000.50; dates as dates;
    missing -> ''."""
    if v is None or isinstance(v, bool):
        return "" if v is None else str(v)
    if isinstance(v, int | float):
        if is_missing(v):
            return ""
        whole = float(v).is_integer()
        return format_number(v, "count" if whole else "ratio", lang=lang)
    d = date_text(v)
    return d if d is not None else str(v)


def plain(markdown: str) -> str:
    """Markdown narrative as plain text (speaker notes, method notes)."""
    s = re.sub(r"^\s{0,3}#{1,6}\s*", "", markdown, flags=re.M)
    s = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*", r"\1", s)
    s = re.sub(r"`([^`]*)`", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"^\s*[-*]\s+", "• ", s, flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", s).strip()


# ---- fitting a table to a slide ----------------------------------------------------------


def text_width(text: str, size: float, bold: bool = False, em: float = 1.0) -> float:
    """Estimated width of one line of `text` at font `size` (in the unit of `size`): Chinese
    and other wide characters 1 em, digits and most Latin letters about 0.55 em (times `em`
    for a wider font)."""
    w = wide = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            wide += 1.0
        elif ch in "il.,:;'|!ftjI ()[]":
            w += 0.33
        elif ch.isupper() or ch in "mwMW@%":
            w += 0.72
        else:
            w += 0.56
    return (w * em + wide) * size * (1.07 if bold else 1.0)


def wrapped_lines(text: str, width: float, size: float, bold: bool = False, em: float = 1.0) -> int:
    """How many lines `text` takes in a box `width` wide (greedy word wrap; a word longer than
    the line breaks inside, as PowerPoint and browsers do)."""
    if width <= 0:
        return max(1, len(text))
    lines = 0
    for para in text.split("\n") if text else [""]:
        n, cur = 1, 0.0
        space = text_width(" ", size, bold, em)
        for word in para.split(" "):
            ww = text_width(word, size, bold, em)
            if cur and cur + space + ww <= width:
                cur += space + ww
                continue
            if cur:
                n += 1
            while ww > width:  # a word longer than the line
                n += 1
                ww -= width
            cur = ww
        lines += n
    return lines


@dataclass
class TableFit:
    """A table laid out for a slide: font size, column widths, the rows of each page."""

    size: float
    widths: list[float]
    pages: list[list[int]]  # row indices per page; every page repeats the header
    header_height: float
    row_heights: list[float]


LINE = 1.2  # line height in ems


def row_height(
    texts: list[str],
    widths: list[float],
    size: float,
    pad_x: float,
    pad_y: float,
    bold: bool = False,
    em: float = 1.0,
) -> float:
    lines = max(
        (wrapped_lines(t, w - pad_x, size, bold, em) for t, w in zip(texts, widths, strict=False)),
        default=1,
    )
    return lines * size * LINE + pad_y


def fit_table(
    columns: list[str],
    rows: list[list[str]],
    width: float,
    height: float,
    *,
    sizes: tuple[float, ...],
    pad_x: float,
    pad_y: float,
    max_rows: int = 12,
    em: float = 1.0,
) -> TableFit:
    """Content-sized column widths (each column as wide as its longest text, wide text columns
    narrowed down to their longest word) and the rows split into pages that fit `height`
    with the header repeated, at most `max_rows` a page, balanced. Of the font `sizes` the
    largest that needs the fewest pages wins. `em` widens the text estimate for wider fonts
    (the system sans-serif of a browser is wider than PowerPoint's Calibri)."""
    fits = [
        f
        for f in (
            _fit_at(
                columns,
                rows,
                width,
                height,
                size,
                pad_x,
                pad_y,
                max_rows,
                last=size == sizes[-1],
                em=em,
            )
            for size in sizes
        )
        if f is not None
    ]
    fewest = min(len(f.pages) for f in fits)
    return next(f for f in fits if len(f.pages) == fewest)


def _fit_at(
    columns: list[str],
    rows: list[list[str]],
    width: float,
    height: float,
    size: float,
    pad_x: float,
    pad_y: float,
    max_rows: int,
    last: bool,
    em: float = 1.0,
) -> TableFit | None:
    ncol = max(len(columns), 1)
    nat, low = [], []
    for j in range(ncol):
        head = columns[j] if j < len(columns) else ""
        cells = [r[j] if j < len(r) else "" for r in rows]
        n = max([text_width(head, size, True, em)] + [text_width(c, size, em=em) for c in cells])
        m = max(
            [text_width(w, size, True, em) for w in head.split()]
            + [text_width(w, size, em=em) for c in cells for w in c.split()]
            + [0.0]
        )
        m = max(m, text_width(head, size, True, em) / 3)  # a header wraps to 3 lines at most
        nat.append(min(n, width * 0.45) + pad_x)
        low.append(min(m, n, width * 0.3) + pad_x)
    if sum(nat) <= width:
        # Room to spare: up to 30% more per column, so a viewer whose font runs wider than
        # the estimate (LibreOffice, a fallback font) still sets "Actual" and "$12.4M" on one line.
        extra = min(width - sum(nat), 0.3 * sum(nat))
        widths = [n + extra * n / sum(nat) for n in nat]
    elif sum(low) <= width or last:
        spare = width - sum(low)
        give = [n - lo for n, lo in zip(nat, low, strict=True)]
        if spare >= 0 and sum(give) > 0:
            widths = [lo + spare * g / sum(give) for lo, g in zip(low, give, strict=True)]
        else:
            widths = [width * lo / sum(low) for lo in low]
    else:
        return None
    head_h = row_height(list(columns), widths, size, pad_x, pad_y, bold=True, em=em)
    heights = [row_height(list(r), widths, size, pad_x, pad_y, em=em) for r in rows]
    room = height - head_h
    if heights and max(heights) > room and not last:
        return None
    pages: list[list[int]] = []
    cur: list[int] = []
    used = 0.0
    for i, h in enumerate(heights):
        if cur and (used + h > room or len(cur) >= max_rows):
            pages.append(cur)
            cur, used = [], 0.0
        cur.append(i)
        used += h
    if cur:
        pages.append(cur)
    pages = _balanced(pages, heights, room, max_rows)
    return TableFit(size, widths, pages or [[]], head_h, heights)


def _balanced(
    pages: list[list[int]], heights: list[float], room: float, max_rows: int
) -> list[list[int]]:
    """The same number of pages with rows spread evenly (no page of one lonely row)."""
    n, total = len(pages), sum(len(p) for p in pages)
    if n < 2:
        return pages
    per = -(-total // n)
    out, i = [], 0
    while i < total:
        chunk = list(range(i, min(i + per, total)))
        while len(chunk) > 1 and sum(heights[k] for k in chunk) > room:
            chunk.pop()
        out.append(chunk)
        i = chunk[-1] + 1
    return out if len(out) == n else pages


# ---- the story: what the slides and the deck show, in order ------------------------------

MAIN_ITEMS_PER_STEP = 2  # a playbook shows its key exhibits first; the report has the rest
SUMMARY_PER_SLIDE = 3
APPENDIX_STEPS = ("data_audit",)
SCORECARD_STEP = "performance_review"


@dataclass
class StepPart:
    step: str  # the playbook's step name ("" when unknown)
    heading: str
    items: list[KeyItem]
    more: int  # key exhibits of this step left to the report
    method: str  # the step's opening narrative, as plain text (appendix method notes)


@dataclass
class Story:
    """Title, executive summary, scorecard, one part per step, then the appendix (data
    audit and method notes): the same for slides.html and deck.pptx."""

    summary: list[dict[str, str]]
    scorecard: KeyItem | None
    steps: list[StepPart]
    appendix: list[StepPart]
    methods: list[tuple[str, str]]  # (step heading, method note)
    figures: KeyItem | None = None  # the key figures (results' metrics map)


def _step(nb: NotebookNode | dict[str, Any]) -> str:
    path = (nb.get("metadata", {}).get("papermill") or {}).get("input_path") or ""
    stem = Path(str(path)).stem
    return stem.split("_", 1)[1] if "_" in stem and stem.split("_", 1)[0].isdigit() else ""


def _method(section: Section) -> str:
    for chunk in section.narrative:
        for para in re.split(r"\n\s*\n", chunk):
            if para.strip() and not para.lstrip().startswith(("#", "-", "*", "|", "<")):
                return plain(para)
    return ""


def key_figures_item(
    results: dict[str, Any], lang: str, currency: str | None = None
) -> KeyItem | None:
    """The slice's headline KPIs as one table slide (labels with their scope, values from the
    results' metrics map, formatted by the registry's unit); None when it has none."""
    from clientbook.present.results import key_figures, window_label

    figures = key_figures(results, lang, currency)
    if not figures:
        return None
    window = window_label(results)
    notes = t("metrics.key_figures_note", lang, window=window) if window else ""
    return KeyItem(
        "table",
        t("metrics.key_figures", lang),
        notes,
        {},
        columns=[t("performance.col.kpi", lang), t("performance.col.actual", lang)],
        rows=[[f["label"], f["value"]] for f in figures],
    )


def story(
    notebooks: list[NotebookNode],
    results: dict[str, Any],
    lang: str = "en",
    currency: str | None = None,
) -> Story:
    from clientbook.deliver.report import executive_summary

    parts, appendix, methods = [], [], []
    scorecard = None
    for nb in notebooks:
        step, section = _step(nb), key_content(nb)
        if not section.items:
            continue  # a step without charts or tables (e.g. its table is missing)
        method = _method(section)
        if section.heading and method:
            methods.append((section.heading, method))
        items = list(section.items)
        if step == SCORECARD_STEP and scorecard is None:
            first_table = next((i for i in items if i.kind == "table"), None)
            if first_table is not None:
                scorecard = first_table
                items.remove(first_table)
        if step in APPENDIX_STEPS:
            appendix.append(StepPart(step, section.heading, items, 0, method))
            continue
        main = items[:MAIN_ITEMS_PER_STEP]
        if main:
            parts.append(StepPart(step, section.heading, main, len(items) - len(main), method))
    summary = [i for i in executive_summary(results) if str(i.get("finding", "")).strip()]
    return Story(
        summary, scorecard, parts, appendix, methods, key_figures_item(results, lang, currency)
    )


# ---- the slide notebook ------------------------------------------------------------------


def _html_cell(source: str, slide_type: str = "slide") -> NotebookNode:
    cell = nbformat.v4.new_raw_cell(source)
    cell.metadata["clientbook_html"] = True
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


def _esc(s: str) -> str:
    return html.escape(s, quote=True)


def title_lines(branding: Branding, subtitle: str, lang: str, today: date) -> list[str]:
    """Client / by-line / date lines of a title slide (plain text, already translated)."""
    lines = []
    if branding.client:
        lines.append(t("deck.prepared_for", lang, client=branding.client))
    who = ", ".join(x for x in (branding.consultant, branding.firm) if x)
    if who:
        lines.append(t("deck.prepared_by", lang, who=who))
    lines.append(t("deck.date", lang, date=today.isoformat()))
    return lines


# slides.html: a 16:9 canvas of CANVAS px; the body below the headline, above the footer.
CANVAS = (1280, 720)
BODY = (1180, 470)  # width, height (px) a table or chart may take
HTML_TABLE_SIZES = (22, 20, 18, 16, 14)  # px
HTML_PAD_X, HTML_PAD_Y = 20, 8  # td padding 4px 10px
HTML_MAX_ROWS = 12
HTML_EM = 1.15  # DejaVu Sans / Noto Sans (what Linux browsers fall back to) run wide


def _notes_html(text: str) -> str:
    return f'<aside class="notes">{_esc(plain(text))}</aside>' if text.strip() else ""


def _slide(
    body: str, notes: str, headline: str = "", section: str = "", cls: str = ""
) -> NotebookNode:
    head = f'<h2 class="cb-headline">{_esc(headline)}</h2>' if headline else ""
    kicker = f'<div class="cb-kicker">{_esc(section)}</div>' if section else ""
    return _html_cell(
        f'<div class="cb-slide {cls}">{kicker}{head}'
        f'<div class="cb-body">{body}</div></div>{_notes_html(notes)}'
    )


def numeric_columns(columns: list[str], rows: list[list[Any]]) -> list[bool]:
    """Columns whose values are all numbers (or missing): right-aligned on a slide."""

    def num(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    return [
        any(j < len(r) and num(r[j]) for r in rows)
        and all(j >= len(r) or r[j] is None or num(r[j]) for r in rows)
        for j in range(len(columns))
    ]


def table_pages_html(item: KeyItem, lang: str) -> list[tuple[str, str]]:
    """(table HTML, rows note) per slide: content-sized columns, header repeated."""
    cols = item.columns or [str(i + 1) for i in range(max((len(r) for r in item.rows), default=0))]
    rows = [
        [cell_text(r[j] if j < len(r) else None, lang) for j in range(len(cols))] for r in item.rows
    ]
    fit = fit_table(
        cols,
        rows,
        BODY[0],
        BODY[1],
        sizes=HTML_TABLE_SIZES,
        pad_x=HTML_PAD_X,
        pad_y=HTML_PAD_Y,
        max_rows=HTML_MAX_ROWS,
        em=HTML_EM,
    )
    total = sum(fit.widths)
    colgroup = "".join(f'<col style="width:{w / total * 100:.2f}%">' for w in fit.widths)
    num = [' class="cb-num"' if n else "" for n in numeric_columns(cols, item.rows)]
    head = "".join(f"<th{num[j]}>{_esc(c)}</th>" for j, c in enumerate(cols))
    out = []
    for page in fit.pages:
        body = "".join(
            "<tr>" + "".join(f"<td{num[j]}>{_esc(v)}</td>" for j, v in enumerate(rows[i])) + "</tr>"
            for i in page
        )
        note = (
            t("deck.rows_shown", lang, first=page[0] + 1, last=page[-1] + 1, total=len(rows))
            if len(fit.pages) > 1 and page
            else ""
        )
        out.append(
            (
                f'<table class="cb-table" style="width:{total:.0f}px;'
                f'font-size:{fit.size:.0f}px"><colgroup>{colgroup}</colgroup>'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
                note,
            )
        )
    return out


def exhibit_cells(
    item: KeyItem, lang: str, section: str = "", extra_notes: str = ""
) -> list[NotebookNode]:
    """One key chart (one slide) or table (as many slides as it needs)."""
    notes = "\n\n".join(x for x in (item.speaker_notes(), extra_notes) if x) or item.headline
    if item.kind != "table":
        png = item.slide_png()
        img = (
            f'<img class="cb-chart" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode("ascii")}" alt="{_esc(item.headline)}">'
            if png
            else ""
        )
        return [_slide(img, notes, item.headline, section, "cb-chart-slide")]
    pages = table_pages_html(item, lang)
    cells = []
    for k, (table, where) in enumerate(pages):
        headline = (
            item.headline
            if len(pages) == 1
            else t("deck.continued", lang, headline=item.headline, page=k + 1, pages=len(pages))
        )
        cells.append(
            _slide(
                table,
                f"{where}\n\n{notes}" if where else notes,
                headline,
                section,
                "cb-table-slide",
            )
        )
    return cells


def summary_cells(summary: list[dict[str, str]], lang: str) -> list[NotebookNode]:
    per = SUMMARY_PER_SLIDE
    chunks = [summary[i : i + per] for i in range(0, len(summary), per)] or [[]]
    cells = []
    for k, chunk in enumerate(chunks):
        title = t("deck.summary", lang)
        if len(chunks) > 1:
            title = t("deck.continued", lang, headline=title, page=k + 1, pages=len(chunks))
        items, notes = [], []
        for i, it in enumerate(chunk):
            rank = k * per + i + 1
            ev = (
                f'<div class="cb-evidence">{_esc(it["evidence"])}</div>'
                if it.get("evidence")
                else ""
            )
            act = f'<div class="cb-action">→ {_esc(it["action"])}</div>' if it.get("action") else ""
            items.append(
                f'<li value="{rank}"><div class="cb-finding">{_esc(it["finding"])}'
                f"</div>{ev}{act}</li>"
            )
            notes.append(
                " ".join(
                    x
                    for x in (
                        f"{rank}. {it['finding']}",
                        it.get("evidence", ""),
                        it.get("action", ""),
                    )
                    if x
                )
            )
        body = (
            f'<ol class="cb-summary">{"".join(items)}</ol>'
            if items
            else f"<p>{_esc(t('deck.no_findings', lang))}</p>"
        )
        cells.append(_slide(body, "\n\n".join(notes) or t("deck.no_findings", lang), title))
    return cells


def method_cells(methods: list[tuple[str, str]], lang: str, per: int = 3) -> list[NotebookNode]:
    chunks = [methods[i : i + per] for i in range(0, len(methods), per)]
    cells = []
    for k, chunk in enumerate(chunks):
        title = t("deck.method_notes", lang)
        if len(chunks) > 1:
            title = t("deck.continued", lang, headline=title, page=k + 1, pages=len(chunks))
        body = "".join(
            f'<div class="cb-method"><b>{_esc(n)}</b><p>{_esc(_clip(x, 420))}</p></div>'
            for n, x in chunk
        )
        cells.append(_slide(body, "\n\n".join(f"{n}: {x}" for n, x in chunk), title))
    return cells


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def slides_notebook(
    notebooks: list[NotebookNode],
    *,
    title: str,
    subtitle: str,
    lang: str,
    branding: Branding,
    today: date | None = None,
    results: dict[str, Any] | None = None,
    currency: str | None = None,
) -> NotebookNode:
    """One notebook whose cells are exactly the slides, in the order of `story` (the deck's):
    title, executive summary, scorecard, each step's key charts and tables, appendix."""
    today = today or date.today()
    st = story(notebooks, results or {}, lang, currency)
    cells = []
    meta = "".join(f"<div>{_esc(x)}</div>" for x in title_lines(branding, subtitle, lang, today))
    cells.append(
        _html_cell(
            f'<div class="cb-title"><h1>{_esc(title)}</h1>'
            f'<p class="cb-subtitle">{_esc(subtitle)}</p><div class="cb-meta">{meta}</div></div>'
            + _notes_html(
                t(
                    "deck.notes.title",
                    lang,
                    sections=", ".join(p.heading for p in st.steps if p.heading),
                )
            )
        )
    )
    cells += summary_cells(st.summary, lang)
    if st.figures is not None:
        cells += exhibit_cells(st.figures, lang)
    if st.scorecard is not None:
        cells += exhibit_cells(st.scorecard, lang)
    for part in st.steps:
        for k, item in enumerate(part.items):
            more = (
                t("deck.more_in_report", lang, count=part.more)
                if part.more and k == len(part.items) - 1
                else ""
            )
            cells += exhibit_cells(item, lang, part.heading, more)
    if st.appendix or st.methods:
        cells.append(
            _html_cell(
                f'<div class="cb-section"><h1>{_esc(t("deck.appendix", lang))}</h1></div>'
                + _notes_html(t("deck.notes.appendix", lang))
            )
        )
        for part in st.appendix:
            for item in part.items:
                cells += exhibit_cells(item, lang, part.heading)
        cells += method_cells(st.methods, lang)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["title"] = title
    return nb


# ---- files -------------------------------------------------------------------------------


def install_assets(assets_dir: Path) -> Path:
    """Copy the vendored reveal.js and require.js into `assets_dir` (once; atomic per file,
    so slices rendered in parallel never read a half-written file)."""
    for name in VENDORED:
        for src in sorted((ASSETS / name).rglob("*")):
            if not src.is_file():
                continue
            dst = assets_dir / src.relative_to(ASSETS)
            if dst.is_file() and dst.stat().st_size == src.stat().st_size:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
            os.close(fd)
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
    return assets_dir


def data_uri(path: Path | None) -> str:
    """A logo as a data: URI, so the HTML needs no extra file and no network."""
    if path is None or not path.is_file():
        return ""
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@cache  # compiling the templates is half the cost of a render: once per thread, since the
# exporter re-registers filters on every call and the runner renders slices in parallel threads
def _exporter(thread: int) -> SlidesExporter:
    c = Config()
    # Our template links cb.assets itself; the prefix only keeps nbconvert's CDN default
    # out of anything that might still read it.
    c.SlidesExporter.reveal_url_prefix = "assets/reveal"
    c.SlidesExporter.reveal_transition = "slide"
    c.SlidesExporter.reveal_width = str(CANVAS[0])
    c.SlidesExporter.reveal_height = str(CANVAS[1])
    exporter = SlidesExporter(
        config=c, template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES)]
    )
    exporter.exclude_input = True  # all code hidden: clients read the narrative, not Python
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def render_slides(
    notebooks: list[NotebookNode],
    out_path: Path,
    *,
    title: str,
    subtitle: str,
    lang: str,
    branding: Branding,
    assets_dir: Path,
    today: date | None = None,
    results: dict[str, Any] | None = None,
    currency: str | None = None,
) -> Path:
    """Write slides.html for one slice; reveal.js/require.js go to the shared `assets_dir`.
    `today` is the date on the title slide (a run passes the audit's report date)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    install_assets(Path(assets_dir))
    rel = Path(os.path.relpath(Path(assets_dir).resolve(), out_path.parent.resolve())).as_posix()
    nb = slides_notebook(
        notebooks,
        title=title,
        subtitle=subtitle,
        lang=lang,
        branding=branding,
        today=today,
        results=results,
        currency=currency,
    )

    resources = {
        "clientbook": {
            "assets": rel,
            "title": title,
            "html_lang": HTML_LANG.get(lang, lang),
            "primary": branding.primary_color,
            "accent": branding.accent_color,
            "logo": data_uri(branding.logo_file()),
            "footer": " · ".join(x for x in (branding.client, subtitle) if x),
        }
    }
    body, _ = _exporter(threading.get_ident()).from_notebook_node(nb, resources=resources)
    out_path.write_text(body, encoding="utf-8")
    return out_path
