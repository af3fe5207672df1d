"""The house style for every chart: one palette, one font setup, one way to format numbers.

`apply(lang, currency)` (called by `playbook.start`) sets matplotlib's and seaborn's theme and
remembers the run's language and currency, so `money()` and `pct()` (axis labels, table cells,
findings) write figures the way `present.numbers` does: "$1.2M", "¥12.3万", "12.5%".
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt

from clientbook.config.branding import ACCENT, PRIMARY

PALETTE = [PRIMARY, "#2e86ab", ACCENT, "#c73e1d", "#6a994e", "#8d6a9f", "#a3a3a3", "#e9c46a"]
GOOD, NEAR, BAD = "#2e7d32", "#f9a825", "#c62828"
# Sequential colour map of heatmaps (cohort and migration matrices): white to the primary.
HEATMAP_CMAP = "Blues"
# A matrix with more cells than this gets no number written in each cell (too slow, unreadable).
MAX_ANNOTATED_CELLS = 400
_current: dict[str, str | None] = {"lang": "en", "currency": None}

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


def apply(lang: str = "en", currency: str | None = None) -> None:
    """Reset matplotlib to defaults, then apply the house style: seaborn's theme with our
    palette and rc (and a CJK font for zh). Remembers `lang` and `currency` for `money()`.

    Resetting first keeps a reused kernel identical to a fresh one.
    """
    import seaborn as sns

    plt.close("all")
    matplotlib.rcdefaults()
    sns.set_theme(context="notebook", style="white", palette=PALETTE, rc=RC)
    matplotlib.rcParams.update(RC)
    use(lang, currency)
    if lang == "zh":
        from clientbook.present import fonts

        fonts.use_cjk_font()


def use(lang: str = "en", currency: str | None = None) -> None:
    """Set the language and currency `money()` writes, without touching matplotlib (for
    renderers outside a playbook: the index, the decks)."""
    _current["lang"] = lang
    _current["currency"] = currency


def current_currency() -> str | None:
    """The run's currency as `apply` set it (None: amounts without a currency)."""
    return _current["currency"]


def fig(width: float = 8.0, height: float = 4.2, **kw: Any) -> tuple[Any, Any]:
    """A new figure and axes in the house style."""
    return plt.subplots(figsize=(width, height), **kw)


def money(x: float, exact: bool = False) -> str:
    """Money in the run's currency and language: $1.2M, EUR 35.4k, ¥12.3万 (numbers.money)."""
    from clientbook.present import numbers

    if numbers.is_missing(x):
        return numbers.MISSING
    return numbers.money(float(x), _current["lang"] or "en", _current["currency"], exact=exact)


def pct(x: float, digits: int = 0) -> str:
    """A share 0..1 as a percentage: 12% (numbers.format_number, unit rate)."""
    from clientbook.present import numbers

    return numbers.format_number(x, "rate", digits=digits)


def count(x: float) -> str:
    """A count with separators: 1,234."""
    from clientbook.present import numbers

    return numbers.format_number(x, "count")


def money_axis(ax: Any, axis: str = "y") -> None:
    """Tick labels of a money axis in the run's currency (compact: $1.2M, ¥12.3万)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(lambda v, _pos: money(v))


def heatmap(
    ax: Any,
    colour: Any,
    annot: Any = True,
    fmt: str = ".0f",
    vmin: float = 0.0,
    vmax: float = 1.0,
    mask: Any = None,
) -> Any:
    """A matrix as a seaborn heatmap in the house style: `colour` (a DataFrame) sets each
    cell's shade, `annot` the numbers written in the cells (True: `colour` itself, a DataFrame
    of text: as given). Matrices larger than MAX_ANNOTATED_CELLS get no numbers (fast, and
    unreadable anyway); the colour still carries them."""
    import seaborn as sns

    if getattr(colour, "size", 0) > MAX_ANNOTATED_CELLS:
        annot = False
    sns.heatmap(
        colour,
        ax=ax,
        cmap=HEATMAP_CMAP,
        vmin=vmin,
        vmax=vmax,
        annot=annot,
        fmt=fmt,
        mask=mask,
        cbar=False,
        linewidths=0.6,
        linecolor="white",
        annot_kws={"fontsize": 7},
    )
    ax.grid(False)
    return ax


def legend_below(fig: Any, handles: list, labels: list) -> None:
    """Legend under the chart, clear of the left-aligned title."""
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(labels))
