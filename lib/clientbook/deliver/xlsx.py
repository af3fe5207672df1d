"""The slice's action lists as one Excel workbook (`actions.xlsx`), one sheet per list.

Text that starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is written as text (`as_text`).

Several steps write into the same workbook (retention writes the win-back list, the action
plan adds its own sheets later), so writing replaces only the sheets it is given and keeps
the others. The file is written to a temporary file and moved into place, so a failed run
never leaves a half-written workbook behind.

A working file for the sales team: every customer list (a sheet with a customer-ID column) gets
owner / status / due-date / note columns to fill in (status from a drop-down), numbers carry
Excel formats by unit (money in the audit's currency, risks and shares as %, dates as dates,
counts with separators), and a summary sheet up front lists every list with its size and its
value. No cell holds a formula (not even one of ours): every cell the product writes is a
value, so a reader can trust that opening the file runs nothing.
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
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from clientbook.present import i18n

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


def _write_sheet(
    wb: Workbook,
    name: str,
    df: pd.DataFrame,
    units: dict[str, str] | None = None,
    currency: str | None = None,
) -> None:
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
    apply_number_formats(ws, headers, column_units(frame, units), currency)
    _work_validation(ws, headers)


def write_action_lists(
    path: str | Path,
    sheets: dict[str, pd.DataFrame],
    *,
    units: dict[str, str] | None = None,
    currency: str | None = None,
    summary: bool = True,
) -> Path:
    """Write each DataFrame to its own sheet of the workbook at `path` and return the path.

    Sheets of the same name already in the file are replaced; other sheets are kept, a replaced
    sheet keeps its place, new sheets are appended. The workbook is written atomically.
    Customer lists get the working columns (`with_work_columns`); `units` ({header: unit},
    units of `present.numbers`) adds to the units known from the catalogue's column names;
    `currency` defaults to the run's (set by `playbook.start`). With `summary`, the summary
    sheet is rebuilt first in the workbook.
    """
    if currency is None:
        from clientbook.present import style

        currency = style.current_currency()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = {sheet_name(k): with_work_columns(readable_values(v)) for k, v in sheets.items()}
    if path.exists():
        wb = load_workbook(path)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    for name, df in names.items():
        at = wb.sheetnames.index(name) if name in wb.sheetnames else None
        if at is not None:
            del wb[name]
        _write_sheet(wb, name, df, units, currency)
        if at is not None:  # a replaced sheet keeps its place in the workbook
            wb.move_sheet(name, offset=at - wb.sheetnames.index(name))
    if summary and names:
        write_summary(wb)
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


# ---- a working file: units, working columns, summary ------------------------------------

# Catalogue keys of list columns with a known unit (headers are translated, so the unit is found
# through the header text in either language).
UNIT_KEYS = {
    "churn.column.value": "money",
    "churn.column.risk": "rate",
    "churn.column.days_since_last": "count",
    "churn.column.usual_interval": "count",
    "churn.column.last_purchase": "date",
    "strategy.col.value": "money",
    "strategy.col.churn_risk": "rate",
    "strategy.col.recency_days": "count",
    "strategy.col.orders": "count",
    "strategy.col.value_at_stake": "money",
    "strategy.col.expected_impact": "money",
    "strategy.col.value_share": "rate",
    "accounts.column.value": "money",
    "accounts.column.clv": "money",
    "accounts.column.p_alive": "rate",
    "accounts.column.churn_risk": "rate",
    "accounts.column.orders": "count",
    "accounts.column.last_order": "date",
    "accounts.column.open_tickets": "count",
    "accounts.column.csat": "rate",
    "xlsx.column.due": "date",
    "accounts.column.first_order": "date",
}
# Headers that make a sheet a customer list (it gets the working columns).
ID_KEYS = ("churn.column.customer", "strategy.col.customer_id", "accounts.column.customer")
WORK_COLUMNS = ("owner", "status", "due", "note")
STATUSES = ("open", "in_progress", "done", "no_answer")


def _texts(key: str) -> set[str]:
    return {i18n.t(key, lang) for lang in i18n.LANGS}


def _currency_format(currency: str | None, decimals: int = 0) -> str:
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    if not currency:
        return body
    from clientbook.present.numbers import _SYMBOL

    code = currency.upper()
    sym = _SYMBOL.get(code)
    return f'"{sym}"{body}' if sym else f'"{code} "{body}'


def excel_format(unit: str, currency: str | None = None) -> str | None:
    """The Excel number format of a unit of `present.numbers` (None: leave General)."""
    return {
        "money": _currency_format(currency),
        "rate": "0.0%",
        "count": "#,##0",
        "ratio": "#,##0.00",
        "score": "0",
        "days": "#,##0.0",
        "hours": "#,##0.0",
        "minutes": "#,##0",
        "date": "yyyy-mm-dd",
    }.get(unit)


def column_units(frame: pd.DataFrame, units: dict[str, str] | None = None) -> dict[str, str]:
    """{header: unit} for a sheet: `units` first, then the catalogue's known columns, then the
    column's type (dates, integers as counts)."""
    known = {text: unit for key, unit in UNIT_KEYS.items() for text in _texts(key)}
    out: dict[str, str] = {}
    for c in frame.columns:
        h = str(c)
        if units and h in units:
            out[h] = units[h]
        elif h in known:
            out[h] = known[h]
        elif pd.api.types.is_datetime64_any_dtype(frame[c]):
            out[h] = "date"
        elif pd.api.types.is_integer_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            out[h] = "count"
    return out


