"""The key-account archive (客户档案): one card per most valuable customer of a slice.

`key_accounts(book, plan)` gathers, for the top accounts by value (the action plan's value at
stake: CLV when the models are trusted, else the last 12 months' revenue): the RFM segment now
and at the end of each of the last periods, orders and revenue per period, CLV and P(alive),
churn risk, satisfaction (survey answers, last NPS score, CSAT share) and tickets (open ones),
the next best offer (the customer-level cross-sell rule of the sales step), the suggested action
of the action plan and the owner (the sales rep of the customer's latest lead). Names, e-mails
and phones are masked unless the audit sets `mask_pii: false`.

`write_archive` renders `accounts.html` (template `templates/clientbook_accounts`, every data
string escaped by Jinja's autoescape) and adds the "Key accounts" sheet to `actions.xlsx`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from clientbook.config.resources import templates_dir
from clientbook.data.book import Book, Period, period_labels
from clientbook.present import i18n, numbers

TEMPLATES = templates_dir() / "clientbook_accounts"
DEFAULT_TOP = 20
HISTORY = 4  # periods of segment history
ORDER_PERIODS = 8  # periods of the orders-over-time bars
SATISFIED_FROM = 4  # CSAT 4-5 on a 1..5 scale (satisfaction.SATISFIED_FROM)


def _periods(book: Book, n: int) -> list[Period]:
    """The slice's current period and the n-1 before it, oldest first."""
    if book.period is None:
        return []
    out = [book.period]
    while len(out) < n:
        out.append(out[-1].previous(book.period_freq))
    return out[::-1]


def _segment_history(book: Book, ids: pd.Index, periods: list[Period]) -> dict[str, list]:
    """Per customer: [(period label, segment name)] at the end of each period they had bought."""
    from clientbook.steps import classification as cls

    out: dict[str, list] = {c: [] for c in ids}
    for p in periods:
        end = min(p.end, book.as_of)
        o = book.orders[book.orders["order_date"] <= end]
        if o.empty:
            continue
        c = cls.classify(o, book.customers, end, book.settings)
        c = c[c["customer_id"].astype("string").isin(ids)]
        for cid, seg in zip(c["customer_id"].astype("string"), c["segment"], strict=True):
            out[cid].append(
                (
                    p.label,
                    i18n.t(f"classification.segment.{seg}")
                    if i18n.has(f"classification.segment.{seg}")
                    else str(seg),
                )
            )
    return out


def _orders_over_time(book: Book, ids: pd.Index, periods: list[Period]) -> dict[str, list]:
    """Per customer: [(period label, orders, revenue)] for each period, zeros included."""
    o = book.orders[book.orders["customer_id"].astype("string").isin(ids)]
    labels = [p.label for p in periods]
    out: dict[str, list] = {c: [(lab, 0, 0.0) for lab in labels] for c in ids}
    if o.empty or not labels:
        return out
    o = o.assign(
        period=period_labels(o["order_date"], book.period_freq),
        cid=o["customer_id"].astype("string"),
    )
    g = (
        o[o["period"].isin(labels)]
        .groupby(["cid", "period"])
        .agg(orders=("order_id", "nunique"), revenue=("amount", "sum"))
    )
    for cid in ids:
        if cid in g.index.get_level_values(0):
            sub = g.loc[cid]
            out[cid] = [
                (lab, int(sub["orders"].get(lab, 0)), float(sub["revenue"].get(lab, 0.0)))
                for lab in labels
            ]
    return out


def _satisfaction(book: Book, ids: pd.Index) -> pd.DataFrame:
    cols = ["answers", "nps", "csat"]
    s = book.surveys
    if s is None or s.empty:
        return pd.DataFrame(columns=cols, index=ids)
    s = s.assign(cid=s["customer_id"].astype("string"))
    s = s[s["cid"].isin(ids)].sort_values("survey_date")
    g = s.groupby("cid")
    out = pd.DataFrame({"answers": g.size()})
    if "nps_score" in s:
        out["nps"] = g["nps_score"].agg(lambda x: x.dropna().iloc[-1] if x.notna().any() else None)
    if "csat_score" in s:
        out["csat"] = g["csat_score"].agg(
            lambda x: float((x.dropna() >= SATISFIED_FROM).mean()) if x.notna().any() else None
        )
    return out.reindex(index=ids, columns=cols)


def _tickets(book: Book, ids: pd.Index) -> pd.DataFrame:
    t = book.tickets
    if t is None or t.empty:
        return pd.DataFrame(columns=["tickets", "open_tickets"], index=ids)
    t = t.assign(cid=t["customer_id"].astype("string"))
    t = t[t["cid"].isin(ids)]
    resolved = (
        (pd.to_datetime(t["resolved_at"]) <= book.as_of)
        if "resolved_at" in t
        else pd.Series(False, index=t.index)
    )
    t = t.assign(open=~resolved.fillna(False).astype(bool))
    g = t.groupby("cid")
    return pd.DataFrame({"tickets": g.size(), "open_tickets": g["open"].sum()}).reindex(ids)


