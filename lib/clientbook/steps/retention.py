"""Retention and loyalty: do customers come back, how often, and who moved where.

All counts are on *purchases* (a customer's orders of one day merged, see
`clientbook.clv.utils.purchases`), so an order split into several lines or a customer who
ordered twice in one visit is not mistaken for loyalty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientbook.clv.utils import purchases
from clientbook.data.book import period_labels
from clientbook.present import style
from clientbook.present.i18n import t

_FREQ = {"month": ("M", 12), "quarter": ("Q", 4), "year": ("Y", 1)}


def _ordinal(dates: pd.Series, freq: str) -> pd.Series:
    """Calendar period number (consecutive integers) for month / quarter / year."""
    if freq not in _FREQ:
        raise ValueError(f"freq must be one of {', '.join(_FREQ)}, got {freq!r}")
    y = dates.dt.year.astype("int64")
    if freq == "month":
        return y * 12 + dates.dt.month.astype("int64") - 1
    if freq == "quarter":
        return y * 4 + dates.dt.quarter.astype("int64") - 1
    return y


@dataclass(frozen=True)
class Cohorts:
    """Customers by first-purchase period (rows) and periods since then (columns, 0 = the
    first-purchase period itself, always 100%)."""

    freq: str
    sizes: pd.Series  # customers per cohort
    active: pd.DataFrame  # customers of the cohort with a purchase in that period
    rate: pd.DataFrame  # active / size; NaN for periods not yet over at as_of

    def average_rate(self, min_cohorts: int = 1) -> pd.Series:
        """Customer-weighted retention per period offset over the cohorts that reached it."""
        seen = self.rate.notna()
        weights = seen.mul(self.sizes, axis=0)
        out = self.active.where(seen).sum() / weights.sum()
        return out[seen.sum() >= min_cohorts]


def cohort_retention(
    orders: pd.DataFrame, freq: str = "month", as_of: pd.Timestamp | None = None
) -> Cohorts:
    """Cohort retention matrix by first-purchase month or quarter."""
    p = purchases(orders, as_of)
    last_date = as_of if as_of is not None else p["date"].max()
    ordn = _ordinal(p["date"], freq)
    first = ordn.groupby(p["customer_id"]).transform("min")
    label_of_first = (
        p.assign(ord=ordn).sort_values("date").groupby("customer_id", observed=True)["date"].first()
    )
    cohort_label = period_labels(label_of_first, freq)
    d = pd.DataFrame(
        {
            "customer_id": p["customer_id"],
            "cohort": p["customer_id"].map(cohort_label),
            "first": first,
            "offset": ordn - first,
        }
    )
    sizes = d.groupby("cohort", observed=True)["customer_id"].nunique().sort_index()
    active = (
        d.drop_duplicates(["customer_id", "offset"])
        .groupby(["cohort", "offset"], observed=True)
        .size()
        .unstack(fill_value=0)
        .reindex(index=sizes.index)
    )
    # Only whole periods count: a period is observed once its last day is on or before as_of
    # (the first-purchase period itself always is). A half-seen month would look like churn.
    next_day = pd.Timestamp(last_date).normalize() + pd.Timedelta(days=1)
    last_full = int(_ordinal(pd.Series([next_day]), freq).iloc[0]) - 1
    first_ord = d.groupby("cohort", observed=True)["first"].first().reindex(sizes.index)
    n_off = max(int(last_full - first_ord.min()) + 1, 1) if len(first_ord) else 0
    active = active.reindex(columns=range(n_off), fill_value=0)
    offsets = np.arange(n_off)[None, :]
    observable = (offsets == 0) | (offsets <= (last_full - first_ord.to_numpy())[:, None])
    active = active.where(observable)
    rate = active.div(sizes, axis=0)
    active.columns.name = rate.columns.name = "periods_since_first"
    return Cohorts(freq=freq, sizes=sizes, active=active, rate=rate)


@dataclass(frozen=True)
class RepeatRate:
    customers: int
    repeat_customers: int  # with two or more purchases

    @property
    def rate(self) -> float:
        return self.repeat_customers / self.customers if self.customers else float("nan")


def repeat_purchase_rate(orders: pd.DataFrame, as_of: pd.Timestamp | None = None) -> RepeatRate:
    """Share of customers who bought on at least two different days."""
    n = purchases(orders, as_of).groupby("customer_id", observed=True).size()
    return RepeatRate(int(len(n)), int((n >= 2).sum()))


@dataclass(frozen=True)
class ChurnRate:
    inactive_days: int
    base: int  # customers first seen at least `inactive_days` before as_of
    churned: int  # of those, no purchase in the last `inactive_days`

    @property
    def rate(self) -> float:
        return self.churned / self.base if self.base else float("nan")


def churn_rate(
    orders: pd.DataFrame, as_of: pd.Timestamp | None = None, inactive_days: int = 180
) -> ChurnRate:
    """Share of customers with no purchase in the last `inactive_days` days.

    Only customers who could have been inactive that long count (first purchase at least
    `inactive_days` before as_of); newer customers are neither churned nor retained yet.
    """
    p = purchases(orders, as_of)
    as_of = as_of if as_of is not None else p["date"].max()
    cutoff = pd.Timestamp(as_of).normalize() - pd.Timedelta(days=inactive_days)
    g = p.groupby("customer_id", observed=True)["date"]
    first, last = g.min(), g.max()
    base = first <= cutoff
    return ChurnRate(inactive_days, int(base.sum()), int((base & (last <= cutoff)).sum()))


def customer_rhythm(orders: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per customer: purchases, first / last purchase, median and mean days between purchases
    (NaN for one-time buyers), days since the last purchase."""
    p = purchases(orders, as_of)
    as_of = pd.Timestamp(as_of if as_of is not None else p["date"].max()).normalize()
    gap = p.groupby("customer_id", observed=True)["date"].diff().dt.days
    p = p.assign(gap=gap)
    g = p.groupby("customer_id", observed=True)
    out = pd.DataFrame(
        {
            "purchases": g.size().astype("int64"),
            "first_purchase": g["date"].min(),
            "last_purchase": g["date"].max(),
            "median_gap_days": g["gap"].median(),
            "mean_gap_days": g["gap"].mean(),
        }
    )
    out["days_since_last"] = (as_of - out["last_purchase"]).dt.days
    out.index.name = "customer_id"
    return out


