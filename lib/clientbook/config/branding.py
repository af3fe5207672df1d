"""Branding from the audit file: who the deliverables are for and by, and in which colours.

The audit file carries it as

    branding:
      client: Acme Retail
      firm: Northwind Consulting
      consultant: Li Wei
      logo: branding/logo.png      # relative to the audit file; PNG or JPEG
      primary_color: "#1f4e79"
      accent_color: "#f18f01"
      pptx_template: branding/client.pptx   # optional: the client's PowerPoint template

(the client's name is the audit's top-level `client:`), and the HTML report, the slides and
the PPTX deck all read this one object. `Branding.from_audit(audit)` builds it from the
lead's `clientbook.config.audit_file.Audit` (same field names as its `branding:` section).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# The house colours (the chart palette in present/style.py starts with these two).
PRIMARY = "#1f4e79"
ACCENT = "#f18f01"


RASTER = {".png", ".jpg", ".jpeg", ".gif", ".bmp"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class Branding(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client: str = ""
    firm: str = ""
    consultant: str = ""
    logo: Path | None = None
    primary_color: str = PRIMARY
    accent_color: str = ACCENT
    pptx_template: Path | None = None  # layouts, theme colours and fonts for deck.pptx

    @field_validator("primary_color", "accent_color")
    @classmethod
    def _hex_colour(cls, v: str) -> str:
        v = v.strip()
        if len(v) == 4 and v.startswith("#"):  # "#abc" -> "#aabbcc", as CSS reads it
            v = "#" + "".join(c * 2 for c in v[1:])
        if not _HEX.match(v):
            raise ValueError(f"colour must look like #1f4e79, got {v!r}")
        return v.lower()

    @classmethod
    def from_audit(cls, audit: Any) -> Branding:
        """From a loaded audit file: its client plus its `branding:` section, logo resolved."""
        b = audit.branding
        logo = audit.resolve(b.logo) if getattr(b, "logo", None) else None
        tpl = getattr(b, "pptx_template", None)
        return cls(
            client=audit.client,
            firm=b.firm,
            consultant=b.consultant,
            logo=logo,
            primary_color=b.primary_color,
            accent_color=b.accent_color,
            pptx_template=audit.resolve(tpl) if tpl else None,
        )

    def resolved(self, base_dir: Path) -> Branding:
        """The same branding with its file paths made absolute against the audit's folder."""
        update = {
            k: (base_dir / p).resolve()
            for k in ("logo", "pptx_template")
            if (p := getattr(self, k)) is not None and not p.is_absolute()
        }
        return self.model_copy(update=update) if update else self

    def logo_file(self, raster_only: bool = False) -> Path | None:
        """The logo when it exists on disk (a missing logo never fails a render).
        `raster_only`: PowerPoint pictures must be PNG/JPEG/GIF/BMP, not SVG."""
        if self.logo is None or not self.logo.is_file():
            return None
        if raster_only and self.logo.suffix.lower() not in RASTER:
            return None
        return self.logo


def rgb(colour: str) -> tuple[int, int, int]:
    """'#1f4e79' -> (31, 78, 121), for python-pptx's RGBColor."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
