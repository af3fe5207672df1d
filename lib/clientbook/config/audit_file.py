"""The audit file: what a consultant writes to point clientbook at a client's export.

YAML, validated with pydantic. Every error names the key path and what was expected, all
errors at once. Paths in the file are relative to the file itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clientbook.config import resources
from clientbook.config import settings as settings_mod

# The canonical tables an export may provide (docs/data-contract.md).
TABLES = ("customers", "orders", "surveys", "tickets", "leads", "targets", "marketing")


class AuditFileError(ValueError):
    """The audit file cannot be used; the message lists every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Delimiter words a consultant may write, and what they mean.
DELIMITER_WORDS = {
    "tab": "\t",
    "\\t": "\t",
    "space": " ",
    "whitespace": "whitespace",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
}
# Derived columns the audit file may declare (sources.<table>.derive).
DERIVABLE = {
    "order_id": "a list of canonical columns, e.g. [customer_id, order_date]",
    "cost": "'amount - profit'",
    "amount": "'quantity * unit_price'",
}


class Source(_Strict):
    """One raw file of the client's export and how its headers map onto a canonical table."""

    path: Path
    format: Literal["auto", "csv", "xlsx", "parquet"] = "auto"
    encoding: str = "auto"  # auto: UTF-8 (with or without BOM), else GB18030 (covers GBK)
    delimiter: str = "auto"  # auto: sniffed among , ; tab |; or whitespace (runs of spaces)
    decimal: Literal[".", ","] = "."
    thousands: str | None = None
    dayfirst: bool | None = None  # None: decided from the values (a field > 12), else an error
    date_format: str | None = None
    sheet: str | int | None = None  # XLSX sheet name (or 0-based index)
    header: int | Literal["none"] | None = None  # row number of the header line; none: no header
    skip_rows: int = Field(default=0, ge=0)  # lines above the header (titles, notes) to skip
    # canonical name -> client header (or 1-based column number when header: none)
    columns: dict[str, str | int] = Field(default_factory=dict)
    derive: dict[str, str | list[str]] = Field(default_factory=dict)
    # only rows whose header holds one of the values, e.g. {StageName: [Closed Won]}
    where: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, v: str) -> str:
        word = DELIMITER_WORDS.get(v.strip().lower()) if v.strip() else None
        if v == "auto" or (len(v) == 1 and v not in "\"'\r\n"):
            return "whitespace" if v == " " else v
        if word:
            return "whitespace" if word == " " else word
        raise ValueError(
            f"delimiter {v!r} is not one character; use auto, ',', ';', '|', tab or whitespace"
        )

    @field_validator("header")
    @classmethod
    def _header(cls, v: int | str | None) -> int | str | None:
        if isinstance(v, int) and v < 1:
            raise ValueError(
                "header is the row number of the header line (1 = first line), or none"
            )
        return v

    @model_validator(mode="after")
    def _mapping(self) -> Source:
        problems = []
        if isinstance(self.header, int) and self.skip_rows and self.header != self.skip_rows + 1:
            problems.append(
                f"header: {self.header} and skip_rows: {self.skip_rows} disagree (set one of them)"
            )
        positional = [k for k, v in self.columns.items() if isinstance(v, int)]
        if self.header == "none":
            named = [k for k in self.columns if k not in positional]
            if named or not self.columns:
                problems.append(
                    "with header: none, map columns by position "
                    "(columns: {customer_id: 1, order_date: 2, ...})"
                )
        elif positional:
            problems.append(
                f"columns: {', '.join(positional)} mapped by position; that needs header: none"
            )
        by_header: dict[str, list[str]] = {}
        for canonical, header in self.columns.items():
            by_header.setdefault(str(header).strip(), []).append(canonical)
        for header, names in by_header.items():
            if len(names) > 1:
                problems.append(
                    f"columns: header {header!r} is mapped twice "
                    f"({' and '.join(names)}); one header feeds one column"
                )
        for name, recipe in self.derive.items():
            if name not in DERIVABLE:
                problems.append(
                    f"derive: {name!r} cannot be derived; derivable: " + ", ".join(DERIVABLE)
                )
            elif name == "order_id" and (isinstance(recipe, str) or not recipe):
                problems.append(f"derive.order_id: expected {DERIVABLE['order_id']}")
            elif name == "cost" and str(recipe).replace(" ", "") != "amount-profit":
                problems.append(f"derive.cost: expected {DERIVABLE['cost']}")
            elif name == "amount" and str(recipe).replace(" ", "") != "quantity*unit_price":
                problems.append(f"derive.amount: expected {DERIVABLE['amount']}")
            elif name in self.columns:
                problems.append(f"derive: {name} is both mapped and derived")
        if problems:
            raise ValueError("; ".join(problems))
        self.columns = {k: str(v) for k, v in self.columns.items()}
        return self

    def header_of(self, canonical: str) -> str | None:
        """The client's header mapped to a canonical column (None: not mapped)."""
        h = self.columns.get(canonical)
        return None if h is None else str(h)