@dataclass(frozen=True)
class InterPurchase:
    gaps: int  # number of intervals between consecutive purchases
    customers: int  # repeat customers they come from
    mean_days: float
    median_days: float


def inter_purchase_time(orders: pd.DataFrame, as_of: pd.Timestamp | None = None) -> InterPurchase:
    """Average and median days between a customer's consecutive purchases (repeat buyers)."""
    p = purchases(orders, as_of)
    gaps = p.groupby("customer_id", observed=True)["date"].diff().dt.days.dropna()
    n_cust = int((p.groupby("customer_id", observed=True).size() >= 2).sum())
    if gaps.empty:
        return InterPurchase(0, 0, float("nan"), float("nan"))
    return InterPurchase(int(len(gaps)), n_cust, float(gaps.mean()), float(gaps.median()))


@dataclass(frozen=True)
class Migration:
    """Customers moving between segments from one period to the next."""

    counts: pd.DataFrame  # rows: segment before, columns: segment after
    revenue: pd.DataFrame  # revenue behind each flow: previous period's (current for new)
    flows: pd.DataFrame  # one row per (before, after): customers, revenue_before, revenue_after


def segment_migration(
    before: pd.Series,
    after: pd.Series,
    revenue_before: pd.Series | None = None,
    revenue_after: pd.Series | None = None,
    order: list[str] | None = None,
    new_label: str | None = None,
    gone_label: str | None = None,
) -> Migration:
    """Who moved from which segment to which, with counts and the revenue behind each flow.

    `before` / `after` map customer_id -> segment in the previous / current period; a
    customer present on one side only is counted as new (no segment before) or gone (no
    segment now). Revenue per customer (e.g. revenue in each period) is optional.
    """
    new_label = new_label or t("retention.migration.new")
    gone_label = gone_label or t("retention.migration.gone")
    b = before.copy()
    a = after.copy()
    b.index = b.index.astype("string")
    a.index = a.index.astype("string")
    ids = b.index.union(a.index)
    df = pd.DataFrame(
        {
            "before": b.astype("string").reindex(ids).fillna(new_label),
            "after": a.astype("string").reindex(ids).fillna(gone_label),
        },
        index=ids,
    )
    for name, rev in (("revenue_before", revenue_before), ("revenue_after", revenue_after)):
        if rev is None:
            df[name] = 0.0
        else:
            r = rev.copy()
            r.index = r.index.astype("string")
            df[name] = r.groupby(level=0).sum().reindex(ids).fillna(0.0).astype(float)
    flows = (
        df.groupby(["before", "after"], observed=True)
        .agg(
            customers=("before", "size"),
            revenue_before=("revenue_before", "sum"),
            revenue_after=("revenue_after", "sum"),
        )
        .reset_index()
    )
    # The segments present, found once (a set of every customer's label per segment cost
    # 50 s at 300,000 customers).
    seen_b, seen_a = set(flows["before"]), set(flows["after"])
    segs = list(order) if order else sorted(seen_b | seen_a)
    rows = [s for s in segs if s in seen_b and s != new_label]
    cols = [s for s in segs if s in seen_a and s != gone_label]
    rows += [new_label] if new_label in seen_b else []
    cols += [gone_label] if gone_label in seen_a else []
    rows += [s for s in sorted(seen_b - set(rows))]
    cols += [s for s in sorted(seen_a - set(cols))]
    counts = flows.pivot(index="before", columns="after", values="customers")
    counts = counts.reindex(index=rows, columns=cols).fillna(0).astype("int64")
    # The revenue a flow puts at stake is what its customers spent before; new customers
    # have no "before", so their row shows what they brought now.
    flows["revenue"] = flows["revenue_before"].where(
        flows["before"] != new_label, flows["revenue_after"]
    )
    revenue = flows.pivot(index="before", columns="after", values="revenue")
    revenue = revenue.reindex(index=rows, columns=cols).fillna(0.0)
    flows = flows.sort_values("customers", ascending=False).reset_index(drop=True)
    return Migration(counts=counts, revenue=revenue, flows=flows)


