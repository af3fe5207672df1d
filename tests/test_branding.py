"""Branding: colours validated, paths resolved against the audit file, built from an audit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from clientbook.config.branding import Branding, rgb


def test_colours_are_normalised_and_checked():
    b = Branding(primary_color="#0B6E4F", accent_color=" #abc ")
    assert (b.primary_color, b.accent_color) == ("#0b6e4f", "#aabbcc")
    assert rgb(b.primary_color) == (11, 110, 79)
    with pytest.raises(ValidationError, match="colour must look like"):
        Branding(primary_color="green")
    with pytest.raises(ValidationError):
        Branding(colour="#000000")  # unknown keys are typos, not ignored


def test_from_audit_and_relative_paths(tmp_path):
    base = tmp_path / "audits"
    section = SimpleNamespace(
        firm="Northwind",
        consultant="Li Wei",
        logo=Path("b/logo.png"),
        primary_color="#112233",
        accent_color="#445566",
        pptx_template=Path("b/client.pptx"),
    )
    audit = SimpleNamespace(
        client="Acme",
        branding=section,
        resolve=lambda p: p if p.is_absolute() else (base / p).resolve(),
    )
    b = Branding.from_audit(audit)
    assert (b.client, b.firm, b.consultant) == ("Acme", "Northwind", "Li Wei")
    assert b.logo == (base / "b" / "logo.png").resolve()
    assert b.pptx_template == (base / "b" / "client.pptx").resolve()
    assert b.logo_file() is None  # not on disk: no logo rather than a failed render
    rel = Branding(logo=Path("x.png")).resolved(base)
    assert rel.logo == (base / "x.png").resolve()


def test_logo_file_raster_only(tmp_path):
    svg = tmp_path / "l.svg"
    svg.write_text("<svg/>")
    assert Branding(logo=svg).logo_file() == svg
    assert Branding(logo=svg).logo_file(raster_only=True) is None
