"""Customer classification: RFM scores and segments, ABC value tiers, behaviour classes.

Everything is computed as of a date from the canonical orders table. Segments come from a
rule table (first matching rule wins), so a consultant can read, and override, the rules:

| segment            | R   | FM  | orders |
|--------------------|-----|-----|--------|
| champions          | 4-5 | 4-5 |        |
| loyal              | 3-5 | 3-5 |        |
| cant_lose          | 1   | 4-5 |        |
| at_risk            | 1-2 | 3-5 |        |
| new                | 5   |     | 1      |
| potential_loyalist | 4-5 | 2-5 |     |
| promising          | 4-5 |     |     |
| need_attention     | 3   |     |     |
| about_to_sleep     | 2   |     |     |
| hibernating        | 1   |     |     |

R, F, M are quintile scores 1-5 (5 = most recent / most frequent / most spent), tie-aware:
customers with equal values share a score (their average rank decides it; see
`quintile_score`), so a score may hold more or less than a fifth when many customers tie;
FM = the rounded mean of F and M. "orders" is the number of orders itself, not a score:
"new" is a customer of the most recent fifth (R 5) with exactly one order (the rule's
`f_orders`), whatever F score one order gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clientbook.present import i18n, style

DEFAULT_RULES: list[dict[str, Any]] = [
    {"segment": "champions", "r": [4, 5], "fm": [4, 5]},
    {"segment": "loyal", "r": [3, 5], "fm": [3, 5]},
    {"segment": "cant_lose", "r": [1, 1], "fm": [4, 5]},
    {"segment": "at_risk", "r": [1, 2], "fm": [3, 5]},
    {"segment": "new", "r": [5, 5], "f_orders": [1, 1]},
    {"segment": "potential_loyalist", "r": [4, 5], "fm": [2, 5]},
    {"segment": "promising", "r": [4, 5]},
    {"segment": "need_attention", "r": [3, 3]},
    {"segment": "about_to_sleep", "r": [2, 2]},
    {"segment": "hibernating", "r": [1, 1]},
]
SEGMENTS = [r["segment"] for r in DEFAULT_RULES]
TIERS = ["A", "B", "C"]
BEHAVIOURS = ["high_frequency", "low_frequency", "one_time"]


def customer_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Order lines rolled up to orders (net of refunds within the order)."""
    return orders.groupby(["customer_id", "order_id"], observed=True, as_index=False).agg(
        order_date=("order_date", "min"), amount=("amount", "sum")
    )


