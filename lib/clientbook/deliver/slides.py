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
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
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
        cb = next((v["clientbook"] for v in meta.values()
                   if isinstance(v, dict) and "clientbook" in v), None)
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
                items.append(KeyItem(
                    kind=cb["kind"], headline=str(cb.get("headline", "")),
                    notes=str(cb.get("notes", "") or ""), output=dict(out),
                    narrative=pending, columns=[str(c) for c in cb.get("columns", [])],
                    rows=[list(r) for r in cb.get("rows", [])],
                ))
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


def slides_notebook(notebooks: list[NotebookNode], *, title: str, subtitle: str, lang: str,
                    branding: Branding, today: date | None = None) -> NotebookNode:
    """One notebook whose cells are exactly the slides: title, then per step a section slide
    and one slide per key chart/table (headline + output + speaker notes)."""
    today = today or date.today()
    cells = []
    meta = "".join(f"<div>{_esc(x)}</div>" for x in title_lines(branding, subtitle, lang, today))
    cells.append(_html_cell(
        f'<div class="cb-title"><h1>{_esc(title)}</h1>'
        f'<p class="cb-subtitle">{_esc(subtitle)}</p><div class="cb-meta">{meta}</div></div>'
    ))
    for nb in notebooks:
        section = key_content(nb)
        if not section.items:
            continue  # a step without charts or tables (e.g. its table is missing)
        if section.heading:
            head = _esc(section.heading)
            cells.append(_html_cell(f'<div class="cb-section"><h1>{head}</h1></div>'))
        for item in section.items:
            cells.append(_html_cell(f'<h2 class="cb-headline">{_esc(item.headline)}</h2>'))
            out = nbformat.from_dict(item.output)
            out.pop("execution_count", None)
            out["output_type"] = "display_data"
            code = nbformat.v4.new_code_cell("", outputs=[out])
            code.metadata["slideshow"] = {"slide_type": "-"}
            cells.append(code)
            notes = item.speaker_notes()
            if notes:
                md = nbformat.v4.new_markdown_cell(notes)
                md.metadata["slideshow"] = {"slide_type": "notes"}
                cells.append(md)
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
    c.SlidesExporter.reveal_width = "1280"
    c.SlidesExporter.reveal_height = "760"
    exporter = SlidesExporter(config=c, template_name=TEMPLATE_NAME,
                              extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = True  # all code hidden: clients read the narrative, not Python
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def render_slides(notebooks: list[NotebookNode], out_path: Path, *, title: str, subtitle: str,
                  lang: str, branding: Branding, assets_dir: Path,
                  today: date | None = None) -> Path:
    """Write slides.html for one slice; reveal.js/require.js go to the shared `assets_dir`.
    `today` is the date on the title slide (a run passes the audit's report date)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    install_assets(Path(assets_dir))
    rel = Path(os.path.relpath(Path(assets_dir).resolve(), out_path.parent.resolve())).as_posix()
    nb = slides_notebook(notebooks, title=title, subtitle=subtitle, lang=lang, branding=branding,
                         today=today)

    resources = {"clientbook": {
        "assets": rel,
        "title": title,
        "html_lang": HTML_LANG.get(lang, lang),
        "primary": branding.primary_color,
        "accent": branding.accent_color,
        "logo": data_uri(branding.logo_file()),
        "footer": " · ".join(x for x in (branding.client, subtitle) if x),
    }}
    body, _ = _exporter(threading.get_ident()).from_notebook_node(nb, resources=resources)
    out_path.write_text(body, encoding="utf-8")
    return out_path
