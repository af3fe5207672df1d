"""What a playbook calls: open the slice, narrate, show key charts and tables.

Charts and tables shown with `chart` / `table` carry output metadata
``{"clientbook": {"kind", "headline", "notes", ...}}`` so that the report, the slides and the
PPTX deck can pick the key content out of an executed notebook without re-running anything.
"""

from __future__ import annotations

import io
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from clientbook.data.book import Book
from clientbook.present import i18n, style
from clientbook.present.results import to_jsonable

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "outputs" / "sample"


def sample_dataset() -> Path:
    """The bundled sample client's dataset, generated and built once, then reused."""
    from clientbook.config import audit_file as audit_mod
    from clientbook.data import dataset, sample

    ds = SAMPLE_DIR / "dataset"
    if (ds / "dataset.json").exists():
        return ds
    raw = SAMPLE_DIR / "raw"
    if not (raw / "orders.csv").exists():
        sample.generate(raw)
    a = audit_mod.load(audit_mod.REPO_ROOT / "audits" / "demo.yaml")
    dataset.build(a, ds)
    return ds


def start(dataset_dir: str | Path = "", slice_id: str = "all", lang: str = "",
          output_dir: str | Path = "") -> Book:
    """Open one slice for a playbook: load it, set the language and the house chart style."""
    from clientbook.data.dataset import load_slice

    ds = Path(dataset_dir) if dataset_dir else sample_dataset()
    book = load_slice(ds, slice_id, output_dir or None)
    book.lang = lang or book.lang
    i18n.use(book.lang)
    style.apply(book.lang)
    book.output_dir.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.max_rows", 30)
    return book


def _display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import display

    display(data, raw=True, metadata=metadata or {})


def say(key: str, **fields: Any) -> None:
    """Show one catalogue text (narrative or heading) as Markdown."""
    text = i18n.t(key, **fields)
    _display({"text/markdown": text, "text/plain": text})


def text(markdown: str) -> None:
    """Show text that was already composed from catalogue pieces."""
    _display({"text/markdown": markdown, "text/plain": markdown})


# A chart's slide version: drawn for a 16:9 slide's content box below the headline (about
# 12.3 x 5.3 in) at SLIDE_SCALE x the house font size, saved at >= 150 dpi at that size.
SLIDE_BOX_IN = (12.3, 5.3)
SLIDE_SCALE = 1.4
SLIDE_DPI = 150


def _slide_png(fig: Any) -> str:
    """The figure redrawn for a slide: its title dropped (the slide's headline says it), in the
    slide's proportions, at SLIDE_DPI on the slide (base64 PNG)."""
    import base64

    locs = ("left", "center", "right")  # the house style puts titles on the left
    titled = [ax for ax in fig.axes if any(ax.get_title(loc=lo) for lo in locs)]
    if len(titled) == 1:  # one titled axes (a colour bar has none): the chart's title
        for lo in locs:
            titled[0].set_title("", loc=lo)
    if getattr(fig, "_suptitle", None) is not None:
        fig._suptitle.set_text("")
    w, h = SLIDE_BOX_IN
    fig.set_size_inches(w / SLIDE_SCALE, h / SLIDE_SCALE)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SLIDE_DPI * SLIDE_SCALE * 1.2)  # margin for the tight crop
    return base64.b64encode(buf.getvalue()).decode("ascii")


def chart(fig: Any, headline: str, notes: str = "") -> None:
    """Show a key chart: it becomes a slide and a PPTX page with this headline.

    The report shows the figure as drawn; the slides and the deck use its slide version
    (metadata ``clientbook.slide_png``: no title, slide proportions, >= 150 dpi)."""
    import base64

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    try:
        slide_png = _slide_png(fig)
    except Exception:  # noqa: BLE001 - a figure that cannot be redrawn keeps its report image
        slide_png = ""
    plt.close(fig)
    meta = {"clientbook": {"kind": "chart", "headline": headline, "notes": notes,
                           **({"slide_png": slide_png} if slide_png else {})}}
    _display({"image/png": png, "text/plain": headline}, meta)


def format_table(df: pd.DataFrame, percent: list[str] | None = None,
                 money: list[str] | None = None, digits: int = 1) -> pd.DataFrame:
    """Numbers as a consultant reads them: 12.3%, 1.2M, 3.4 (text, for display only)."""
    out = df.copy()
    for c in out.columns:
        if percent and c in percent:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else style.pct(v, 1))
        elif money and c in money:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else style.money(v))
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:,.{digits}f}")
    return out


def table(df: pd.DataFrame, headline: str, notes: str = "", index: bool = False) -> None:
    """Show a key table: HTML in the report, a native table in the PPTX deck."""
    shown = df.reset_index() if index else df
    html = shown.to_html(index=False, classes="cb-table", border=0, na_rep="")
    meta = {"clientbook": {"kind": "table", "headline": headline, "notes": notes,
                           "columns": [str(c) for c in shown.columns],
                           "rows": to_jsonable(shown.astype(object).values.tolist())}}
    _display({"text/html": f"<h4 class='cb-headline'>{escape(headline)}</h4>{html}",
              "text/plain": headline}, meta)


def missing(table_name: str, step: str) -> None:
    """The standard section for a step whose input table the client did not provide."""
    from clientbook.data.contract import SCHEMAS

    cols = ", ".join(f"`{c.name}`" + ("*" if c.required else "") for c in SCHEMAS[table_name])
    say("common.missing", table=table_name, step=i18n.t(f"common.step.{step}"), columns=cols)


def labelled(df: pd.DataFrame, topic: str) -> pd.DataFrame:
    """Column headers in the report's language (`<topic>.column.<name>` where it exists)."""
    return df.rename(columns={c: i18n.t(f"{topic}.column.{c}") for c in df.columns
                              if i18n.has(f"{topic}.column.{c}")})


def bullets(lines: list[str]) -> None:
    """Findings as a bulleted list."""
    text("\n".join(f"- {line}" for line in lines))
