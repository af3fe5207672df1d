"""Churn warning and win-back: which valuable customers are slipping away, why, and what to do.

The risk score blends two views, each 0..1:
- the model's view, 1 - P(alive) from BG/NBD (when the slice had enough data to fit it);
- the customer's own rhythm: days since the last purchase against the customer's usual
  interval (median days between its purchases; the book's median for one-time buyers).
  At the usual interval the rhythm risk is 0, at `overdue_multiple` x the interval it is 1.
Reason codes are catalogue keys (``churn.reason.*``) so the list reads in the run's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clientbook.clv.utils import purchases
from clientbook.present.i18n import t
from clientbook.steps.retention import customer_rhythm

REASONS = ("overdue", "one_time_lapsed", "spend_falling", "low_p_alive")

# First matching rule wins. Conditions: reasons_any (list of reason codes), min_value_percentile
# (0..1, the customer's value rank in the book), min_risk, max_purchases, min_purchases.
# `action` is a catalogue key (churn.action.*) or the literal text to show.
DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "reasons_any": ["overdue", "low_p_alive"],
        "min_value_percentile": 0.9,
        "action": "churn.action.personal_call",
    },
    {"reasons_any": ["spend_falling"], "action": "churn.action.check_in"},
    {"reasons_any": ["one_time_lapsed"], "action": "churn.action.second_purchase"},
    {"reasons_any": ["overdue", "low_p_alive"], "action": "churn.action.reminder_offer"},
    {"action": "churn.action.watch"},
]
_CONDITIONS = {"reasons_any", "min_value_percentile", "min_risk", "max_purchases", "min_purchases"}


def churn_risk(
    orders: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    p_alive: pd.Series | None = None,
    overdue_multiple: float = 3.0,
    spend_drop: float = 0.3,
    low_p_alive: float = 0.3,
    model_weight: float = 0.5,
    fallback_interval_days: float | None = None,
    min_interval_days: float = 0.0,
) -> pd.DataFrame:
    """Risk score (0..1) and reason codes per customer.

    Reasons: `overdue` (a repeat buyer silent for >= overdue_multiple x its usual interval),
    `one_time_lapsed` (a one-time buyer silent that long against the book's usual interval),
    `spend_falling` (>= 4 purchases and the last two average `spend_drop` less than the
    earlier ones), `low_p_alive` (P(alive) below `low_p_alive`).
    `fallback_interval_days` is the usual interval to assume when nobody in the slice bought
    twice (no rhythm to learn from); without it those customers get no rhythm risk.
    `min_interval_days` floors the usual interval, so a customer who buys every few days is
    not flagged after a quiet week.
    """
    rhythm = customer_rhythm(orders, as_of)
    book_gap = float(rhythm["median_gap_days"].median())
    if not np.isfinite(book_gap) or book_gap <= 0:
        # Nobody bought twice: no rhythm to learn, so use the caller's fallback (if any).
        book_gap = fallback_interval_days if fallback_interval_days else np.nan
    own = rhythm["median_gap_days"].where(rhythm["median_gap_days"] > 0)
    usual = own.fillna(book_gap).clip(lower=min_interval_days or None)
    out = rhythm[["purchases", "last_purchase", "days_since_last"]].copy()
    out["usual_interval_days"] = usual
    out["overdue_ratio"] = rhythm["days_since_last"] / usual
    rhythm_risk = ((out["overdue_ratio"] - 1.0) / (overdue_multiple - 1.0)).clip(0.0, 1.0)
    out["spend_trend"] = _spend_trend(orders, as_of)
    if p_alive is not None:
        pa = p_alive.copy()
        pa.index = pa.index.astype("string")
        out["p_alive"] = pa.reindex(out.index)
        model_risk = 1.0 - out["p_alive"]
        risk = (model_weight * model_risk + (1 - model_weight) * rhythm_risk).fillna(rhythm_risk)
    else:
        out["p_alive"] = np.nan
        risk = rhythm_risk
    out["risk"] = risk.fillna(0.0).clip(0.0, 1.0)

    overdue = out["overdue_ratio"] >= overdue_multiple
    flags = {
        "overdue": overdue & own.notna(),
        "one_time_lapsed": overdue & (out["purchases"] == 1),
        "spend_falling": out["spend_trend"] <= 1.0 - spend_drop,
        "low_p_alive": out["p_alive"] < low_p_alive,
    }
    codes = pd.Series("", index=out.index, dtype="string")
    for code in REASONS:
        codes = codes.where(~flags[code].fillna(False), codes + ";" + code)
    out["reasons"] = codes.str.lstrip(";")
    return out.sort_values("risk", ascending=False)


def value_at_risk(churn_risk: pd.Series, revenue: pd.Series) -> pd.Series:
    """The one definition of value at risk, per customer: churn risk (0..1) x the customer's
    historical revenue to as_of (net; a net refunder counts as 0). It does not depend on the
    value forecast, so it means the same in every slice, trusted forecast or not; every step
    and deliverable that shows a value at risk sums this."""
    return churn_risk.fillna(0.0).clip(0.0, 1.0) * revenue.fillna(0.0).clip(lower=0.0)


def _spend_trend(orders: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.Series:
    """Mean of the last two purchases / mean of the earlier ones (NaN under 4 purchases)."""
    p = purchases(orders, as_of)
    n = p.groupby("customer_id", observed=True)["amount"].transform("size")
    pos = p.groupby("customer_id", observed=True).cumcount()
    p = p[n >= 4].assign(recent=(pos >= n - 2)[n >= 4])
    means = p.groupby(["customer_id", "recent"], observed=True)["amount"].mean().unstack()
    if means.empty:
        return pd.Series(dtype=float)
    earlier = means[False].where(means[False] > 0)
    return (means[True] / earlier).rename("spend_trend")


def reason_text(reasons: str, overdue_ratio: float = np.nan, spend_trend: float = np.nan) -> str:
    """Reason codes ("overdue;spend_falling") as one readable line in the current language."""
    parts = []
    for code in [c for c in str(reasons).split(";") if c]:
        parts.append(
            t(
                f"churn.reason.{code}",
                ratio=f"{overdue_ratio:.1f}" if np.isfinite(overdue_ratio) else "?",
                drop=f"{(1 - spend_trend) * 100:.0f}" if np.isfinite(spend_trend) else "?",
            )
        )
    return "; ".join(parts)


def at_risk_high_value(
    risk: pd.DataFrame,
    value: pd.Series,
    min_risk: float = 0.5,
    min_value_percentile: float = 0.5,
    top: int | None = 100,
) -> pd.DataFrame:
    """At-risk customers in the upper part of the book by value, ranked by value at risk.

    `value` is each customer's historical revenue to as_of (the basis of `value_at_risk`);
    its percentile is taken over the whole book. value_at_risk = `value_at_risk(risk, value)`.
    """
    v = value.copy()
    v.index = v.index.astype("string")
    df = risk.join(v.rename("value"), how="left")
    df["value"] = df["value"].fillna(0.0)
    df["value_percentile"] = df["value"].rank(pct=True, method="max")
    df["value_at_risk"] = value_at_risk(df["risk"], df["value"])
    keep = (df["risk"] >= min_risk) & (df["value"] > 0)
    keep &= df["value_percentile"] >= min_value_percentile
    out = df[keep].sort_values(["value_at_risk", "value"], ascending=False)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top else out


def _matches(rule: Mapping[str, Any], row: pd.Series) -> bool:
    codes = set(str(row.get("reasons", "")).split(";")) - {""}
    if "reasons_any" in rule and not codes & set(rule["reasons_any"]):
        return False
    checks = (
        ("min_value_percentile", "value_percentile", lambda v, lim: v >= lim),
        ("min_risk", "risk", lambda v, lim: v >= lim),
        ("max_purchases", "purchases", lambda v, lim: v <= lim),
        ("min_purchases", "purchases", lambda v, lim: v >= lim),
    )
    for key, col, ok in checks:
        if key in rule:
            v = row.get(col, np.nan)
            if pd.isna(v) or not ok(float(v), float(rule[key])):
                return False
    return True


def check_rules(rules: Sequence[Mapping[str, Any]]) -> None:
    """Raise a clear error for a mistyped rule (the audit file is edited by hand)."""
    for i, rule in enumerate(rules, 1):
        if "action" not in rule:
            raise ValueError(f"win-back rule {i} has no 'action'")
        unknown = set(rule) - _CONDITIONS - {"action"}
        if unknown:
            raise ValueError(
                f"win-back rule {i}: unknown condition(s) {sorted(unknown)}; "
                f"use {sorted(_CONDITIONS)}"
            )
        bad = set(rule.get("reasons_any", [])) - set(REASONS)
        if bad:
            raise ValueError(f"win-back rule {i}: unknown reason(s) {sorted(bad)}; use {REASONS}")


def win_back_actions(
    at_risk: pd.DataFrame, rules: Sequence[Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """Adds `action` (text in the current language) and `action_key` from the first matching
    rule; rules default to DEFAULT_RULES (an audit can pass its own list)."""
    rules = list(rules) if rules is not None else DEFAULT_RULES
    check_rules(rules)
    keys = []
    for _, row in at_risk.iterrows():
        keys.append(next((r["action"] for r in rules if _matches(r, row)), ""))
    out = at_risk.copy()
    out["action_key"] = pd.Series(keys, index=out.index, dtype="string")
    out["action"] = [
        t(k) if k.startswith("churn.action.") else k for k in out["action_key"].tolist()
    ]
    out["reason_text"] = [
        reason_text(r, o, s)
        for r, o, s in zip(out["reasons"], out["overdue_ratio"], out["spend_trend"], strict=True)
    ]
    return out


def win_back_sheet(at_risk: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    """The win-back list as a client reads it: translated headers, rounded numbers."""
    cols = {
        "rank": "churn.column.rank",
        "customer_id": "churn.column.customer",
        **{c: f"churn.column.{c}" for c in extra},
        "value": "churn.column.value",
        "risk": "churn.column.risk",
        "value_at_risk": "churn.column.value_at_risk",
        "days_since_last": "churn.column.days_since_last",
        "usual_interval_days": "churn.column.usual_interval",
        "last_purchase": "churn.column.last_purchase",
        "reason_text": "churn.column.reasons",
        "action": "churn.column.action",
    }
    df = at_risk.reset_index()
    df = df[[c for c in cols if c in df]].copy()
    for c in ("value", "value_at_risk", "usual_interval_days"):
        if c in df:
            df[c] = df[c].round(0).astype("Int64")
    if "risk" in df:
        df["risk"] = df["risk"].round(2)
    if "last_purchase" in df:
        df["last_purchase"] = df["last_purchase"].dt.normalize()
    return df.rename(columns={c: t(k) for c, k in cols.items()})


def risk_chart(risk: pd.DataFrame, min_risk: float | None = None) -> Any:
    """How churn risk spreads over the customers (0 = buying as usual, 1 = gone), with the
    threshold above which a valuable customer goes on the win-back list."""
    import seaborn as sns

    from clientbook.present import style

    fig, ax = style.fig(8.0, 3.4)
    sns.histplot(
        x=risk["risk"].astype(float),
        ax=ax,
        bins=20,
        binrange=(0, 1),
        color=style.PRIMARY,
        edgecolor="white",
    )
    if min_risk is not None:
        ax.axvline(
            min_risk,
            color=style.BAD,
            ls="--",
            lw=1.2,
            label=t("distributions.churn.threshold", value=style.pct(min_risk)),
        )
        ax.legend(loc="upper center")
    ax.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("distributions.churn.risk_axis"))
    ax.set_ylabel(t("distributions.customers_axis"))
    ax.set_title(t("distributions.churn.title"))
    return fig


def action_chart(win_back: pd.DataFrame) -> Any:
    """Value at risk by suggested action: where the win-back effort pays most."""
    from clientbook.present import style

    g = win_back.groupby("action_key", observed=True).agg(
        customers=("risk", "size"), value_at_risk=("value_at_risk", "sum")
    )
    g = g.sort_values("value_at_risk")
    labels = [
        t(f"{k}_short") if str(k).startswith("churn.action.") else str(k)[:30] for k in g.index
    ]
    fig, ax = style.fig(8, 0.5 * len(g) + 1.6)
    ax.barh(labels, g["value_at_risk"], color=style.BAD)
    for y, (v, n) in enumerate(zip(g["value_at_risk"], g["customers"], strict=True)):
        ax.annotate(
            t("churn.chart.bar_label", value=style.money(v), n=int(n)),
            (v, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.xaxis.set_major_formatter(lambda v, _: style.money(v))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(t("churn.axis.value_at_risk"))
    ax.set_title(t("churn.chart.actions"))
    return fig


def at_risk(risk: pd.DataFrame, revenue: pd.Series, min_risk: float = 0.5) -> tuple[int, float]:
    """(customers at risk, their value at risk): churn risk >= `min_risk`, and the sum of
    `value_at_risk` (risk x historical revenue) over them. The slice's one value-at-risk KPI."""
    if risk.empty:
        return 0, 0.0
    rev = revenue.set_axis(revenue.index.astype("string"))
    r = risk[risk["risk"] >= min_risk]
    var = value_at_risk(r["risk"], rev.reindex(r.index.astype("string")).set_axis(r.index))
    return int(len(r)), float(var.sum())


def findings(
    risk: pd.DataFrame,
    win_back: pd.DataFrame,
    value_kind: str = "revenue",
    revenue: pd.Series | None = None,
    min_risk: float = 0.5,
) -> list[str]:
    """Headline sentences: how many are at risk, the value behind them, the main reason."""
    if risk.empty:
        return []
    n, var = at_risk(risk, revenue if revenue is not None else pd.Series(dtype=float), min_risk)
    out = [
        t(
            "churn.finding.at_risk",
            n=n,
            share=f"{n / len(risk) * 100:.0f}%",
            threshold=f"{min_risk * 100:.0f}%",
        )
    ]
    if revenue is not None:
        from clientbook.present import style

        out.append(t("churn.finding.value_at_risk", value=style.money(var)))
    if len(win_back):
        codes = win_back["reasons"].str.split(";").explode()
        codes = codes[codes.fillna("") != ""]
        main = codes.value_counts().index[0] if len(codes) else None
        out.append(
            t(
                "churn.finding.list",
                n=len(win_back),
                value=f"{win_back['value_at_risk'].sum():,.0f}",
                kind=t(f"churn.value_kind.{value_kind}"),
            )
        )
        if main:
            out.append(t("churn.finding.reason", reason=t(f"churn.reason_name.{main}")))
    return out


def scores(
    orders: pd.DataFrame,
    as_of: pd.Timestamp,
    p_alive: pd.Series | None,
    cfg: Mapping[str, Any],
) -> pd.DataFrame:
    """`churn_risk` with the audit's retention settings (`retention.settings(book.settings)`),
    so every step that scores churn scores it the same way."""
    multiple = float(cfg["overdue_multiple"])
    return churn_risk(
        orders,
        as_of,
        p_alive,
        overdue_multiple=multiple,
        # With no repeat buyers, silence of `inactive_days` (the churn-rate window) is overdue.
        fallback_interval_days=float(cfg["inactive_days"]) / multiple,
        min_interval_days=float(cfg["min_interval_days"]),
    )


def warning_list(
    risk: pd.DataFrame,
    revenue: pd.Series,
    customers: pd.DataFrame | None,
    cfg: Mapping[str, Any],
) -> pd.DataFrame:
    """The ranked win-back list with actions: `risk` as `scores` returns it, `revenue` each
    customer's historical revenue to as_of (value at risk = risk x revenue, in every slice)."""
    ranked = at_risk_high_value(
        risk,
        revenue,
        min_risk=float(cfg["min_risk"]),
        min_value_percentile=float(cfg["min_value_percentile"]),
        top=cfg["top"],
    )
    if customers is not None and "region" in customers:
        info = customers.assign(customer_id=customers["customer_id"].astype("string"))
        region = info.drop_duplicates("customer_id").set_index("customer_id")["region"]
        ranked = ranked.join(region, how="left")
    return win_back_actions(ranked, cfg.get("win_back_rules"))
