"""The audit file: what a consultant writes to point clientbook at a client's export.

YAML, validated with pydantic. Every error names the key path and what was expected, all
errors at once. Paths in the file are relative to the file itself.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# The canonical tables an export may provide (docs/data-contract.md).
TABLES = ("customers", "orders", "surveys", "tickets", "leads", "targets", "marketing")
REPO_ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS_DIR = REPO_ROOT / "playbooks"


class AuditFileError(ValueError):
    """The audit file cannot be used; the message lists every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """One raw file of the client's export and how its headers map onto a canonical table."""

    path: Path
    format: Literal["auto", "csv", "xlsx", "parquet"] = "auto"
    encoding: str = "auto"  # auto: UTF-8 (with or without BOM), else GB18030 (covers GBK)
    delimiter: str = "auto"  # auto: sniffed among , ; tab |
    decimal: Literal[".", ","] = "."
    thousands: str | None = None
    dayfirst: bool = False
    date_format: str | None = None
    sheet: str | int | None = None  # XLSX sheet name (or 0-based index)
    columns: dict[str, str] = Field(default_factory=dict)  # canonical name -> client header


class Slicing(_Strict):
    by: list[Literal["region", "period"]] = Field(default_factory=lambda: ["region", "period"])
    period: Literal["month", "quarter", "year"] = "quarter"
    last_periods: int | None = None  # only the N most recent periods get their own slice


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
    currency: str | None = None  # ISO 4217 code of every money figure, e.g. USD, EUR, CNY
    sources: dict[str, Source]
    slicing: Slicing = Field(default_factory=Slicing)
    steps: list[str] | None = None  # default: every playbook in playbooks/
    targets: dict[str, float] = Field(default_factory=dict)
    settings: dict[str, Any] = Field(default_factory=dict)  # per-step analysis settings
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

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z]{3}", v.strip()):
            raise ValueError(f"currency {v!r} is not an ISO 4217 code (three letters, e.g. USD)")
        return v.strip().upper() if v else v

    @property
    def slug(self) -> str:
        return slugify(self.name or "audit")

    def resolve(self, p: Path) -> Path:
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def playbooks(self) -> list[Path]:
        """The playbooks this audit runs, in step order."""
        root = self.resolve(self.playbooks_dir) if self.playbooks_dir else PLAYBOOKS_DIR
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
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", "clock$"}
                             | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)})


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
    lines = [f"{path}: the audit file has {err.error_count()} problem(s):"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        shown = "" if isinstance(got, dict) or e["type"] == "missing" else f" (got {got!r})"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"  - {where}: {msg}{shown}")
    return "\n".join(lines)


def load(path: str | Path) -> Audit:
    """Read and validate an audit file; raise AuditFileError listing every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditFileError(f"{path}: no such audit file") from None
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