def rfm_table(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Recency (days), frequency (orders with positive value) and monetary (net) per customer."""
    o = customer_orders(orders)
    net = o.groupby("customer_id", observed=True)["amount"].sum()
    bought = o[o["amount"] > 0]
    g = bought.groupby("customer_id", observed=True)
    out = pd.DataFrame(
        {
            "first_order": g["order_date"].min(),
            "last_order": g["order_date"].max(),
            "frequency": g.size().astype("int64"),
        }
    )
    out["monetary"] = net.reindex(out.index).astype("float64")
    out["recency_days"] = (as_of - out["last_order"]).dt.days.astype("int64")
    out.index = out.index.astype("string")
    return out.rename_axis("customer_id").reset_index()


def quintile_score(
    values: pd.Series, ids: pd.Series | None = None, higher_is_better: bool = True, bins: int = 5
) -> pd.Series:
    """Scores 1..bins by rank, tie-aware: customers with equal values share a score.

    Each customer's percentile is its average rank (ties: the mean of the ranks they span)
    minus one half, over n; the score is floor(percentile x bins) + 1, so without ties each
    score holds 1/bins of the customers, and a tie (e.g. every one-order customer) is never
    split by customer id or signup order. `ids` is accepted for compatibility and unused.
    """
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    rank = (
        pd.Series(values.to_numpy(dtype="float64"))
        .rank(method="average", ascending=higher_is_better)
        .to_numpy()
    )
    score = np.floor((rank - 0.5) * bins / n).astype("int64") + 1
    return pd.Series(np.clip(score, 1, bins), index=values.index, dtype="int64")


def rfm_scores(rfm: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    ids = rfm["customer_id"]
    out = rfm.assign(
        r=quintile_score(rfm["recency_days"], ids, higher_is_better=False, bins=bins),
        f=quintile_score(rfm["frequency"], ids, bins=bins),
        m=quintile_score(rfm["monetary"], ids, bins=bins),
    )
    out["fm"] = np.floor((out["f"] + out["m"]) / 2 + 0.5).astype("int64")
    out["rfm"] = out["r"].astype(str) + out["f"].astype(str) + out["m"].astype(str)
    return out


def _in(values: pd.Series, bounds: Sequence[int] | None) -> pd.Series:
    if bounds is None:
        return pd.Series(True, index=values.index)
    return values.between(bounds[0], bounds[1])


def assign_segments(scored: pd.DataFrame, rules: list[dict[str, Any]] | None = None) -> pd.Series:
    """Segment key per customer: the first rule whose every range matches."""
    rules = rules or DEFAULT_RULES
    seg = pd.Series(pd.NA, index=scored.index, dtype="string")
    for rule in rules:
        m = (
            _in(scored["r"], rule.get("r"))
            & _in(scored["fm"], rule.get("fm"))
            & _in(scored["f"], rule.get("f"))
            & _in(scored["m"], rule.get("m"))
            & _in(scored["frequency"], rule.get("f_orders"))
        )
        seg = seg.mask(seg.isna() & m, rule["segment"])
    return seg.fillna("hibernating")


def value_tiers(monetary: pd.Series, a_share: float = 0.8, b_share: float = 0.95) -> pd.Series:
    """ABC tiers: A = the top customers making the first `a_share` of revenue, B up to
    `b_share`, C the rest. The customer who crosses a threshold belongs to the tier below it."""
    pos = monetary.clip(lower=0)
    total = pos.sum()
    if total <= 0:
        return pd.Series("C", index=monetary.index, dtype="string")
    order = pos.sort_values(ascending=False, kind="mergesort")
    before = (order.cumsum() - order) / total  # revenue share of the customers ahead
    tier = np.where(before < a_share, "A", np.where(before < b_share, "B", "C"))
    tier = pd.Series(tier, index=order.index, dtype="string").reindex(monetary.index)
    return tier.mask(pos <= 0, "C")


def behaviour_classes(rfm: pd.DataFrame, high_frequency_days: float = 60) -> pd.Series:
    """one_time (1 order); high_frequency (3+ orders, on average at most
    `high_frequency_days` apart); low_frequency (every other repeat buyer)."""
    span = (rfm["last_order"] - rfm["first_order"]).dt.days
    gap = span / (rfm["frequency"] - 1).where(rfm["frequency"] > 1)
    high = (rfm["frequency"] >= 3) & (gap <= high_frequency_days)
    out = np.where(
        rfm["frequency"] <= 1, "one_time", np.where(high, "high_frequency", "low_frequency")
    )
    return pd.Series(out, index=rfm.index, dtype="string")


def classify(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per buying customer: RFM, segment, ABC tier, behaviour, region, channel."""
    from clientbook.config.settings import for_step

    s = for_step(settings, "classification")
    scored = rfm_scores(rfm_table(orders, as_of))
    scored["segment"] = assign_segments(scored, s.get("segment_rules"))
    scored["tier"] = value_tiers(scored["monetary"], *s.get("abc_shares", (0.8, 0.95)))
    scored["behaviour"] = behaviour_classes(scored, s.get("high_frequency_days", 60))
    attrs = [c for c in ("region", "channel") if c in customers]
    return scored.merge(customers[["customer_id", *attrs]], on="customer_id", how="left")


def segment_summary(classified: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, share, revenue, revenue share, average R/F/M (rule order)."""
    g = classified.groupby("segment", observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["monetary"].sum(),
            "avg_recency_days": g["recency_days"].mean(),
            "avg_orders": g["frequency"].mean(),
            "avg_value": g["monetary"].mean(),
        }
    )
    out["customer_share"] = out["customers"] / out["customers"].sum()
    total = out["revenue"].clip(lower=0).sum()
    out["revenue_share"] = out["revenue"] / total if total > 0 else 0.0
    order = [s for s in SEGMENTS if s in out.index] + [s for s in out.index if s not in SEGMENTS]
    out = out.reindex(order)
    return (
        out[
            [
                "customers",
                "customer_share",
                "revenue",
                "revenue_share",
                "avg_recency_days",
                "avg_orders",
                "avg_value",
            ]
        ]
        .rename_axis("segment")
        .reset_index()
    )


def tier_summary(classified: pd.DataFrame) -> pd.DataFrame:
    g = classified.groupby("tier", observed=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum()}).reindex(TIERS)
    out = out.fillna(0)
    out["customer_share"] = out["customers"] / max(out["customers"].sum(), 1)
    out["revenue_share"] = out["revenue"] / max(out["revenue"].sum(), 1e-9)
    return out.rename_axis("tier").reset_index()


def profile(classified: pd.DataFrame, by: str) -> pd.DataFrame:
    """Share of each segment within each value of `by` (rows sum to 1)."""
    ct = pd.crosstab(classified[by], classified["segment"], normalize="index")
    return ct.reindex(columns=[s for s in SEGMENTS if s in ct.columns])


def personas(classified: pd.DataFrame, top: int = 6) -> pd.DataFrame:
    """Personas: the largest groups of customers sharing a value tier, a behaviour class and a
    channel, named in plain words, ranked by the revenue they bring."""
    by = ["tier", "behaviour", "channel"] if "channel" in classified else ["tier", "behaviour"]
    g = classified.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["monetary"].sum(),
            "avg_value": g["monetary"].mean(),
            "avg_orders": g["frequency"].mean(),
        }
    ).reset_index()
    out["customer_share"] = out["customers"] / max(len(classified), 1)
    total = classified["monetary"].clip(lower=0).sum()
    out["revenue_share"] = out["revenue"] / total if total > 0 else 0.0
    out["persona"] = [
        i18n.t(
            "classification.persona",
            tier=r.tier,
            behaviour=i18n.t(f"classification.behaviour.{r.behaviour}"),
            channel=i18n.value_label("channel", getattr(r, "channel", "") or ""),
        )
        for r in out.itertuples()
    ]
    out = out.sort_values("revenue", ascending=False, kind="mergesort").head(top)
    return out[
        ["persona", "customers", "customer_share", "revenue_share", "avg_value", "avg_orders"]
    ].reset_index(drop=True)


def segment_names(keys: pd.Series | Sequence[str]) -> list[str]:
    return [i18n.t(f"classification.segment.{k}") for k in keys]


def findings(classified: pd.DataFrame) -> list[str]:
    """A few headline findings in plain words (in the current language)."""
    if classified.empty:
        return [i18n.t("classification.finding.no_customers")]
    seg = segment_summary(classified).set_index("segment")
    tiers = tier_summary(classified).set_index("tier")
    out = []
    if "champions" in seg.index:
        c = seg.loc["champions"]
        out.append(
            i18n.t(
                "classification.finding.champions",
                share=style.pct(c.customer_share),
                revenue=style.pct(c.revenue_share),
            )
        )
    a = tiers.loc["A"]
    out.append(
        i18n.t(
            "classification.finding.pareto",
            share=style.pct(a.customer_share),
            revenue=style.pct(a.revenue_share),
        )
    )
    one = (classified["behaviour"] == "one_time").mean()
    out.append(i18n.t("classification.finding.one_time", share=style.pct(one)))
    risk = seg.reindex(["at_risk", "cant_lose"]).dropna(how="all")
    if not risk.empty and risk["customers"].sum() > 0:
        out.append(
            i18n.t(
                "classification.finding.at_risk",
                n=int(risk["customers"].sum()),
                revenue=style.money(risk["revenue"].sum()),
            )
        )
    return out


def kpis(classified: pd.DataFrame) -> dict[str, Any]:
    """Headline numbers for results.json: share of champions, revenue share of tier A, share
    of one-time buyers (None when the slice has no buying customers)."""
    if classified.empty:
        return {"champions_share": None, "a_tier_revenue_share": None, "one_time_share": None}
    tiers = tier_summary(classified).set_index("tier")
    return {
        "champions_share": float((classified["segment"] == "champions").mean()),
        "a_tier_revenue_share": float(tiers.loc["A", "revenue_share"]),
        "one_time_share": float((classified["behaviour"] == "one_time").mean()),
    }


# ---- charts -------------------------------------------------------------------------------


def segment_chart(summary: pd.DataFrame) -> Any:
    """Share of customers vs share of revenue per segment (horizontal bars)."""
    fig, ax = style.fig(8, 4.6)
    names = segment_names(summary["segment"])
    y = np.arange(len(summary))
    ax.barh(
        y - 0.2,
        summary["customer_share"],
        0.4,
        label=i18n.t("classification.column.customer_share"),
    )
    ax.barh(
        y + 0.2, summary["revenue_share"], 0.4, label=i18n.t("classification.column.revenue_share")
    )
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(i18n.t("classification.chart.segments"))
    ax.legend(loc="lower right")
    return fig


def tier_chart(tiers: pd.DataFrame) -> Any:
    fig, ax = style.fig(6, 3.6)
    x = np.arange(len(tiers))
    ax.bar(
        x - 0.2, tiers["customer_share"], 0.4, label=i18n.t("classification.column.customer_share")
    )
    ax.bar(
        x + 0.2, tiers["revenue_share"], 0.4, label=i18n.t("classification.column.revenue_share")
    )
    ax.set_xticks(x, [i18n.t(f"classification.tier.{t}") for t in tiers["tier"]])
    ax.yaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.set_title(i18n.t("classification.chart.tiers"))
    ax.legend()
    return fig


def behaviour_table(classified: pd.DataFrame) -> pd.DataFrame:
    g = classified.groupby("behaviour", observed=True)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum()})
    out = out.reindex([b for b in BEHAVIOURS if b in out.index])
    out["customer_share"] = out["customers"] / max(out["customers"].sum(), 1)
    return out.rename_axis("behaviour").reset_index()


def profile_chart(share: pd.DataFrame, title: str) -> Any:
    """Stacked bars: the segment mix of each region (or channel)."""
    fig, ax = style.fig(8, 0.5 * len(share) + 1.8)
    left = np.zeros(len(share))
    colors = {s: c for s, c in zip(SEGMENTS, [*style.PALETTE, "#5b7083", "#b5838d"], strict=False)}
    for seg in share.columns:
        ax.barh(
            [i18n.value_label("region", v) for v in share.index.astype(str)],
            share[seg],
            left=left,
            color=colors.get(seg),
            label=i18n.t(f"classification.segment.{seg}"),
        )
        left += share[seg].to_numpy()
    ax.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.set_xlim(0, 1)
    ax.grid(False)
    ax.set_title(title)
    ax.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return fig


def metrics(classified: pd.DataFrame, tiers: pd.DataFrame) -> dict[str, tuple[float, int]]:
    """The step's registered KPIs (``clientbook.metrics``), key -> (value, customers)."""
    n = len(classified)
    a = tiers.set_index("tier")["revenue_share"]
    return {
        "champions_share": (
            float((classified["segment"] == "champions").mean()) if n else float("nan"),
            n,
        ),
        "a_tier_revenue_share": (float(a.get("A", float("nan"))), n),
        "one_time_share": (
            float((classified["behaviour"] == "one_time").mean()) if n else float("nan"),
            n,
        ),
    }