# ---- report pieces (settings, charts, findings) -------------------------------------------
DEFAULTS: dict[str, Any] = {
    "cohort_freq": "month",  # month or quarter
    "cohort_periods": 12,  # columns shown in the heatmap
    "inactive_days": 180,  # no purchase for this long = churned
    "overdue_multiple": 3.0,  # churn warning: silent for this many usual intervals
    "min_interval_days": 14,  # floor for the usual interval (daily buyers are not flagged weekly)
    "min_risk": 0.5,
    "min_value_percentile": 0.5,  # the at-risk list keeps the upper half of the book by value
    "top": 100,  # rows in the win-back list
    "win_back_rules": None,  # list of rules (see clientbook.steps.churn.DEFAULT_RULES)
}


def settings(book_settings: dict[str, Any] | None) -> dict[str, Any]:
    """The audit's `settings: retention:` over the defaults, validated by
    `clientbook.config.settings.RetentionSettings` (a wrong key raises SettingsError)."""
    from clientbook.config.settings import for_step

    return for_step(book_settings, "retention")


def cohort_chart(c: Cohorts, max_periods: int = 12, max_cohorts: int = 24) -> Any:
    """Heatmap of the retention matrix: darker = more of the cohort bought in that period."""
    rate = c.rate.iloc[-max_cohorts:, : max_periods + 1]
    sizes = c.sizes.reindex(rate.index)
    fig, ax = style.fig(min(11, 2.2 + 0.62 * rate.shape[1]), 1.4 + 0.32 * len(rate))
    shown = rate.astype(float) * 100
    style.heatmap(ax, shown, annot=True, fmt=".0f", vmin=0, vmax=100, mask=shown.isna())
    ax.set_xticks(np.arange(rate.shape[1]) + 0.5, [str(x) for x in rate.columns], rotation=0)
    ax.set_yticks(np.arange(len(rate)) + 0.5, [f"{i} ({n})" for i, n in sizes.items()], rotation=0)
    ax.set_xlabel(t(f"retention.axis.periods_since_{c.freq}"))
    ax.set_ylabel(t("retention.axis.cohort"))
    ax.grid(False)
    ax.set_title(t("retention.chart.cohorts"))
    return fig


