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
    style.apply(book.lang, currency=(book.manifest or {}).get("currency"))
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


def chart(fig: Any, headline: str, notes: str = "") -> None:
    """Show a key chart: it becomes a slide and a PPTX page with this headline."""
    import base64

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    meta = {"clientbook": {"kind": "chart", "headline": headline, "notes": notes}}
    _display({"image/png": png, "text/plain": headline}, meta)


def format_table(df: pd.DataFrame, percent: list[str] | None = None,
                 money: list[str] | None = None, digits: int = 1) -> pd.DataFrame:
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
                lambda v: "" if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                else unknown if v == "Unknown" else v)
    return out


def table(df: pd.DataFrame, headline: str, notes: str = "", index: bool = False) -> None:
    """Show a key table: HTML in the report, a native table in the PPTX deck."""
    shown = _dates_as_text(df.reset_index() if index else df)
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
