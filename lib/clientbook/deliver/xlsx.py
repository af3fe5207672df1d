"""The slice's action lists as one Excel workbook (`actions.xlsx`), one sheet per list.

Text that starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is written as text (`as_text`).

Several steps write into the same workbook (retention writes the win-back list, the action
plan adds its own sheets later), so writing replaces only the sheets it is given and keeps
the others. The file is written to a temporary file and moved into place, so a failed run
never leaves a half-written workbook behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_WIDTH = 60
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A valid Excel sheet name: no []:*?/\\ and at most 31 characters."""
    clean = _BAD.sub("-", str(name)).strip("'") or "Sheet"
    return clean[:31]


def _cell(v):
    """Plain Python values openpyxl can write (no NA, numpy scalars or tz-aware stamps)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.tz_localize(None).to_pydatetime() if v.tzinfo else v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


# A cell text starting with one of these is read as a formula by Excel or LibreOffice, here
# or after a round trip through CSV (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: Cell) -> Cell:
    """Keep a text cell text: one that starts like a formula is stored as a string with
    Excel's quote prefix (shown without the quote, never evaluated, also after editing).
    Numbers, negative ones included, stay numbers."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _width(text: object) -> float:
    # CJK characters take about two columns in Excel.
    s = "" if text is None else str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _write_sheet(wb: Workbook, name: str, df: pd.DataFrame) -> None:
    ws = wb.create_sheet(name)
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    headers = [str(c) for c in frame.columns]
    ws.append(headers)
    for row in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for line in ws.iter_rows():
        for c in line:
            as_text(c)
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"
    for i, col in enumerate(frame.columns, start=1):
        sample = frame[col].head(200).tolist()
        width = max([_width(headers[i - 1])] + [_width(_cell(v)) for v in sample])
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(8, width + 2))
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            for c in ws[get_column_letter(i)][1:]:
                c.number_format = "yyyy-mm-dd"
    if len(frame.columns):
        ws.auto_filter.ref = ws.dimensions


def write_action_lists(path: str | Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write each DataFrame to its own sheet of the workbook at `path` and return the path.

    Sheets of the same name already in the file are replaced; other sheets are kept, a replaced
    sheet keeps its place, new sheets are appended. The workbook is written atomically.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = {sheet_name(k): v for k, v in sheets.items()}
    if path.exists():
        wb = load_workbook(path)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    for name, df in names.items():
        at = wb.sheetnames.index(name) if name in wb.sheetnames else None
        if at is not None:
            del wb[name]
        _write_sheet(wb, name, df)
        if at is not None:  # a replaced sheet keeps its place in the workbook
            wb.move_sheet(name, offset=at - wb.sheetnames.index(name))
    if not wb.sheetnames:  # an empty call on a new file still yields a valid workbook
        wb.create_sheet("Sheet")
    fd, tmp = tempfile.mkstemp(prefix=".actions-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a deliverable is not
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
