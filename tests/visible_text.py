"""The text a reader sees in every deliverable of a run (for tests that scan outputs)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

BAD = re.compile(r"\b(nan|NaN|None|NaT|inf|-inf|Infinity)\b")


def html_text(markup: str) -> str:
    """Visible text of an HTML page: no style, script or tags; entities decoded."""
    s = re.sub(r"<(style|script)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    s = re.sub(r"<!--.*?-->", " ", s, flags=re.S)
    s = re.sub(r"<[^>]+>", " ", s)
    return html.unescape(s)


def pptx_text(path: Path) -> str:
    from pptx import Presentation

    out = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                out += [c.text for row in shape.table.rows for c in row.cells]
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(out)


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return "\n".join(
        str(v)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    )


def deliverables(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, visible text) of every deliverable under a run's output folder."""
    for path in sorted(root.rglob("*")):
        if path.name in ("report.html", "index.html", "slides.html"):
            yield path, html_text(path.read_text(encoding="utf-8"))
        elif path.suffix == ".pptx":
            yield path, pptx_text(path)
        elif path.suffix == ".xlsx":
            yield path, xlsx_text(path)


def bad_words(root: Path) -> list[str]:
    """Each nan / None / NaT / inf a reader would see, with its file and context."""
    found = []
    for path, text in deliverables(root):
        for m in BAD.finditer(text):
            ctx = text[max(0, m.start() - 60) : m.end() + 30].replace("\n", " ")
            found.append(f"{path.relative_to(root)}: ...{ctx}...")
    return found