def apply_number_formats(
    ws, headers: list[str], units: dict[str, str], currency: str | None
) -> None:
    for i, h in enumerate(headers, start=1):
        fmt = excel_format(units.get(h, ""), currency)
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.number_format = fmt
        if units.get(h) == "date":  # a date needs no more than 12 columns
            ws.column_dimensions[get_column_letter(i)].width = max(
                12, ws.column_dimensions[get_column_letter(i)].width or 0
            )


def is_customer_list(columns: list[str]) -> bool:
    ids = set().union(*(_texts(k) for k in ID_KEYS))
    return any(str(c) in ids for c in columns)


def readable_values(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells equal to the dataset's `Unknown` default in the reader's language."""
    unknown = i18n.value_label("common", "Unknown")
    if unknown == "Unknown":
        return df
    cols = [c for c in df.columns if pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].mask(out[c].astype(object) == "Unknown", unknown)
    return out


def with_work_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A customer list with owner / status / due date / note columns to work it (headers in
    the run's language); status starts as "open". Columns the list already has are kept."""
    if not is_customer_list(list(df.columns)):
        return df
    out = df.copy()
    for c in WORK_COLUMNS:
        h = i18n.t(f"xlsx.column.{c}")
        if h not in out.columns:
            out[h] = i18n.t("xlsx.status.open") if c == "status" else None
    due = i18n.t("xlsx.column.due")
    out[due] = pd.to_datetime(out[due])
    return out


def _work_validation(ws, headers: list[str]) -> None:
    """The status column takes one of the catalogue's statuses (a drop-down)."""
    status = i18n.t("xlsx.column.status")
    if status not in headers or ws.max_row < 2:
        return
    col = get_column_letter(headers.index(status) + 1)
    choices = ",".join(i18n.t(f"xlsx.status.{s}") for s in STATUSES)
    dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    dv.add(f"{col}2:{col}{max(ws.max_row, 2)}")
    ws.add_data_validation(dv)
    due = i18n.t("xlsx.column.due")
    if due in headers:
        ws.column_dimensions[get_column_letter(headers.index(due) + 1)].width = 12


def write_summary(wb: Workbook) -> None:
    """The first sheet: one row per list (customers, value), then how to work it.

    Rebuilt from the workbook's sheets on every write, so lists written by several steps all
    appear. Progress is read by filtering a list's status column: no formulas in the file.
    """
    name = sheet_name(i18n.t("xlsx.summary.sheet"))
    if name in wb.sheetnames:
        del wb[name]
    ws = wb.create_sheet(name, 0)
    ws.append([i18n.t("xlsx.summary.title")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    headers = [i18n.t(f"xlsx.summary.{c}") for c in ("list", "customers", "value")]
    ws.append(headers)
    for cell in ws[3]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for other in wb.worksheets[1:]:
        head = [c.value for c in other[1]]
        rows = max(other.max_row - 1, 0)
        money_headers = set().union(*(_texts(k) for k, u in UNIT_KEYS.items() if u == "money"))
        value_col = next((i for i, h in enumerate(head, start=1) if h in money_headers), None)
        total = (
            sum(
                float(other.cell(row=r, column=value_col).value or 0)
                for r in range(2, other.max_row + 1)
            )
            if value_col
            else None
        )
        sheet_ref = quote_sheetname(other.title)
        ws.append([other.title, rows, None if total is None else round(total, 2)])
        r = ws.max_row
        ws.cell(row=r, column=1).hyperlink = f"#{sheet_ref}!A1"
        ws.cell(row=r, column=1).font = Font(color="1F4E79", underline="single")
        ws.cell(row=r, column=2).number_format = "#,##0"
        if value_col:
            ws.cell(row=r, column=3).number_format = other.cell(
                row=2, column=value_col
            ).number_format
    ws.append([])
    for key in ("how", "status", "privacy"):
        ws.append([i18n.t(f"xlsx.summary.{key}")])
        ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
    ws.column_dimensions["A"].width = 34
    for col in "BC":
        ws.column_dimensions[col].width = 16
