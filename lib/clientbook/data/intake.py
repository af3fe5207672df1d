"""Reading a client's raw export into canonical tables.

CSV (UTF-8, UTF-8 with BOM, GBK/GB18030; delimiter sniffed, or whitespace; decimal comma;
title rows skipped; no header row), XLSX (sheet by name) and Parquet. Files are opened
read-only and never written. Every value that cannot be read is reported with file, column,
row numbers and samples, all at once. Dates are never guessed: the day/month order comes from
the audit file or from the values (a first field > 12 means day-first); a column whose order
cannot be decided, or that mixes formats, is an error naming the key to set. A file that is
not a text table (an image, an archive, binary data) is named as such.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
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


# File signatures of things that are not text tables (first bytes of the file).
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an XLSX workbook?)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"PAR1", "a Parquet file"),
    (b"BM", ""),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file; save it as .xlsx or CSV"),
)


class NotATable(ValueError):
    """The file is not a table clientbook can read (an image, an archive, binary data)."""


def file_format(path: Path, source_format: str = "auto") -> str:
    if source_format != "auto":
        return source_format
    return {".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet"}.get(
        path.suffix.lower(), "csv"
    )


def check_is_table(path: Path, fmt: str) -> None:
    """Raise NotATable when the file's first bytes say it is not a `fmt` table."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if fmt == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            what = _magic(head)
            if what:
                raise NotATable(f"this is not an XLSX workbook or a text table: the file is {what}")
            raise NotATable("this is not an XLSX workbook (if it is a text table, set format: csv)")
        return
    if fmt == "parquet":
        if not head.startswith(b"PAR1"):
            what = _magic(head)
            raise NotATable(
                "this is not a Parquet file" + (f": the file is {what}" if what else "")
            )
        return
    what = _magic(head)
    if what and what != "a Parquet file":
        raise NotATable(f"this is not a text table: the file is {what}")
    if what == "a Parquet file":
        raise NotATable(
            "this is not a text table: the file is a Parquet file "
            "(name it .parquet or set format: parquet)"
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotATable("this is not a text table: the file holds binary data")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if head and control / len(head) > 0.05:
        raise NotATable("this is not a text table: the file holds binary data")


def _magic(head: bytes) -> str:
    for sig, what in MAGIC:
        if what and head.startswith(sig):
            return what
    return ""


def rows_to_skip(source: Source) -> int:
    """Lines above the header (or above the data when header: none)."""
    return source.header - 1 if isinstance(source.header, int) else source.skip_rows


def _number_rows(df: pd.DataFrame, source: Source) -> pd.DataFrame:
    """Index = the row number a consultant sees in Excel / a text editor."""
    first = rows_to_skip(source) + (1 if source.header == "none" else 2)
    df.index = pd.RangeIndex(first, first + len(df))
    if source.header == "none":
        df.columns = [str(i + 1) for i in range(df.shape[1])]
    return df


def read_raw(path: Path, source: Source) -> pd.DataFrame:
    """The file as a table of strings with the client's own headers (nothing converted yet).

    The index holds each row's number in the original file (header = row 1 by default).
    """
    fmt = file_format(path, source.format)
    check_is_table(path, fmt)
    skip = rows_to_skip(source)
    header = None if source.header == "none" else 0
    if fmt == "parquet":
        return _number_rows(
            pd.read_parquet(path), source.model_copy(update={"skip_rows": 0, "header": None})
        )
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
        df = pd.read_excel(
            path, sheet_name=sheet, dtype=str, keep_default_na=False, skiprows=skip, header=header
        )
        return _number_rows(df, source)
    text, _ = decode(path.read_bytes(), source.encoding)
    sep = sniff_delimiter(text) if source.delimiter == "auto" else source.delimiter
    sep = "\t" if sep == "\\t" else sep
    kw: dict = {"sep": r"\s+"} if sep == "whitespace" else {"sep": sep, "skipinitialspace": True}
    df = pd.read_csv(
        io.StringIO(text),
        dtype=str,
        keep_default_na=False,
        skiprows=skip,
        header=header,
        skip_blank_lines=False,
        **kw,
    )
    df = _number_rows(df, source)
    blank = df.apply(lambda c: c.astype("string").str.strip().fillna("") == "").all(axis=1)
    return df[~blank]


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


# Date shapes: year first (2024-01-05, 2024/1/5 13:00, 2024年1月5日), compact (20240105),
# day and month first in an order to decide (05/01/2024, 5.1.24), anything else ("5 Jan 2024").
_YMD = r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?(?P<t>(?:[ T].*)?)$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_DMY = r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})(?P<t>(?:[ T].*)?)$"
SHAPE_NAMES = {
    "ymd": "year first (2024-01-05)",
    "compact": "compact (20240105)",
    "dmy": "day/month (05/01/2024)",
    "text": "other text",
}


