"""What a playbook calls: open the slice, narrate, show key charts and tables.

Charts and tables shown with `chart` / `table` carry output metadata
``{"clientbook": {"kind", "headline", "notes", ...}}`` so that the report, the slides and the
PPTX deck can pick the key content out of an executed notebook without re-running anything.
"""

from __future__ import annotations

import datetime
import io
import numbers
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from clientbook.data.book import Book
from clientbook.present import i18n, style
from clientbook.present.results import to_jsonable


def sample_dir(seed: int = 7, customers: int = 3000, lang: str = "en") -> Path:
    """The sample client in the cache (`config.resources.sample_cache_dir`): `raw/` (its
    export, as `clientbook sample` writes it) and `dataset/` (built with the demo audit).

    Generated on first use into a temporary folder beside the entry and renamed into place
    when complete, so a crash or a concurrent run never leaves a half-built entry in use.
    """
    import os
    import shutil
    import tempfile

    from clientbook.config import audit_file as audit_mod
    from clientbook.config import resources
    from clientbook.data import dataset, sample

    entry = resources.sample_cache_dir(seed, customers, lang)
    if (entry / "dataset" / "dataset.json").is_file():
        return entry
    if entry.exists():  # not made by this function (entries appear complete): rebuild it
        shutil.rmtree(entry, ignore_errors=True)
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        raw = tmp / "raw"
        sample.generate(raw, customers=customers, seed=seed, lang=lang)
        a = audit_mod.load(resources.demo_audit(lang))
        for src in a.sources.values():  # the demo audit names files of this same export
            src.path = raw / Path(src.path).name
        dataset.build(a, tmp / "dataset")
        try:
            os.rename(tmp, entry)
        except OSError:  # another process finished first: keep its entry
            if not (entry / "dataset" / "dataset.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return entry


def sample_dataset(seed: int = 7) -> Path:
    """The bundled sample client's dataset, generated and built once per package version,
    code and seed (outside the checkout), then reused."""
    return sample_dir(seed) / "dataset"


def start(
    dataset_dir: str | Path = "", slice_id: str = "all", lang: str = "", output_dir: str | Path = ""
) -> Book:
    """Open one slice for a playbook: load it, set the language and the house chart style."""
    from clientbook.data.dataset import load_slice

    ds = Path(dataset_dir) if dataset_dir else sample_dataset()
    book = load_slice(ds, slice_id, output_dir or None)
    book.lang = lang or book.lang
    i18n.use(book.lang)
    style.apply(book.lang, currency=(book.manifest or {}).get("currency"))
    # A dataset built before the flag existed (or opened in JupyterLab) draws slide charts.
    _options["slide_charts"] = bool((book.manifest or {}).get("slide_charts", True))
    book.output_dir.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.max_rows", 30)
    return book


def _display(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import display

    display(data, raw=True, metadata=metadata or {})


# Markdown syntax a data value must not bring into a catalogue text (links, code spans,
# emphasis, backslash escapes): written as character references, which Markdown shows as the
# character and never reads as syntax.
_MD_SYNTAX = str.maketrans(
    {
        "[": "&#91;",
        "]": "&#93;",
        "`": "&#96;",
        "*": "&#42;",
        "_": "&#95;",
        "\\": "&#92;",
        "$": "&#36;",
    }
)


def escape_field(value: Any) -> Any:
    """A data value made safe to fill into trusted catalogue Markdown: HTML special
    characters and Markdown syntax as character references, line breaks as spaces. Numbers and
    dates are returned unchanged so format specs (`{n:,}`) still apply. The browser shows the
    value exactly as the client wrote it (`AT&T`, `<b>`), never as markup."""
    if isinstance(value, numbers.Number | datetime.date | datetime.time):
        return value
    s = escape(" ".join(str(value).split()), quote=False).translate(_MD_SYNTAX)
    return s.replace("://", "&#58;//")  # a URL in the data stays text, never a link


def escape_markdown(markdown: str) -> str:
    """Composed Markdown (catalogue text with data already in it) made safe to render: no HTML
    from the data and no links, not even a bare URL (the catalogue has none), while **bold**,
    lists and headings still work."""
    s = escape(markdown, quote=False)
    return s.replace("](", "]&#40;").replace("]:", "]&#58;").replace("://", "&#58;//")


def _markdown(markdown: str, plain: str) -> None:
    _display({"text/markdown": markdown, "text/plain": plain})


def say(key: str, **fields: Any) -> None:
    """Show one catalogue text (narrative or heading) as Markdown; the fields are data and
    are escaped (`escape_field`), the catalogue text is trusted Markdown."""
    _markdown(i18n.t(key, **{k: escape_field(v) for k, v in fields.items()}), i18n.t(key, **fields))


def text(markdown: str) -> None:
    """Show text that was already composed from catalogue pieces and data (escaped here:
    `escape_markdown`)."""
    _markdown(escape_markdown(markdown), markdown)


# A chart's slide version: drawn for a 16:9 slide's content box below the headline (about
# 12.3 x 5.3 in) at SLIDE_SCALE x the house font size, saved at >= 150 dpi at that size.
SLIDE_BOX_IN = (12.3, 5.3)
SLIDE_SCALE = 1.4
SLIDE_DPI = 150
_options: dict[str, bool] = {"slide_charts": True}  # set by `start` from the run's formats


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
    from matplotlib.text import Text

    buf = io.BytesIO()
    # Labels come from client data: `$` in a product name (or two amounts in USD) must print
    # as it is, not as TeX math, which would fail or garble the chart.
    for artist in fig.findobj(Text):
        artist.set_parse_math(False)
    with plt.rc_context({"text.parse_math": False}):
        fig.savefig(buf, format="png")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        try:
            slide_png = _slide_png(fig) if _options["slide_charts"] else ""
        except Exception:  # noqa: BLE001 - a figure that cannot be redrawn keeps its report image
            slide_png = ""
    plt.close(fig)
    meta = {
        "clientbook": {
            "kind": "chart",
            "headline": headline,
            "notes": escape_markdown(notes),
            **({"slide_png": slide_png} if slide_png else {}),
        }
    }
    _display({"image/png": png, "text/plain": headline}, meta)


def format_table(
    df: pd.DataFrame,
    percent: list[str] | None = None,
    money: list[str] | None = None,
    digits: int = 1,
) -> pd.DataFrame:
    """Numbers as a consultant reads them (text, for display only), through `present.numbers`:
    `percent` columns 12.3%, `money` columns in the run's currency ($1.2M, ¥12.3万), other
    floats 1,234.5, integer counts 1,234, dates 2025-11-06; missing values stay empty."""
    from clientbook.present import numbers

    def fmt(f: Any) -> Any:
        return lambda v: "" if numbers.is_missing(v) else f(v)

    out = df.copy()
    for c in out.columns:
        col = out[c]
        if percent and c in percent:
            out[c] = col.map(fmt(lambda v: numbers.format_number(v, "rate", digits=1)))
        elif money and c in money:
            out[c] = col.map(fmt(style.money))
        elif pd.api.types.is_bool_dtype(col):
            continue
        elif pd.api.types.is_float_dtype(col):
            out[c] = col.map(fmt(lambda v: numbers.format_number(v, "ratio", digits=digits)))
        elif pd.api.types.is_integer_dtype(col):
            out[c] = col.map(fmt(lambda v: numbers.format_number(v, "count")))
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.map(fmt(_date_text))
    return out


def _date_text(v: Any) -> str:
    """A date as a reader writes it (2025-11-06), with the time only when there is one."""
    ts = pd.Timestamp(v)
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """A shown table as a reader sees it: dates as dates (never 2025-11-06T00:00:00), missing
    text empty (never <NA>), the dataset's `Unknown` default in the reader's language."""
    out = df.copy()
    unknown = i18n.value_label("common", "Unknown")
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.map(lambda v: "" if pd.isna(v) else _date_text(v))
        elif pd.api.types.is_string_dtype(col) or col.dtype == object:
            out[c] = col.astype(object).map(
                lambda v: (
                    ""
                    if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                    else unknown
                    if v == "Unknown"
                    else v
                )
            )
    return out


def table(df: pd.DataFrame, headline: str, notes: str = "", index: bool = False) -> None:
    """Show a key table: HTML in the report, a native table in the PPTX deck."""
    shown = _dates_as_text(df.reset_index() if index else df)
    html = shown.to_html(index=False, classes="cb-table", border=0, na_rep="")
    meta = {
        "clientbook": {
            "kind": "table",
            "headline": headline,
            "notes": escape_markdown(notes),
            "columns": [str(c) for c in shown.columns],
            "rows": to_jsonable(shown.astype(object).values.tolist()),
        }
    }
    _display(
        {
            "text/html": f"<h4 class='cb-headline'>{escape(headline)}</h4>{html}",
            "text/plain": headline,
        },
        meta,
    )


def missing(table_name: str, step: str) -> None:
    """The standard section for a step whose input table the client did not provide."""
    from clientbook.data.contract import SCHEMAS

    cols = ", ".join(f"`{c.name}`" + ("*" if c.required else "") for c in SCHEMAS[table_name])
    fields = {"table": table_name, "step": i18n.t(f"common.step.{step}")}
    # The column list is our own Markdown (code spans), not data: filled in unescaped.
    _markdown(
        i18n.t("common.missing", columns=cols, **{k: escape_field(v) for k, v in fields.items()}),
        i18n.t("common.missing", columns=cols, **fields),
    )


def labelled(df: pd.DataFrame, topic: str) -> pd.DataFrame:
    """Column headers in the report's language (`<topic>.column.<name>` where it exists)."""
    return df.rename(
        columns={
            c: i18n.t(f"{topic}.column.{c}") for c in df.columns if i18n.has(f"{topic}.column.{c}")
        }
    )


def bullets(lines: list[str]) -> None:
    """Findings as a bulleted list (each line escaped like `text`, one line a bullet)."""
    text("\n".join(f"- {' '.join(str(line).split())}" for line in lines))


class TooLittleData(Exception):  # noqa: N818 - named for what a consultant reads
    """Stops a playbook whose slice has too little data for the step, after the standard
    section saying so. The runner counts the step as done (the report shows the section),
    not as failed; a notebook reader sees the section and no traceback."""

    def _render_traceback_(self) -> list[str]:
        return []


def data_shortage(book: Book) -> str | None:
    """Why the slice has too little data for an analysis of customers' purchases (catalogue
    key under `common.too_little.`), or None: no orders, or no customer with net purchases
    (every order a refund or zero)."""
    orders = book.orders
    if orders is None or orders.empty:
        return "no_orders"
    net = orders.groupby("customer_id", observed=True)["amount"].sum()
    if not (net > 0).any():
        return "no_revenue"
    return None


def stop_if_too_little(book: Book) -> None:
    """Show the "too little data" section and stop the playbook (`TooLittleData`) when the
    slice has no customer with net purchases; do nothing otherwise."""
    reason = data_shortage(book)
    if reason is None:
        return
    say("common.too_little_data", reason=i18n.t(f"common.too_little.{reason}"))
    raise TooLittleData(i18n.t(f"common.too_little.{reason}"))