class Slicing(_Strict):
    # region_period: one slice per region and period (big audits: 50 regions x 12 months)
    by: list[Literal["region", "period", "region_period"]] = Field(
        default_factory=lambda: ["region", "period"]
    )
    period: Literal["month", "quarter", "year"] = "quarter"
    last_periods: int | None = None  # only the N most recent periods get their own slice
    # customer: a customer's rows follow the customer's one region (customers table, else the
    # most frequent region of their orders); order: a region slice holds that region's own
    # order lines (a customer buying in two regions is in both)
    region_from: Literal["customer", "order"] = "customer"


class Branding(_Strict):
    firm: str = "clientbook"
    consultant: str = ""
    logo: Path | None = None
    primary_color: str = "#1f4e79"
    accent_color: str = "#f18f01"

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError("expected a colour like '#1f4e79'")
        return v


OutputFormat = Literal["html", "slides", "pptx", "pdf"]


class Audit(_Strict):
    client: str
    name: str | None = None  # output folder name; default: the audit file's stem
    lang: Literal["en", "zh"] = "en"
    as_of: str | None = None  # export date; default: the day after the last order
    report_date: dt.date | None = None  # the date deliverables carry; default: as_of
    currency: str | None = None  # ISO 4217 code of every money figure, e.g. USD, EUR, CNY
    sources: dict[str, Source]
    slicing: Slicing = Field(default_factory=Slicing)
    steps: list[str] | None = None  # default: every playbook in playbooks/
    targets: dict[str, float] = Field(default_factory=dict)
    # per-step analysis settings, validated against config.settings (kept as written: the
    # dataset manifest and Book.settings carry this dict; steps read it through the models)
    settings: dict[str, Any] = Field(default_factory=dict)
    outputs: list[OutputFormat] = Field(default_factory=lambda: ["html"])
    branding: Branding = Field(default_factory=Branding)
    pptx_template: Path | None = None  # the client's own .pptx: its layouts and colours
    mode: Literal["client", "training"] = "client"
    playbooks_dir: Path | None = None

    # Filled by `load`, not by the user.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("sources")
    @classmethod
    def _tables(cls, v: dict[str, Source]) -> dict[str, Source]:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(
                f"unknown table(s) {', '.join(unknown)}; expected some of {', '.join(TABLES)}"
            )
        if "orders" not in v:
            raise ValueError("an 'orders' source is required")
        return v

    @field_validator("settings", mode="before")
    @classmethod
    def _settings(cls, v: Any) -> Any:
        settings_mod.parse(v if v is not None else {})  # raises SettingsError (a ValueError)
        return v if v is not None else {}

    @property
    def analysis(self) -> settings_mod.AnalysisSettings:
        """The typed settings (every step's block over its defaults)."""
        return settings_mod.parse(self.settings)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{3}", v.strip()):
            raise ValueError(f"currency {v!r} is not an ISO 4217 code (three letters, e.g. USD)")
        return v.strip().upper() if v else v

    @property
    def slug(self) -> str:
        return slugify(self.name or "audit")

    def report_day(self, dataset_as_of: str | None = None) -> dt.date:
        """The date printed on every deliverable: `report_date`, else the as-of date (the
        dataset's normalized `as_of`, else the audit's). Never the wall clock, so the same
        audit on the same data gives the same files whenever it runs."""
        if self.report_date is not None:
            return self.report_date
        for text in (dataset_as_of, self.as_of):
            if text:
                return dt.date.fromisoformat(str(text)[:10])
        raise ValueError("no report date: set `as_of` or `report_date` in the audit file")

    def resolve(self, p: Path) -> Path:
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def playbooks(self) -> list[Path]:
        """The playbooks this audit runs, in step order."""
        root = self.resolve(self.playbooks_dir) if self.playbooks_dir else resources.playbooks_dir()
        found = sorted(root.glob("[0-9][0-9]_*.ipynb"))
        if self.steps is None:
            return found
        by_step = {step_name(p): p for p in found}
        missing = [s for s in self.steps if s not in by_step]
        if missing:
            raise AuditFileError(
                f"steps: unknown step(s) {', '.join(missing)}; available: {', '.join(by_step)}"
            )
        return [by_step[s] for s in sorted(self.steps, key=lambda s: by_step[s].name)]


