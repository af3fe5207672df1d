"""The audit file: what a consultant writes to point clientbook at a client's export.

YAML, validated with pydantic. Every error names the key path and what was expected, all
errors at once. Paths in the file are relative to the file itself.
"""

from __future__ import annotations

import re
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
    # region_period: one slice per region and period (big audits: 50 regions x 12 months)
    by: list[Literal["region", "period", "region_period"]] = Field(
        default_factory=lambda: ["region", "period"])
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


def slugify(text: str) -> str:
    """A safe file name: letters (any script) and digits kept, everything else '-'."""
    s = re.sub(r"[^\w]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-_")
    return s or "x"


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