def _owners(book: Book, ids: pd.Index) -> pd.Series:
    leads = book.leads
    if leads is None or leads.empty or not {"customer_id", "owner"} <= set(leads.columns):
        return pd.Series(pd.NA, index=ids, dtype="string")
    lv = leads.dropna(subset=["customer_id", "owner"])
    lv = lv.assign(cid=lv["customer_id"].astype("string")).sort_values("created_date")
    return lv.groupby("cid")["owner"].last().astype("string").reindex(ids)


def _offers(book: Book, ids: pd.Index) -> pd.DataFrame:
    from clientbook.steps import sales

    if "product" not in book.orders:
        return pd.DataFrame(columns=["offer", "because"], index=ids)
    rules = sales.pair_rules(book.orders, basket="customer_id")
    best = sales.best_offers(book.orders, rules)
    return best.set_index(best["customer_id"].astype("string"))[["offer", "because"]].reindex(ids)


def key_accounts(
    book: Book,
    plan: Any = None,
    top: int = DEFAULT_TOP,
    mask: bool = True,
    p_alive: pd.Series | None = None,
) -> pd.DataFrame:
    """The top `top` accounts by value, one row each (see the module docstring); list columns
    `segment_history` [(period, segment)] and `orders_over_time` [(period, orders, revenue)].
    `plan` is the slice's action plan (built when not given); `p_alive` per customer_id (from
    the value step's model; computed when not given and the model is trusted)."""
    from clientbook.steps import action_plan as strategy
    from clientbook.steps import value

    if plan is None:
        plan = strategy.action_plan(book, *strategy.forecasts(book))
    prof = plan.customers.copy()
    if prof.empty:
        return pd.DataFrame()
    prof["customer_id"] = prof["customer_id"].astype("string")
    prof = prof.sort_values(["value", "monetary"], ascending=False, kind="stable").head(top)
    ids = pd.Index(prof["customer_id"], dtype="string")
    if p_alive is None:
        pv = value.predict(book.orders, book.as_of, value.settings(book.settings))
        p_alive = pv.customers["p_alive"] if getattr(pv, "ok", False) else None
    if mask:
        prof = strategy.mask_pii(prof)
    out = pd.DataFrame(index=ids)
    for c in ("name", "email", "phone", "region", "channel"):
        out[c] = prof[c].to_numpy() if c in prof else None
    out["segment"] = [
        i18n.t(f"classification.segment.{s}") if i18n.has(f"classification.segment.{s}") else s
        for s in prof["rfm_segment"]
    ]
    out["tier"] = prof["tier"].to_numpy()
    out["orders"] = prof["frequency"].to_numpy()
    out["value"] = prof["monetary"].to_numpy()
    out["first_order"] = (
        pd.to_datetime(prof["first_order"]).to_numpy() if "first_order" in prof else pd.NaT
    )
    out["last_order"] = (
        (book.as_of - pd.to_timedelta(prof["recency_days"], unit="D")).dt.normalize().to_numpy()
    )
    out["clv"] = prof["clv"].to_numpy() if "clv" in prof else None
    pa = None if p_alive is None else p_alive.set_axis(p_alive.index.astype("string"))
    out["p_alive"] = pa.reindex(ids).to_numpy() if pa is not None else None
    out["churn_risk"] = prof["churn_risk"].to_numpy() if "churn_risk" in prof else None
    sat = _satisfaction(book, ids)
    out["answers"], out["nps"], out["csat"] = sat["answers"], sat["nps"], sat["csat"]
    tk = _tickets(book, ids)
    out["tickets"], out["open_tickets"] = tk["tickets"], tk["open_tickets"]
    offers = _offers(book, ids)
    out["next_offer"], out["because"] = offers["offer"], offers["because"]
    out["action"] = [strategy.action_name(a) for a in prof["action"]] if "action" in prof else None
    out["owner"] = _owners(book, ids)
    periods = _periods(book, max(HISTORY, ORDER_PERIODS))
    history = _segment_history(book, ids, periods[-HISTORY:])
    over_time = _orders_over_time(book, ids, periods[-ORDER_PERIODS:])
    out["segment_history"] = [history.get(c, []) for c in ids]
    out["orders_over_time"] = [over_time.get(c, []) for c in ids]
    return out.rename_axis("customer_id").reset_index()


def history_text(history: list) -> str:
    """'2025-Q1: Loyal → 2025-Q2: Champions' (a segment kept is written once per run)."""
    parts: list[str] = []
    last = None
    for label, seg in history:
        if seg != last:
            parts.append(f"{label}: {seg}")
            last = seg
    return " → ".join(parts)


# Sheet columns (accounts.column.<key>), in order; contacts only when present.
SHEET_COLUMNS = [
    "customer_id",
    "name",
    "email",
    "phone",
    "region",
    "segment",
    "segment_history",
    "tier",
    "orders",
    "value",
    "last_order",
    "clv",
    "p_alive",
    "churn_risk",
    "csat",
    "open_tickets",
    "next_offer",
    "owner",
]


