"""Data audit: what the export holds and what is wrong with it, in a consultant's words."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from clientbook.config.audit_file import TABLES
from clientbook.data.book import Book
from clientbook.present import i18n, style
from clientbook.steps.classification import customer_orders


def overview(book: Book) -> pd.DataFrame:
    """Per table present: rows and the dates it covers."""
    date_cols = {
        "orders": "order_date",
        "surveys": "survey_date",
        "tickets": "opened_at",
        "leads": "created_date",
        "customers": "signup_date",
    }
    rows = []
    for t in TABLES:
        df = getattr(book, t)
        if df is None:
            continue
        col = date_cols.get(t)
        first = df[col].min() if col and col in df and len(df) else pd.NaT
        last = df[col].max() if col and col in df and len(df) else pd.NaT
        rows.append(
            {
                "table": i18n.value_label("table", t),
                "rows": len(df),
                "from": "" if pd.isna(first) else first.date().isoformat(),
                "to": "" if pd.isna(last) else last.date().isoformat(),
            }
        )
    return pd.DataFrame(rows)


def _bought(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders (lines rolled up) with a positive net amount: a refund order is not an order."""
    o = customer_orders(orders)
    return o[o["amount"] > 0]


def table_names(df: pd.DataFrame) -> pd.DataFrame:
    """A table about the export with its `table` column in the reader's language."""
    return i18n.value_labels(df, {"table": "table"})


def headline_numbers(book: Book) -> dict[str, float]:
    """The export to the window end: customers, buying customers, orders (refund orders not
    counted), net revenue and the refund share of gross sales."""
    o = _bought(book.orders)
    gross = book.orders.loc[book.orders["amount"] > 0, "amount"].sum()
    return {
        "customers": int(book.customers["customer_id"].nunique()),
        "buying_customers": int(o["customer_id"].nunique()),
        "orders": int(len(o)),
        "revenue": float(book.orders["amount"].sum()),
        "refund_share": float(
            -book.orders.loc[book.orders["amount"] < 0, "amount"].sum() / max(gross, 1e-9)
        ),
    }


def window_metrics(book: Book) -> dict[str, tuple[float, int | None]]:
    """The data audit's registered KPIs (``clientbook.metrics``): key -> (value, n).

    Flow figures (buyers, orders, revenue, refund share) count the order lines dated in the
    slice's current period (`book.window("period")`); customers and revenue to date are as at
    its end, so a period slice describes its period, not a running total.
    """
    window = book.window("period")
    lines = book.orders
    if window is not None:
        d = lines["order_date"].dt.normalize()
        to_date = lines[d <= window[1]]
        lines = lines[(d >= window[0]) & (d <= window[1])]
    else:
        to_date = lines
    o = _bought(lines)
    gross = float(lines.loc[lines["amount"] > 0, "amount"].sum())
    refunds = float(-lines.loc[lines["amount"] < 0, "amount"].sum())
    customers = int(book.customers["customer_id"].nunique())
    return {
        "customers": (customers, customers),
        "buyers": (int(o["customer_id"].nunique()), None),
        "orders": (int(len(o)), None),
        "revenue": (float(lines["amount"].sum()), int(len(lines))),
        "revenue_to_date": (float(to_date["amount"].sum()), int(len(to_date))),
        "refund_share": (refunds / gross if gross > 0 else float("nan"), int(len(lines))),
    }


def findings_table(manifest: dict[str, Any]) -> pd.DataFrame:
    """The data-quality findings of the whole export, one row per check and table."""
    rows = []
    for f in manifest.get("findings", []):
        action = i18n.t(f"data_audit.action.{f['action'].split(' ')[0]}")
        if i18n.has(f"data_audit.note.{f['check']}"):
            action += f" ({i18n.t('data_audit.note.' + f['check'])})"
        rows.append(
            {
                "table": f["table"],
                "check": i18n.t(f"data_audit.check.{f['check']}"),
                "column": f["column"] or "",
                "count": f["count"],
                "action": action,
                "rows": ", ".join(str(r) for r in f["rows"][:8])
                + (" ..." if f["count"] > 8 else ""),
                "examples": ", ".join(f["samples"][:3]),
                "file": f["file"].rsplit("/", 1)[-1],
            }
        )
    return pd.DataFrame(
        rows, columns=["table", "check", "column", "count", "action", "rows", "examples", "file"]
    )


def region_note(book: Book) -> str | None:
    """On a region slice attributed by order: that customers also buy elsewhere (else None)."""
    if book.region is None or book.manifest.get("region_from") != "order":
        return None
    info = next((r for r in book.manifest.get("regions", []) if r["name"] == book.region), None)
    if info is None:
        return None
    return i18n.t(
        "data_audit.region_from_order",
        region=html.escape(book.region),
        customers=f"{info['customers']:,}",
        shared=f"{info.get('shared', 0):,}",
    )


def completeness(df: pd.DataFrame) -> pd.DataFrame:
    """Share of filled values per column, worst first."""
    filled = df.notna().mean().sort_values()
    return pd.DataFrame({"column": filled.index, "filled": filled.to_numpy()})


def monthly_activity(orders: pd.DataFrame) -> pd.DataFrame:
    """Per month: orders and buying customers (refund orders not counted) and net revenue
    (refunds deducted in the month they were booked)."""
    o = customer_orders(orders)
    month = o["order_date"].dt.to_period("M").dt.to_timestamp()
    bought = o["amount"] > 0
    g, b = o.groupby(month), o[bought].groupby(month[bought])
    out = pd.DataFrame(
        {"orders": b.size(), "revenue": g["amount"].sum(), "customers": b["customer_id"].nunique()}
    )
    out[["orders", "customers"]] = out[["orders", "customers"]].fillna(0).astype("int64")
    return out.rename_axis("month")


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


def findings(book: Book, currency: str | None = None) -> list[str]:
    from clientbook.present.numbers import format_number
    from clientbook.present.results import format_metric

    lang = i18n.current()
    currency = currency or book.manifest.get("currency")
    n = headline_numbers(book)
    m = window_metrics(book)
    out = [
        i18n.t(
            "data_audit.finding.size",
            customers=format_number(n["customers"], "count"),
            orders=format_number(n["orders"], "count"),
            revenue=format_metric("revenue_to_date", m["revenue_to_date"][0], lang, currency),
            start=book.orders["order_date"].min().date().isoformat(),
            end=book.orders["order_date"].max().date().isoformat(),
        )
    ]
    if book.period is not None:
        out.append(
            i18n.t(
                "metrics.finding.window",
                window=book.period.label,
                buyers=format_metric("buyers", m["buyers"][0], lang),
                orders=format_metric("orders", m["orders"][0], lang),
                revenue=format_metric("revenue", m["revenue"][0], lang, currency),
            )
        )
    issues = book.manifest.get("findings", [])
    if issues:
        excluded = sum(f["count"] for f in issues if f["action"] == "excluded")
        out.append(i18n.t("data_audit.finding.quality", n=len(issues), excluded=excluded))
    else:
        out.append(i18n.t("data_audit.finding.clean"))
    return out