def migration_chart(m: Migration) -> Any:
    """Heatmap of customer counts from last period's segment (rows) to this period's."""
    counts = m.counts
    fig, ax = style.fig(min(11, 2.5 + 0.9 * counts.shape[1]), 1.6 + 0.42 * len(counts))
    data = counts.to_numpy(dtype=float)
    share = pd.DataFrame(
        data / np.maximum(data.sum(axis=1, keepdims=True), 1),
        index=counts.index,
        columns=counts.columns,
    )
    text = counts.astype(float).map(lambda v: f"{v:.0f}" if v > 0 else "")
    style.heatmap(ax, share, annot=text.to_numpy(), fmt="", vmin=0, vmax=1)
    ax.set_xticks(np.arange(counts.shape[1]) + 0.5, list(counts.columns), rotation=35, ha="right")
    ax.set_yticks(np.arange(len(counts)) + 0.5, list(counts.index), rotation=0)
    ax.set_xlabel(t("retention.axis.segment_now"))
    ax.set_ylabel(t("retention.axis.segment_before"))
    ax.grid(False)
    ax.set_title(t("retention.chart.migration"))
    return fig


def migration_findings(m: Migration, top: int = 2) -> list[str]:
    """The largest downward-looking flows (customers leaving a segment), with revenue."""
    f = m.flows[(m.flows["before"] != m.flows["after"])]
    f = f[f["before"] != t("retention.migration.new")]
    f = f.sort_values("revenue_before", ascending=False).head(top)
    return [
        t(
            "retention.finding.flow",
            n=int(r.customers),
            before=r.before,
            after=r.after,
            revenue=style.money(r.revenue_before),
        )
        for r in f.itertuples()
    ]


def findings(
    repeat: RepeatRate, churn: ChurnRate, gaps: InterPurchase, period_retention: float | None
) -> list[str]:
    out = []
    if repeat.customers:
        out.append(t("retention.finding.repeat", rate=style.pct(repeat.rate)))
    if churn.base:
        out.append(
            t("retention.finding.churn", rate=style.pct(churn.rate), days=churn.inactive_days)
        )
    if gaps.gaps:
        out.append(
            t(
                "retention.finding.gap",
                median=f"{gaps.median_days:.0f}",
                mean=f"{gaps.mean_days:.0f}",
            )
        )
    if period_retention is not None and np.isfinite(period_retention):
        out.append(t("retention.finding.period", rate=style.pct(period_retention)))
    return out


def step_findings(
    repeat: RepeatRate,
    churn: ChurnRate,
    gaps: InterPurchase,
    period_retention: float | None,
    migration: Migration | None,
    risk: pd.DataFrame,
    win_back: pd.DataFrame,
    revenue: pd.Series,
    min_risk: float = 0.5,
) -> list[str]:
    """The retention step's findings: loyalty, the biggest segment moves, then churn risk
    and value at risk (`churn.findings`)."""
    from clientbook.steps import churn as churn_mod

    out = findings(repeat, churn, gaps, period_retention)
    out += migration_findings(migration) if migration is not None else []
    return out + churn_mod.findings(risk, win_back, revenue=revenue, min_risk=min_risk)