def sheet(accounts: pd.DataFrame) -> pd.DataFrame:
    """The accounts as the "Key accounts" sheet: catalogue headers, history as text."""
    if accounts.empty:
        return pd.DataFrame(columns=[i18n.t("accounts.column.customer")])
    df = accounts.copy()
    df["segment_history"] = df["segment_history"].map(history_text)
    for c in ("region", "channel"):
        if c in df:
            df[c] = df[c].map(lambda v: i18n.value_label("region", v) if pd.notna(v) else v)
    cols = [
        c
        for c in SHEET_COLUMNS
        if c in df and not (c in ("name", "email", "phone") and df[c].isna().all())
    ]
    df = df[cols]
    for c in ("orders", "open_tickets"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    for c in ("value", "clv", "p_alive", "churn_risk", "csat"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    key = {"customer_id": "customer"}
    return df.rename(columns={c: i18n.t(f"accounts.column.{key.get(c, c)}") for c in cols})


def _bars(points: list, width: int = 220, height: int = 44) -> dict[str, Any]:
    """Orders-over-time bars as SVG rectangles (numbers only, nothing from the data as text)."""
    n = max(len(points), 1)
    top = max([p[2] for p in points] + [0.0]) or 1.0
    slot = width / n
    bars = []
    for i, (label, orders, revenue) in enumerate(points):
        h = 0 if revenue <= 0 else max(2.0, (height - 4) * revenue / top)
        bars.append(
            {
                "x": round(i * slot + 2, 1),
                "y": round(height - h, 1),
                "w": round(slot - 4, 1),
                "h": round(h, 1),
                "label": label,
                "orders": orders,
                "revenue": revenue,
            }
        )
    return {"width": width, "height": height, "bars": bars}


def render_html(
    accounts: pd.DataFrame,
    path: Path,
    *,
    client: str,
    slice_text: str,
    as_of: str,
    lang: str,
    currency: str | None,
    masked: bool,
    primary_color: str = "#1f4e79",
) -> Path:
    """accounts.html: a summary table, then one card per account (Jinja autoescape)."""

    def fmt(value: Any, unit: str) -> str:
        return numbers.format_number(value, unit, lang=lang, currency=currency)

    cards = []
    for i, r in enumerate(accounts.to_dict("records")):
        over = r["orders_over_time"]
        cards.append(
            {
                **{
                    k: ("" if v is None or (not isinstance(v, list) and pd.isna(v)) else v)
                    for k, v in r.items()
                    if k not in ("segment_history", "orders_over_time")
                },
                "anchor": f"acc-{i + 1}",
                "rank": i + 1,
                "region": i18n.value_label("region", r.get("region")),
                "channel": i18n.value_label("channel", r.get("channel")),
                "value_text": fmt(r["value"], "money"),
                "clv_text": fmt(r["clv"], "money"),
                "p_alive_text": fmt(r["p_alive"], "rate"),
                "risk_text": fmt(r["churn_risk"], "rate"),
                "csat_text": fmt(r["csat"], "rate"),
                "nps_text": fmt(r["nps"], "score"),
                "orders_text": fmt(r["orders"], "count"),
                "answers_text": fmt(r["answers"], "count"),
                "open_text": fmt(r["open_tickets"], "count"),
                "tickets_text": fmt(r["tickets"], "count"),
                "last_order_text": "" if pd.isna(r["last_order"]) else str(r["last_order"])[:10],
                "history": r["segment_history"],
                "bars": _bars(over),
                "bar_titles": [
                    f"{lab}: {fmt(n, 'count')} · {fmt(rev, 'money')}" for lab, n, rev in over
                ],
            }
        )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    page = env.get_template("accounts.html.j2").render(
        t=i18n.t,
        lang=lang,
        client=client,
        slice_text=slice_text,
        as_of=as_of,
        cards=cards,
        masked=masked,
        primary_color=primary_color,
        date=dt.date.today().isoformat(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def write_archive(
    book: Book, accounts: pd.DataFrame, *, masked: bool, client: str | None = None
) -> Path:
    """accounts.html next to the slice's report and the "Key accounts" sheet of actions.xlsx."""
    from clientbook.deliver import xlsx

    manifest = book.manifest or {}
    slice_text = (
        i18n.t("common.report.all")
        if book.slice_id == "all"
        else i18n.value_label("region", book.slice_label)
    )
    out = render_html(
        accounts,
        Path(book.output_dir) / "accounts.html",
        client=client or manifest.get("client") or "",
        slice_text=slice_text,
        as_of=str(book.as_of)[:10],
        lang=i18n.current(),
        currency=manifest.get("currency"),
        masked=masked,
    )
    xlsx.write_action_lists(
        Path(book.output_dir) / "actions.xlsx", {i18n.t("accounts.sheet"): sheet(accounts)}
    )
    return out
