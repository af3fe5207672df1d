"""Looking at an unknown export file: how to read it, with how sure each guess is.

`sniff(path)` returns one `Sniffed` per table in the file (one per XLSX sheet): encoding,
delimiter (incl. whitespace), header row and title rows above it, decimal mark, thousands
separator and, per date column, the day/month order. Nothing here decides silently: every
guess carries a `Sure` level and the evidence, which `clientbook init` writes into the audit
file as comments. The reading itself is `intake.read_raw`, so what init sniffs is what
validate and run read.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clientbook.config.audit_file import Source
from clientbook.data import intake

SAMPLE_LINES = 200
CANDIDATES = ",;\t|"
Sure = str  # "sure" | "likely" | "guess" | "unknown"


@dataclass
class Guess:
    value: Any
    sure: Sure
    why: str


@dataclass
class Sniffed:
    """How to read one table of a file, and the first rows read that way."""

    path: Path
    format: str  # csv | xlsx | parquet
    sheet: str | None = None
    options: dict[str, Guess] = field(default_factory=dict)  # Source keys -> guesses
    headers: list[str] = field(default_factory=list)
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)  # strings, client headers
    problem: str | None = None  # why the file cannot be read at all

    def settings(self) -> dict[str, Any]:
        """The Source keys to write (defaults left out)."""
        return {k: g.value for k, g in self.options.items() if g.value is not None}

    def source(self) -> Source:
        """A Source to read the sample with (not validated: columns are not mapped yet)."""
        fields = {**self.settings(), "path": self.path, "format": self.format, "sheet": self.sheet}
        return Source.model_construct(**fields)


# ---------------------------------------------------------------------------------------------
# Text files


def sniff_delimiter(lines: list[str]) -> Guess:
    """The field separator: the candidate that splits most lines into the same number (> 1)
    of fields (ties: more fields); whitespace when columns are aligned with runs of spaces."""
    body = [ln for ln in lines if ln.strip()][:100]
    if not body:
        return Guess(",", "guess", "empty file")
    scores = []
    for d in [*CANDIDATES, "whitespace"]:
        counts = pd.Series([len(r) for r in _split(body, d)])
        width = int(counts.mode().iloc[0])
        if width > 1:
            scores.append(((counts == width).mean(), width, d))
    if not scores:
        return Guess(",", "guess", "one column: no separator found")
    share, width, d = max(scores, key=lambda x: (round(x[0], 2), x[1], x[2] != "whitespace"))
    name = "spaces" if d == "whitespace" else repr(d)
    rivals = [x for x in scores if x[2] != d and round(x[0], 2) == round(share, 2)]
    sure = "sure" if share >= 0.95 and not rivals else ("likely" if share >= 0.8 else "guess")
    return Guess(d, sure, f"{share:.0%} of lines have {width} fields split by {name}")


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    if delimiter == "whitespace":
        return [ln.split() for ln in lines]
    return [row for row in csv.reader(lines, delimiter=delimiter)]


_NUMBERISH = re.compile(r"^[-+(]?[\d.,\s\u00a0]+%?\)?$")
_DATEISH = re.compile(r"^\d{1,4}[-/.年]\d{1,2}[-/.月]\d{1,4}")


def _looks_like_data(cell: str) -> bool:
    c = cell.strip()
    return bool(c) and bool(_NUMBERISH.match(c) or _DATEISH.match(c))


def sniff_header(rows: list[list[str]]) -> tuple[Guess, Guess]:
    """(skip_rows, header): title lines above the table, and whether there is a header."""
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    if not rows:
        return Guess(0, "guess", "empty"), Guess(None, "guess", "empty")
    width = pd.Series([len(r) for r in rows if r]).mode().iloc[0]
    first = next((i for i, r in enumerate(rows) if len(r) == width and widths[i] >= width * 0.6), 0)
    skip = Guess(
        first,
        "sure" if first == 0 else "likely",
        "the table starts on line 1"
        if first == 0
        else f"line(s) 1-{first} are titles above a {width}-column table",
    )
    top = rows[first] if first < len(rows) else []
    data_like = sum(_looks_like_data(c) for c in top)
    if top and data_like >= max(1, len(top) // 2):
        return skip, Guess(
            "none",
            "likely",
            f"line {first + 1} holds values "
            f"({', '.join(repr(c) for c in top[:3])}), not column names",
        )
    return skip, Guess(None, "sure", f"line {first + 1} holds the column names")


def _numbers(values: pd.Series) -> tuple[Guess, Guess]:
    """(decimal, thousands) from the numeric-looking values of every column."""
    v = values.dropna().astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    v = v[v.str.match(r"^[-+(]?\d[\d.,\s]*\)?$")]
    comma_dec = v.str.match(r"^[-+(]?\d{1,3}(\.\d{3})*,\d+\)?$") | v.str.match(
        r"^[-+(]?\d+,\d{1,2}\)?$"
    )
    point_dec = v.str.match(r"^[-+(]?\d{1,3}(,\d{3})*\.\d+\)?$") | v.str.match(
        r"^[-+(]?\d+\.\d+\)?$"
    )
    dot_thou = v.str.match(r"^[-+(]?\d{1,3}(\.\d{3})+(,\d+)?\)?$") & ~v.str.match(r"^\d+\.\d+$")
    comma_thou = v.str.match(r"^[-+(]?\d{1,3}(,\d{3})+(\.\d+)?\)?$")
    space_thou = v.str.match(r"^[-+(]?\d{1,3}( \d{3})+([.,]\d+)?\)?$")
    n_c, n_p = int(comma_dec.sum()), int(point_dec.sum())
    if n_c and not n_p:
        dec = Guess(
            ",", "sure" if n_c >= 3 else "likely", f"{n_c} value(s) like {v[comma_dec].iloc[0]!r}"
        )
    elif n_p and not n_c:
        dec = Guess(
            None, "sure" if n_p >= 3 else "likely", f"{n_p} value(s) like {v[point_dec].iloc[0]!r}"
        )
    elif n_c and n_p:
        pick = "," if n_c > n_p else None
        dec = Guess(
            pick,
            "guess",
            f"both seen: {n_c} like {v[comma_dec].iloc[0]!r}, "
            f"{n_p} like {v[point_dec].iloc[0]!r}; check decimal",
        )
    else:
        dec = Guess(None, "likely", "no decimals seen")
    if dec.value == "," and dot_thou.any():
        thou = Guess(
            None,
            "sure",
            f"'.' groups thousands (e.g. {v[dot_thou].iloc[0]!r}); decimal: ',' removes it",
        )
    elif dec.value is None and comma_thou.any() and not comma_dec.any():
        thou = Guess(",", "likely", f"e.g. {v[comma_thou].iloc[0]!r}")
    elif space_thou.any():
        thou = Guess(
            None,
            "likely",
            f"spaces group thousands (e.g. {v[space_thou].iloc[0]!r}); they are always removed",
        )
    else:
        thou = Guess(None, "sure", "no thousands separators seen")
    return dec, thou


def sniff_dates(sample: pd.DataFrame) -> Guess:
    """Per date-looking column: year-first, day-first, month-first or undecided."""
    found: dict[str, str] = {}
    decided: set[bool] = set()
    evidence = []
    for col in sample.columns:
        s = sample[col].astype("string").str.strip()
        s = s.where(s != "").dropna()
        if s.empty or not s.str.match(_DATEISH).mean() > 0.8:
            continue
        problems: list[intake.Problem] = []
        orders: list[intake.DateOrder] = []
        intake._to_date(s, Source(path=Path("x")), "", str(col), problems, orders)
        if orders:
            found[str(col)] = orders[0].order
            if orders[0].order in ("day-first", "month-first"):
                decided.add(orders[0].order == "day-first")
                evidence.append(f"{col}: {orders[0].how}")
        else:
            found[str(col)] = "undecided: " + (problems[0].message if problems else "?")
    undecided = [c for c, v in found.items() if v.startswith("undecided")]
    if len(decided) == 1:
        first = decided.pop()
        return Guess(
            first,
            "sure" if not undecided else "likely",
            ("day-first" if first else "month-first")
            + " from "
            + "; ".join(evidence)
            + (f"; {', '.join(undecided)} had no field above 12" if undecided else ""),
        )
    if len(decided) > 1:
        return Guess(None, "unknown", "columns disagree: " + "; ".join(evidence))
    if undecided:
        return Guess(
            None,
            "unknown",
            f"{', '.join(undecided)}: no day or month above 12 in the sample; set dayfirst",
        )
    return Guess(None, "sure", "dates are year-first" if found else "no day/month dates")


def _sample_csv(path: Path) -> Sniffed:
    out = Sniffed(path, "csv")
    raw = path.read_bytes()
    text, enc = intake.decode(raw)
    enc_sure = "sure" if enc in ("utf-8-sig",) or raw.isascii() else "likely"
    why = {
        "utf-8-sig": "UTF-8 byte-order mark",
        "utf-8": "valid UTF-8",
        "gb18030": "not UTF-8; reads as GB18030/GBK",
    }.get(enc, f"detected {enc}")
    out.options["encoding"] = Guess(
        None if enc in ("utf-8", "utf-8-sig", "gb18030") else enc, enc_sure, why
    )
    lines = text.splitlines()[:SAMPLE_LINES]
    delim = sniff_delimiter(lines)
    out.options["delimiter"] = Guess(
        None if delim.value == "," else delim.value, delim.sure, delim.why
    )
    rows = _split(lines, delim.value)
    skip, header = sniff_header(rows)
    out.options["skip_rows"] = Guess(skip.value or None, skip.sure, skip.why)
    out.options["header"] = header
    return out


def sniff(path: str | Path) -> list[Sniffed]:
    """How to read `path`: one `Sniffed` per table (per sheet for XLSX)."""
    path = Path(path)
    fmt = intake.file_format(path)
    try:
        intake.check_is_table(path, fmt)
    except intake.NotATable as e:
        return [Sniffed(path, fmt, problem=str(e))]
    found: list[Sniffed] = []
    try:
        if fmt == "csv":
            found = [_sample_csv(path)]
        elif fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            names = wb.sheetnames
            wb.close()
            for name in names:
                top = pd.read_excel(
                    path, sheet_name=name, header=None, dtype=str, nrows=30, keep_default_na=False
                )
                rows = [[c for c in r] for r in top.to_numpy().tolist()]
                rows = [
                    r[: max((i + 1 for i, c in enumerate(r) if str(c).strip()), default=0)]
                    for r in rows
                ]
                skip, header = sniff_header([r for r in rows])
                sn = Sniffed(path, "xlsx", sheet=name if len(names) > 1 else None)
                sn.options["skip_rows"] = Guess(skip.value or None, skip.sure, skip.why)
                sn.options["header"] = header
                found.append(sn)
        else:
            found = [Sniffed(path, "parquet")]
    except (UnicodeDecodeError, ValueError, OSError) as e:
        return [Sniffed(path, fmt, problem=f"cannot be read: {e}")]
    for sn in found:
        try:
            src = sn.source()
            sample = intake.read_raw(path, src).head(SAMPLE_LINES)
        except (intake.DataError, ValueError, OSError) as e:
            sn.problem = f"cannot be read: {e}"
            continue
        sample.columns = [str(c).strip() for c in sample.columns]
        sn.sample = sample
        sn.headers = list(sample.columns)
        if sn.format != "parquet":
            sn.options["decimal"], sn.options["thousands"] = _numbers(
                pd.concat([sample[c] for c in sample.columns], ignore_index=True)
                if len(sample.columns)
                else pd.Series(dtype=str)
            )
            sn.options["dayfirst"] = sniff_dates(sample)
    return found


def describe(sn: Sniffed) -> list[str]:
    """One line per reading guess: key, value, how sure, why."""
    out = []
    for key, g in sn.options.items():
        shown = "default" if g.value is None else repr(g.value)
        out.append(f"{key}: {shown} ({g.sure}: {g.why})")
    return out