def step_name(playbook: Path) -> str:
    """'01_classification.ipynb' -> 'classification'."""
    return playbook.stem.split("_", 1)[1]


# A slug is at most this many characters (CJK takes 3 bytes each in UTF-8: 120 bytes, well
# under the 255 a file name may have, with room for a prefix such as "region-").
SLUG_MAX = 40
# Names Windows refuses for a file or folder, whatever the extension.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "clock$"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)}
)


def slug_hash(text: str, n: int = 6) -> str:
    """A short stable hash of a name (the same name always gives the same suffix)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def slugify(text: str, max_len: int = SLUG_MAX) -> str:
    """A safe file name: letters (any script) and digits kept, everything else '-'.

    A name whose slug would be empty (`..`, emoji), longer than `max_len` or reserved on
    Windows (`CON`, `LPT1`) gets a short stable hash of the name: `x-1a2b3c`,
    `region-lll...-4d5e6f`, `con-7a8b9c`.
    """
    s = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-_")
    if s and len(s) <= max_len and s not in WINDOWS_RESERVED:
        return s
    return _suffixed(s, text, max_len=max_len)


def _suffixed(slug: str, text: str, n: int = 6, max_len: int = SLUG_MAX) -> str:
    base = slug[: max_len - n - 1].rstrip("-_") or "x"
    return f"{base}-{slug_hash(text, n)}"


def unique_slugs(names: list[str], max_len: int = SLUG_MAX) -> dict[str, str]:
    """A distinct slug per name: {name: slug}. Names whose slugs collide (`North East`,
    `north-east`, `NORTH.EAST`) each get a short stable hash suffix, except a name that is
    its own slug already (`north-east`), which keeps it. The result depends only on the set
    of names, never on their order."""
    plain = {n: slugify(n, max_len) for n in dict.fromkeys(names)}
    groups: dict[str, list[str]] = {}
    for name, slug in plain.items():
        groups.setdefault(slug, []).append(name)
    out = {}
    for slug, members in groups.items():
        for name in members:
            keep = len(members) == 1 or name == slug
            out[name] = slug if keep else _suffixed(slug, name, max_len=max_len)
    counts = Counter(out.values())
    for name, slug in list(out.items()):  # a suffixed slug equal to another one: longer hash
        if counts[slug] > 1:
            out[name] = _suffixed(plain[name], name, n=16, max_len=max_len + 10)
    return out


def _format_errors(path: Path, err: ValidationError) -> str:
    lines: list[str] = []
    for e in err.errors():
        cause = (e.get("ctx") or {}).get("error")
        if isinstance(cause, settings_mod.SettingsError):  # one line per wrong setting
            lines += [f"  - {where}: {msg}" for where, msg in cause.problems]
            continue
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        shown = "" if isinstance(got, dict) or e["type"] == "missing" else f" (got {got!r})"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"  - {where}: {msg}{shown}")
    head = f"{path}: the audit file has {len(lines)} problem(s):"
    return "\n".join([head, *lines])


AUDIT_ENCODINGS = ("utf-8-sig", "gb18030")


def read_text(path: Path) -> str:
    """The audit file's text: UTF-8 (with or without BOM) or GB18030/GBK; one-line errors."""
    if path.is_dir():
        raise AuditFileError(f"{path}: is a folder, not an audit file (give the .yaml file)")
    if not path.exists():
        raise AuditFileError(f"{path}: no such audit file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise AuditFileError(f"{path}: cannot be read ({e.strerror or e})") from None
    if b"\x00" in raw[:4096]:
        raise AuditFileError(f"{path}: is a binary file, not a YAML audit file")
    for enc in AUDIT_ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise AuditFileError(f"{path}: is neither UTF-8 nor GB18030/GBK text; save it as UTF-8")


def load(path: str | Path) -> Audit:
    """Read and validate an audit file; raise AuditFileError listing every problem."""
    path = Path(path)
    text = read_text(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise AuditFileError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise AuditFileError(f"{path}: expected a mapping of keys (client, sources, ...)")
    try:
        audit = Audit.model_validate(raw)
    except ValidationError as e:
        raise AuditFileError(_format_errors(path, e)) from None
    audit.base_dir = path.resolve().parent
    if audit.name is None:
        audit.name = path.stem
    return audit
