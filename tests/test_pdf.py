"""report.pdf: printed by the system Chromium when there is one, skipped with a reason if not."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from clientbook.deliver import pdf
from clientbook.present import fonts

HTML = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<style>body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }</style>
</head><body><h1>客户回顾</h1><p>冠军客户贡献 61% 的收入。</p></body></html>"""


def test_missing_chromium_skips_with_a_clear_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    html = tmp_path / "report.html"
    html.write_text(HTML, encoding="utf-8")
    reason = pdf.print_pdf(html, tmp_path / "report.pdf")
    assert reason is not None
    assert "Chromium was not found" in reason and "apt-get install chromium" in reason
    assert not (tmp_path / "report.pdf").exists()


def test_a_browser_that_fails_does_not_raise(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CLIENTBOOK_CHROMIUM", str(fake))
    html = tmp_path / "report.html"
    html.write_text(HTML, encoding="utf-8")
    pytest.importorskip("playwright.sync_api")
    reason = pdf.print_pdf(html, tmp_path / "report.pdf")
    assert reason is not None and reason.startswith("PDF skipped: Chromium")


def test_chromium_override_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIENTBOOK_CHROMIUM", str(tmp_path / "nope"))
    assert pdf.find_chromium() is None


@pytest.mark.skipif(
    fonts.mplfonts_file() is None or shutil.which("fc-list") is None,
    reason="needs mplfonts and fontconfig",
)
def test_fontconfig_env_adds_the_pip_noto_font_when_the_system_has_none(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "has_cjk_system_font", lambda: False)
    env = pdf.fontconfig_env(tmp_path)
    assert env["FONTCONFIG_FILE"] == str(tmp_path / "fonts.conf")
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "Noto Sans CJK SC" in out
    # With a Chinese system font, nothing is added.
    monkeypatch.setattr(pdf, "has_cjk_system_font", lambda: True)
    assert pdf.fontconfig_env(tmp_path) == {}


@pytest.mark.slow
@pytest.mark.skipif(pdf.find_chromium() is None, reason=f"no system Chromium: {pdf.INSTALL_HINT}")
def test_print_pdf_embeds_a_chinese_font(tmp_path):
    pytest.importorskip("playwright.sync_api")
    html = tmp_path / "report.html"
    html.write_text(HTML, encoding="utf-8")
    out = tmp_path / "report.pdf"
    assert pdf.print_pdf(html, out) is None
    assert out.read_bytes().startswith(b"%PDF")
    if shutil.which("pdffonts"):
        fonts_used = subprocess.run(
            ["pdffonts", str(out)], capture_output=True, text=True, env={**os.environ}
        ).stdout
        assert "CJK" in fonts_used or "WenQuanYi" in fonts_used, fonts_used


def test_print_pdfs_with_nothing_to_do():
    assert pdf.print_pdfs([]) is None