@dataclass
class DateOrder:
    """How one date column's day/month order was decided (for the validate summary)."""

    column: str
    order: str  # day-first | month-first | year-first
    how: str  # "audit file" | "values: '25/11/2020' (row 7)" | ...


def _shapes(t: pd.Series) -> pd.Series:
    shape = pd.Series("text", index=t.index, dtype="string")
    shape = shape.mask(t.str.match(_DMY).fillna(False), "dmy")
    shape = shape.mask(t.str.match(_COMPACT).fillna(False), "compact")
    shape = shape.mask(t.str.match(_YMD).fillna(False), "ymd")
    return shape.where(t.notna())


def _iso(parts: pd.DataFrame, y: str, m: str, d: str) -> pd.Series:
    year = parts[y].astype("string")
    year = year.where(year.str.len() == 4, "20" + year)
    time = (
        parts["t"]
        .astype("string")
        .fillna("")
        .str.strip()
        .str.lstrip("T")
        .str.replace(r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)$", "", regex=True)  # local time kept
        if "t" in parts
        else ""
    )
    text = (
        year
        + "-"
        + parts[m].astype("string").str.zfill(2)
        + "-"
        + parts[d].astype("string").str.zfill(2)
    )
    if isinstance(time, pd.Series):
        text = text.where(time == "", text + " " + time)
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def _to_date(
    s: pd.Series,
    source: Source,
    file: str = "",
    header: str = "",
    problems: list[Problem] | None = None,
    orders: list[DateOrder] | None = None,
) -> pd.Series:
    """Dates of one column, read once per distinct value (exports repeat dates a lot)."""
    problems = [] if problems is None else problems
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    t = s.astype("string").str.strip()
    t = t.where(t != "")
    if source.date_format:
        return pd.to_datetime(t, format=source.date_format, errors="coerce").astype(
            "datetime64[ns]"
        )
    codes, uniques = pd.factorize(t)
    first_rows = pd.Series(s.index).groupby(codes).first()
    first_rows = first_rows[first_rows.index >= 0]
    distinct = pd.Series(uniques, index=first_rows.to_numpy(), dtype="string")
    before = len(problems)
    parsed = _dates_of_values(distinct, source, file, header, problems, orders)
    for p in problems[before:]:  # a problem's rows: every row holding one of its values
        if p.rows:
            hit = s.index[t.isin(distinct.loc[p.rows]).fillna(False)].tolist()
            p.rows, p.count = hit, len(hit)
    values = parsed.to_numpy()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    known = codes >= 0
    out[known] = values[codes[known]]
    return out