def migration_between(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    previous: Any,
    current: Any,
    book_settings: dict[str, Any] | None = None,
    classified: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> Migration | None:
    """RFM segment migration from the end of `previous` to the end of `current` (Periods),
    with each flow's revenue in those two periods. None when nobody had bought by the end of
    the previous period (nothing to migrate from).

    `classified` (the slice's classification as of `as_of`, e.g. the customer table's) is
    reused for the current side when it is the same classification: as_of is the day after
    the current period and no order is dated later."""
    from clientbook.steps import classification as cls

    def segments_at(end: pd.Timestamp) -> pd.Series:
        o = orders[orders["order_date"] <= end]
        if o.empty:
            return pd.Series(dtype="string")
        c = cls.classify(o, customers, end.normalize() + pd.Timedelta(days=1), book_settings)
        return pd.Series(cls.segment_names(c["segment"]), index=c["customer_id"].astype("string"))

    before = segments_at(previous.end)
    if before.empty:
        return None
    same = (
        classified is not None
        and as_of is not None
        and pd.Timestamp(as_of) == current.end.normalize() + pd.Timedelta(days=1)
        and not (orders["order_date"] > current.end).any()
    )
    if same:
        assert classified is not None
        ids = classified["customer_id"].astype("string")
        after = pd.Series(cls.segment_names(classified["segment"]), index=ids.to_numpy())
    else:
        after = segments_at(current.end)

    def revenue(p: Any) -> pd.Series:
        o = orders[(orders["order_date"] >= p.start) & (orders["order_date"] <= p.end)]
        return o.groupby(o["customer_id"].astype("string"))["amount"].sum()

    order = cls.segment_names(cls.SEGMENTS)
    return segment_migration(before, after, revenue(previous), revenue(current), order=order)


def cohort_headline(c: Cohorts) -> str:
    freq = t(f"retention.freq.{c.freq}")
    avg = c.average_rate()
    if 1 not in avg.index or not np.isfinite(avg.loc[1]):
        return t("retention.chart.cohorts")
    return t("retention.headline.cohorts", freq=freq, rate=style.pct(float(avg.loc[1])))


def loyalty_table(
    repeat: RepeatRate, churn: ChurnRate, gaps: InterPurchase, period_retention: float | None
) -> pd.DataFrame:
    """The loyalty indicators as a two-column table in the current language."""

    def pct(v: float | None) -> str:
        return style.pct(v, 1) if v is not None and np.isfinite(v) else "-"

    def days(v: float) -> str:
        return f"{v:.0f}" if np.isfinite(v) else "-"

    rows = [
        (t("retention.kpi.repeat_rate"), pct(repeat.rate)),
        (t("retention.kpi.churn_rate", days=churn.inactive_days), pct(churn.rate)),
        (t("retention.kpi.period_retention"), pct(period_retention)),
        (t("retention.kpi.median_gap"), days(gaps.median_days)),
        (t("retention.kpi.mean_gap"), days(gaps.mean_days)),
    ]
    return pd.DataFrame(
        rows, columns=[t("retention.column.indicator"), t("retention.column.value")]
    )


def flows_table(m: Migration, top: int = 10) -> pd.DataFrame:
    """The biggest moves between different segments, by customers, labelled for the report."""
    f = m.flows[m.flows["before"] != m.flows["after"]].head(top)
    f = f[["before", "after", "customers", "revenue_before", "revenue_after"]].copy()
    for c in ("revenue_before", "revenue_after"):
        f[c] = f[c].map(style.money)
    return f.rename(columns={c: t(f"retention.column.{c}") for c in f.columns})


def kpis(
    repeat: RepeatRate,
    churn: ChurnRate,
    gaps: InterPurchase,
    period_retention: float | None,
    cohorts: Cohorts,
    risk: pd.DataFrame | None = None,
    revenue: pd.Series | None = None,
    win_back: pd.DataFrame | None = None,
    min_risk: float = 0.5,
) -> dict[str, Any]:
    """Headline numbers for results.json. With the churn scores (`risk`, and each customer's
    historical `revenue`): `at_risk` (customers with churn risk >= min_risk) and
    `value_at_risk` (their churn risk x revenue, summed: `churn.value_at_risk`, the one
    definition); `win_back_list` is the length of the win-back list."""
    from clientbook.steps import churn as churn_mod

    avg = cohorts.average_rate()
    out: dict[str, Any] = {
        "repeat_rate": repeat.rate,
        "churn_rate": churn.rate,
        "inactive_days": churn.inactive_days,
        "period_retention": period_retention,
        "median_days_between_purchases": gaps.median_days,
        "mean_days_between_purchases": gaps.mean_days,
        "next_period_retention": float(avg.loc[1]) if 1 in avg.index else None,
    }
    if risk is not None and revenue is not None:
        n, var = churn_mod.at_risk(risk, revenue, min_risk)
        out |= {"at_risk": n, "value_at_risk": var, "min_risk": min_risk}
    if win_back is not None:
        out["win_back_list"] = len(win_back)
    return out


def metrics(
    repeat: RepeatRate,
    churn: ChurnRate,
    cohorts: Cohorts,
    cfg: dict[str, Any],
    value_at_risk: float,
) -> dict[str, tuple[Any, int | None]]:
    """The step's registered KPIs (``clientbook.metrics``), key -> (value, sample size).

    `lapsed_share` is the inactive-days rule (a state at the window end), never called
    churn; month-to-month cohort retention only when the cohorts are monthly."""
    out: dict[str, tuple[Any, int | None]] = {
        "repeat_rate": (repeat.rate, repeat.customers),
        "lapsed_share": (churn.rate, churn.base),
        "value_at_risk": (value_at_risk, None),
    }
    avg = cohorts.average_rate()
    if cfg.get("cohort_freq", "month") == "month" and 1 in avg.index:
        out["cohort_next_month_retention"] = (float(avg.loc[1]), None)
    return out
