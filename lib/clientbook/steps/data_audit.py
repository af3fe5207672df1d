"""Data audit: what the export holds and what is wrong with it, in a consultant's words."""

from __future__ import annotations

from typing import Any

import pandas as pd

from clientbook.config.audit_file import TABLES
from clientbook.data.book import Book
from clientbook.present import i18n, style
from clientbook.steps.classification import customer_orders


def overview(book: Book) -> pd.DataFrame:
    """Per table present: rows and the dates it covers."""
    date_cols = {"orders": "order_date", "surveys": "survey_date", "tickets": "opened_at",
                 "leads": "created_date", "customers": "signup_date"}
    rows = []
    for t in TABLES:
        df = getattr(book, t)
        if df is None:
            continue
        col = date_cols.get(t)
        first = df[col].min() if col and col in df and len(df) else pd.NaT
        last = df[col].max() if col and col in df and len(df) else pd.NaT
        rows.append({"table": i18n.value_label("table", t), "rows": len(df),
                     "from": "" if pd.isna(first) else first.date().isoformat(),
                     "to": "" if pd.isna(last) else last.date().isoformat()})
    return pd.DataFrame(rows)


def table_names(df: pd.DataFrame) -> pd.DataFrame:
    """A table about the export with its `table` column in the reader's language."""
    return i18n.value_labels(df, {"table": "table"})


def headline_numbers(book: Book) -> dict[str, float]:
    o = customer_orders(book.orders)
    return {
        "customers": int(book.customers["customer_id"].nunique()),
        "buying_customers": int(o["customer_id"].nunique()),
        "orders": int(len(o)),
        "revenue": float(book.orders["amount"].sum()),
        "refund_share": float(-book.orders.loc[book.orders["amount"] < 0, "amount"].sum()
                              / max(book.orders.loc[book.orders["amount"] > 0, "amount"].sum(),
                                    1e-9)),
    }


def findings_table(manifest: dict[str, Any]) -> pd.DataFrame:
    """The data-quality findings of the whole export, one row per check and table."""
    rows = []
    for f in manifest.get("findings", []):
        rows.append({
            "table": f["table"],
            "check": i18n.t(f"data_audit.check.{f['check']}"),
            "column": f["column"] or "",
            "count": f["count"],
            "action": i18n.t(f"data_audit.action.{f['action'].split(' ')[0]}"),
            "rows": ", ".join(str(r) for r in f["rows"][:8]) + (" ..." if f["count"] > 8 else ""),
            "examples": ", ".join(f["samples"][:3]),
            "file": f["file"].rsplit("/", 1)[-1],
        })
    return pd.DataFrame(rows, columns=["table", "check", "column", "count", "action", "rows",
                                       "examples", "file"])


def completeness(df: pd.DataFrame) -> pd.DataFrame:
    """Share of filled values per column, worst first."""
    filled = df.notna().mean().sort_values()
    return pd.DataFrame({"column": filled.index, "filled": filled.to_numpy()})


def monthly_activity(orders: pd.DataFrame) -> pd.DataFrame:
    o = customer_orders(orders)
    month = o["order_date"].dt.to_period("M").dt.to_timestamp()
    g = o.groupby(month)
    return pd.DataFrame({"orders": g.size(), "revenue": g["amount"].sum(),
                         "customers": g["customer_id"].nunique()}).rename_axis("month")


def activity_chart(monthly: pd.DataFrame) -> Any:
    fig, ax = style.fig()
    ax.bar(monthly.index, monthly["revenue"], width=20, color=style.PRIMARY)
    ax.set_title(i18n.t("data_audit.chart.activity"))
    ax.set_ylabel(i18n.t("data_audit.chart.revenue"))
    ax.yaxis.set_major_formatter(lambda v, _: style.money(v))
    ax2 = ax.twinx()
    ax2.plot(monthly.index, monthly["customers"], color=style.ACCENT, marker="o", ms=3)
    ax2.set_ylabel(i18n.t("data_audit.chart.customers"))
    ax2.grid(False)
    return fig


def findings(book: Book) -> list[str]:
    n = headline_numbers(book)
    out = [i18n.t("data_audit.finding.size", customers=f"{n['customers']:,}",
                  orders=f"{n['orders']:,}", revenue=style.money(n["revenue"]),
                  start=book.orders["order_date"].min().date().isoformat(),
                  end=book.orders["order_date"].max().date().isoformat())]
    issues = book.manifest.get("findings", [])
    if issues:
        excluded = sum(f["count"] for f in issues if f["action"] == "excluded")
        out.append(i18n.t("data_audit.finding.quality", n=len(issues), excluded=excluded))
    else:
        out.append(i18n.t("data_audit.finding.clean"))
    return out