def _dates_of_values(
    t: pd.Series,
    source: Source,
    file: str,
    header: str,
    problems: list[Problem],
    orders: list[DateOrder] | None,
) -> pd.Series:
    """`_to_date` on distinct values; the index holds each value's first row number."""
    s = t
    shape = _shapes(t)
    ymd, dmy = t.str.extract(_YMD), t.str.extract(_DMY)
    day_first, month_first = _iso(dmy, "y", "b", "a"), _iso(dmy, "y", "a", "b")
    parsed = {
        "ymd": _iso(ymd, "y", "m", "d"),
        "compact": _iso(t.str.extract(_COMPACT), "y", "m", "d"),
        "dmy": day_first.fillna(month_first),
        "text": pd.to_datetime(
            t.where(shape == "text"),
            format="mixed",
            dayfirst=bool(source.dayfirst),
            errors="coerce",
        ),
    }
    valid = {k: ((shape == k) & parsed[k].notna()).fillna(False) for k in parsed}
    present = [k for k in parsed if valid[k].any()]
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if len(present) > 1:
        parts = []
        for k in present:
            rows = s.index[valid[k]].tolist()
            parts.append(
                f"{SHAPE_NAMES[k]}: {len(rows)} distinct value(s), e.g. row {rows[0]} "
                f"{t[rows[0]]!r}"
            )
        problems.append(
            Problem(
                file,
                "mixes date formats (" + "; ".join(parts) + "); fix the export so the "
                "column has one format, or set date_format (other rows are then listed)",
                column=header,
            )
        )
        return out
    kind = present[0] if present else "ymd"
    if kind != "dmy":
        if orders is not None and present:
            orders.append(
                DateOrder(header, "year-first" if kind != "text" else "written out", "the values")
            )
        return parsed[kind].where(shape == kind).astype("datetime64[ns]")
    a = pd.to_numeric(dmy["a"], errors="coerce").where(valid["dmy"])
    b = pd.to_numeric(dmy["b"], errors="coerce").where(valid["dmy"])
    dayfirst = source.dayfirst
    where = "audit file (dayfirst)"
    if dayfirst is None:
        day_a, day_b = (a > 12).fillna(False), (b > 12).fillna(False)
        if day_a.any() and day_b.any():
            ra, rb = s.index[day_a][0], s.index[day_b][0]
            problems.append(
                Problem(
                    file,
                    f"dates in both orders: row {ra} {t[ra]!r} is day-first, row {rb} "
                    f"{t[rb]!r} is month-first; fix the export or set dayfirst / date_format",
                    column=header,
                )
            )
            return out
        if not day_a.any() and not day_b.any():
            rows = s.index[valid["dmy"]].tolist()
            problems.append(
                Problem(
                    file,
                    "cannot tell day from month: no value has a field above 12; set "
                    "dayfirst: true (31/12) or dayfirst: false (12/31) for this source",
                    column=header,
                    rows=rows,
                    count=len(rows),
                    samples=[str(v) for v in t[valid["dmy"]].unique()[:5]],
                )
            )
            return out
        dayfirst = bool(day_a.any())
        first = s.index[day_a if dayfirst else day_b][0]
        where = f"the values: {t[first]!r} (row {first})"
    if orders is not None:
        orders.append(DateOrder(header, "day-first" if dayfirst else "month-first", where))
    return (day_first if dayfirst else month_first).where(shape == "dmy").astype("datetime64[ns]")


def _to_str(s: pd.Series) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.where(t != "")


