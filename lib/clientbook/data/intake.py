"""Reading a client's raw export into canonical tables.

CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; delimiter sniffed; decimal comma; day-first dates),
XLSX (sheet by name) and Parquet. Files are opened read-only and never written. Every value
that cannot be read is reported with file, column, row numbers and samples, all at once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clientbook.config.audit_file import Source
from clientbook.data.contract import SCHEMAS, Column

ROW = "_row"  # the row number as the consultant sees it in Excel (header = row 1)
MAX_ROWS_SHOWN = 10


@dataclass
class Problem:
    """One thing wrong with the data, with where to find it."""

    file: str
    message: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    count: int = 0
    samples: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        text = f"{where}: {self.message}"
        if self.count:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = f" and {self.count - MAX_ROWS_SHOWN} more" if self.count > MAX_ROWS_SHOWN else ""
            text += f" ({self.count} row(s): {shown}{more})"
        if self.samples:
            text += f"; e.g. {', '.join(repr(s) for s in self.samples[:5])}"
        return text


class DataError(ValueError):
    """The data cannot be used as it is; the message lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} problem(s) in the client's data:"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    if encoding != "auto":
        return raw.decode(encoding), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise
        return str(best), best.encoding


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # One column, or nothing to go on: count candidates on the header line.
        header = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=header.count) if header else ","


def read_raw(path: Path, source: Source) -> pd.DataFrame:
    """The file as a table of strings with the client's own headers (nothing converted yet)."""
    fmt = source.format
    if fmt == "auto":
        fmt = {".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet"}.get(
            path.suffix.lower(), "csv"
        )
    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        names = wb.sheetnames
        wb.close()
        sheet = source.sheet if source.sheet is not None else 0
        if isinstance(sheet, str) and sheet not in names:
            raise DataError(
                [Problem(str(path), f"no sheet named {sheet!r}; sheets are {', '.join(names)}")]
            )
        return pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False)
    text, _ = decode(path.read_bytes(), source.encoding)
    sep = sniff_delimiter(text) if source.delimiter == "auto" else source.delimiter
    sep = "\t" if sep == "\\t" else sep
    return pd.read_csv(
        io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
    )


def _blank(s: pd.Series) -> pd.Series:
    if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
        return s.isna()  # typed (Parquet) numbers and dates: no text to be blank
    return s.isna() | (s.astype("string").str.strip() == "")


def _to_float(s: pd.Series, source: Source) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    t = s.astype("string").str.strip().str.replace("\u00a0", "", regex=False)
    t = t.str.replace(" ", "", regex=False)
    if source.thousands:
        t = t.str.replace(source.thousands, "", regex=False)
    if source.decimal == ",":
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    t = t.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # accounting negatives: (12.50)
    return pd.to_numeric(t.where(t != ""), errors="coerce").astype("float64")


def _to_date(s: pd.Series, source: Source) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    t = s.astype("string").str.strip()
    t = t.where(t != "")
    if source.date_format:
        out = pd.to_datetime(t, format=source.date_format, errors="coerce")
    else:
        out = pd.to_datetime(t, format="mixed", dayfirst=source.dayfirst, errors="coerce")
    return out.astype("datetime64[ns]")


def _to_str(s: pd.Series) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.where(t != "")


def to_canonical(
    raw: pd.DataFrame, table: str, source: Source, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Map the client's headers onto the canonical columns and convert types.

    Returns the table (with a `_row` column of original row numbers) and every problem found.
    """
    problems: list[Problem] = []
    headers = {str(h).strip(): h for h in raw.columns}
    lower = {k.lower(): v for k, v in headers.items()}
    out: dict[str, pd.Series] = {}
    for canonical, header in source.columns.items():
        if canonical not in {c.name for c in SCHEMAS[table]}:
            allowed = ", ".join(c.name for c in SCHEMAS[table])
            problems.append(
                Problem(file, f"mapping names unknown canonical column '{canonical}' "
                        f"(table {table} has: {allowed})")
            )
        elif header.strip() not in headers:
            problems.append(
                Problem(file, f"mapped header '{header}' (for {canonical}) is not in the file; "
                        f"headers are: {', '.join(headers)}", column=header)
            )
    for col in SCHEMAS[table]:
        header = source.columns.get(col.name)
        key = headers.get(header.strip()) if header else lower.get(col.name)
        if key is None:
            if col.required and not header:
                problems.append(
                    Problem(file, f"required column '{col.name}' is neither mapped under "
                            f"sources.{table}.columns nor present; headers are: "
                            f"{', '.join(headers)}", column=col.name)
                )
            continue
        out[col.name] = _convert(raw[key], col, source, file, str(header or col.name), problems)
    df = pd.DataFrame(out, index=raw.index)
    df[ROW] = raw.index.to_numpy() + 2
    return df.reset_index(drop=True), problems


def _convert(
    s: pd.Series, col: Column, source: Source, file: str, header: str, problems: list[Problem]
) -> pd.Series:
    if col.type == "str":
        if pd.api.types.is_float_dtype(s):  # Parquet/XLSX IDs stored as numbers: 12.0 -> "12"
            s = s.astype("Int64")
        return _to_str(s)
    converted = _to_float(s, source) if col.type == "float" else _to_date(s, source)
    bad = converted.isna() & ~_blank(s)
    if bad.any():
        rows = (s.index[bad].to_numpy() + 2).tolist()
        kind = "numbers" if col.type == "float" else "dates"
        hint = ""
        if col.type == "float" and source.decimal == ".":
            hint = " (decimal comma? set decimal: ',')"
        elif col.type == "date":
            hint = " (day-first? set dayfirst: true, or date_format)"
        problems.append(
            Problem(file, f"values that are not {kind}{hint}", column=header, rows=rows,
                    count=len(rows), samples=[str(v) for v in s[bad].unique()[:5]])
        )
    return converted


def load_source(table: str, source: Source, path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one source file into its canonical table; never raises for bad values."""
    file = str(path)
    if not path.exists():
        return pd.DataFrame(), [Problem(file, f"file not found (sources.{table}.path)")]
    try:
        raw = read_raw(path, source)
    except DataError as e:
        return pd.DataFrame(), e.problems
    except (UnicodeDecodeError, ValueError, OSError) as e:
        return pd.DataFrame(), [Problem(file, f"cannot be read as {source.format}: {e}")]
    return to_canonical(raw, table, source, file)
