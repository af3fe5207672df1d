"""Chinese charts must render with a real CJK font: no missing-glyph warnings, no boxes."""

from __future__ import annotations

import io
import logging
import warnings

import matplotlib
import pytest
from matplotlib import font_manager

from clientbook.present import fonts, style

matplotlib.use("Agg")


def _draw_chinese_chart() -> bytes:
    f, ax = style.fig()
    ax.bar(["冠军客户", "流失风险", "新客户"], [120.0, -35.0, 60.0])
    ax.set_title("客户细分：收入贡献")
    ax.set_xlabel("细分")
    ax.set_ylabel("收入（千元）")
    buf = io.BytesIO()
    f.savefig(buf, format="png")
    matplotlib.pyplot.close(f)
    return buf.getvalue()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_chinese_chart_renders_without_missing_glyph_warnings():
    style.apply("zh")
    family = fonts.use_cjk_font()
    assert family, "no CJK font: pip install mplfonts or apt-get install fonts-wqy-microhei"
    log = _Records()
    logging.getLogger("matplotlib").addHandler(log)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph 23458 ... missing from font(s)" -> failure
            png = _draw_chinese_chart()
    finally:
        logging.getLogger("matplotlib").removeHandler(log)
    assert png.startswith(b"\x89PNG")
    # matplotlib logs (not warns) when a weight is missing: bold titles must not trigger it.
    assert not [m for m in log.messages if "findfont" in m], log.messages
    rc = matplotlib.rcParams
    assert rc["font.sans-serif"][0] == family
    assert rc["axes.unicode_minus"] is False
    # The sans-serif lookup resolves to the registered CJK file, not a Latin fallback.
    chosen = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert chosen == fonts.find_cjk_font().path


def test_the_glyph_check_catches_a_latin_only_font():
    # Proves the test above can fail: the English style has no CJK font in its list.
    style.apply("en")
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"Glyph \d+ .*missing"):
            _draw_chinese_chart()
    style.apply("en")


def test_style_reset_keeps_chinese_working_after_english():
    # A reused kernel: en then zh again must still pick the CJK font.
    style.apply("en")
    assert matplotlib.rcParams["axes.unicode_minus"] is True
    style.apply("zh")
    assert matplotlib.rcParams["font.sans-serif"][0] == fonts.find_cjk_font().family


@pytest.mark.skipif(fonts.mplfonts_file() is None, reason="mplfonts is not installed")
def test_pip_only_machine_falls_back_to_mplfonts_noto():
    font = fonts.find_cjk_font(use_system=False)
    assert font is not None
    assert (font.family, font.source) == ("Noto Sans CJK SC", "mplfonts")


def test_faces_with_cjk_rejects_a_latin_font():
    dejavu = font_manager.findfont("DejaVu Sans")
    assert fonts._faces_with_cjk(dejavu) == []
    assert fonts._faces_with_cjk("/nonexistent.ttf") == []


def test_fonts_installed_after_the_cache_was_built_are_found(monkeypatch):
    # matplotlib's cache knows nothing about CJK fonts here: the search must look on disk.
    on_disk = [p for p in fonts.SYSTEM_FILES if fonts.os.path.exists(p)]
    if not on_disk:
        pytest.skip("no system CJK font on this machine (apt-get install fonts-wqy-microhei)")
    stale = [e for e in font_manager.fontManager.ttflist if e.name not in fonts.FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    found = fonts._system_candidates()
    assert on_disk[0] in found
    assert fonts._faces_with_cjk(on_disk[0])