def to_canonical(
    raw: pd.DataFrame,
    table: str,
    source: Source,
    file: str,
    orders: list[DateOrder] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Map the client's headers onto the canonical columns and convert types.

    Returns the table (with a `_row` column of original row numbers) and every problem found.
    `orders` collects how each day/month date column was read.
    """
    problems: list[Problem] = []
    headers = {str(h).strip(): h for h in raw.columns}
    lower = {k.lower(): v for k, v in headers.items()}
    names = {c.name for c in SCHEMAS[table]}
    derived = set(source.derive)
    for canonical, header in source.columns.items():
        if canonical not in names:
            allowed = ", ".join(c.name for c in SCHEMAS[table])
            problems.append(
                Problem(
                    file,
                    f"mapping names unknown canonical column '{canonical}' "
                    f"(table {table} has: {allowed})",
                )
            )
        elif str(header).strip() not in headers:
            shown = (
                f"the file has {len(headers)} column(s)"
                if source.header == "none"
                else f"headers are: {', '.join(headers)}"
            )
            problems.append(
                Problem(
                    file,
                    f"mapped header '{header}' (for {canonical}) is not in the file; {shown}",
                    column=str(header),
                )
            )
    used: dict[object, str] = {}
    out: dict[str, pd.Series] = {}
    for col in SCHEMAS[table]:
        header = source.header_of(col.name)
        key = headers.get(header.strip()) if header else lower.get(col.name)
        if key is None:
            if col.required and not header and col.name not in derived:
                problems.append(
                    Problem(
                        file,
                        f"required column '{col.name}' is neither mapped under "
                        f"sources.{table}.columns nor present; headers are: "
                        f"{', '.join(headers)}",
                        column=col.name,
                    )
                )
            continue
        if key in used and not header:  # an unmapped same-name column already mapped elsewhere
            continue
        used[key] = col.name
        out[col.name] = _convert(
            raw[key], col, source, file, str(header or col.name), problems, orders
        )
    df = pd.DataFrame(out, index=raw.index)
    problems += _derive(df, table, source, file)
    df[ROW] = raw.index.to_numpy()
    return df.reset_index(drop=True), problems


def _derive(df: pd.DataFrame, table: str, source: Source, file: str) -> list[Problem]:
    """Columns the audit file declares as derived (sources.<table>.derive), in place."""
    problems: list[Problem] = []
    for name, recipe in source.derive.items():
        if name == "order_id":
            parts = list(recipe)
            missing = [c for c in parts if c not in df]
            if missing:
                problems.append(
                    Problem(
                        file,
                        f"derive.order_id: {', '.join(missing)} not in "
                        f"{table} (map it under columns)",
                    )
                )
                continue
            text = [
                df[c].dt.strftime("%Y-%m-%d")
                if pd.api.types.is_datetime64_any_dtype(df[c])
                else df[c].astype("string")
                for c in parts
            ]
            joined = text[0]
            for t in text[1:]:
                joined = joined + "|" + t
            df["order_id"] = joined
        elif name == "amount":
            if "quantity" not in df or "unit_price" not in df:
                problems.append(
                    Problem(
                        file,
                        "derive.amount: needs quantity and unit_price "
                        "mapped under columns (amount = quantity * unit_price)",
                    )
                )
                continue
            df["amount"] = df["quantity"] * df["unit_price"]
        elif name == "cost":
            if "profit" not in df or "amount" not in df:
                problems.append(
                    Problem(
                        file,
                        "derive.cost: needs amount and profit mapped "
                        "under columns (cost = amount - profit)",
                    )
                )
                continue
            df["cost"] = df["amount"] - df["profit"]
    return problems


def _convert(
    s: pd.Series,
    col: Column,
    source: Source,
    file: str,
    header: str,
    problems: list[Problem],
    orders: list[DateOrder] | None = None,
) -> pd.Series:
    if col.type == "str":
        if pd.api.types.is_float_dtype(s):  # Parquet/XLSX IDs stored as numbers: 12.0 -> "12"
            s = s.astype("Int64")
        return _to_str(s)
    if col.type == "float":
        converted = _to_float(s, source)
    else:
        before = len(problems)
        converted = _to_date(s, source, file, header, problems, orders)
        if len(problems) > before:  # the column as a whole was the problem: said once
            return converted
    bad = converted.isna() & ~_blank(s)
    if bad.any():
        rows = s.index[bad].tolist()
        kind = "numbers" if col.type == "float" else "dates"
        hint = ""
        if col.type == "float" and source.decimal == ".":
            hint = " (decimal comma? set decimal: ',')"
        elif col.type == "date":
            hint = (
                " (day-first? set dayfirst: true, or date_format)"
                if not source.dayfirst
                else " (month-first? set dayfirst: false, or date_format)"
            )
        problems.append(
            Problem(
                file,
                f"values that are not {kind}{hint}",
                column=header,
                rows=rows,
                count=len(rows),
                samples=[str(v) for v in s[bad].unique()[:5]],
            )
        )
    return converted


def load_source(table: str, source: Source, path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one source file into its canonical table; never raises for bad values.

    `df.attrs["date_orders"]` lists how each day/month date column was read.
    """
    file = str(path)
    if path.is_dir():
        return pd.DataFrame(), [Problem(file, f"is a folder, not a file (sources.{table}.path)")]
    if not path.exists():
        return pd.DataFrame(), [Problem(file, f"file not found (sources.{table}.path)")]
    try:
        raw = read_raw(path, source)
    except DataError as e:
        return pd.DataFrame(), e.problems
    except NotATable as e:
        return pd.DataFrame(), [Problem(file, str(e))]
    except (UnicodeDecodeError, LookupError) as e:
        why = getattr(e, "reason", str(e))
        return pd.DataFrame(), [
            Problem(
                file,
                "this is not a text table in a known encoding "
                f"(set sources.{table}.encoding): {why}",
            )
        ]
    except (ValueError, OSError, ImportError) as e:
        fmt = file_format(path, source.format)
        return pd.DataFrame(), [Problem(file, f"cannot be read as {fmt}: {e}")]
    raw, problems = _where(raw, source, file)
    orders: list[DateOrder] = []
    df, found = to_canonical(raw, table, source, file, orders)
    df.attrs["date_orders"] = [asdict(o) for o in orders]
    df.attrs["left_out"] = int(raw.attrs.get("left_out", 0))
    return df, problems + found


def _where(raw: pd.DataFrame, source: Source, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Only the rows the audit file keeps (sources.<table>.where); the rest counted."""
    if not source.where:
        return raw, []
    headers = {str(h).strip(): h for h in raw.columns}
    keep = pd.Series(True, index=raw.index)
    for header, values in source.where.items():
        if header.strip() not in headers:
            return raw, [
                Problem(
                    file,
                    f"where: header '{header}' is not in the file; headers "
                    f"are: {', '.join(headers)}",
                    column=header,
                )
            ]
        col = raw[headers[header.strip()]].astype("string").str.strip()
        keep &= col.isin([str(v).strip() for v in values]).fillna(False)
    out = raw[keep]
    out.attrs["left_out"] = int((~keep).sum())
    return out, []
