"""The house style for every chart: one palette, one font setup, one way to format numbers."""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt

from clientbook.config.branding import ACCENT, PRIMARY

PALETTE = [PRIMARY, "#2e86ab", ACCENT, "#c73e1d", "#6a994e", "#8d6a9f", "#a3a3a3", "#e9c46a"]
GOOD, NEAR, BAD = "#2e7d32", "#f9a825", "#c62828"

RC: dict[str, Any] = {
    "figure.figsize": (8.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.alpha": 0.3,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "legend.frameon": False,
    "font.size": 10,
}


def apply(lang: str = "en") -> None:
    """Reset matplotlib to defaults, then apply the house style (and a CJK font for zh).

    Resetting first keeps a reused kernel identical to a fresh one.
    """
    plt.close("all")
    matplotlib.rcdefaults()
    matplotlib.rcParams.update(RC)
    if lang == "zh":
        from clientbook.present import fonts

        fonts.use_cjk_font()


def fig(width: float = 8.0, height: float = 4.2, **kw: Any) -> tuple[Any, Any]:
    """A new figure and axes in the house style."""
    return plt.subplots(figsize=(width, height), **kw)


def money(x: float) -> str:
    """Compact money text: 1.2M, 35.4k, 920."""
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def pct(x: float, digits: int = 0) -> str:
    return f"{x * 100:.{digits}f}%"


def legend_below(fig: Any, handles: list, labels: list) -> None:
    """Legend under the chart, clear of the left-aligned title."""
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(labels))
