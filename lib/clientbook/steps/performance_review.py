"""Performance review: how the client is doing against its goals.

A scorecard of the method's KPIs for the slice's current period, set against the previous
period and against targets, with a traffic light per KPI (met / near / missed).

KPI definitions (all on the current window `book.period`, the book cut at its end):
- new_customers: customers acquired in the period (signup date, else first order date).
- new_customer_growth: new customers vs the previous period, as a fraction (+0.10 = +10%).
- retention_rate: of the customers who bought in the previous period, the share who bought
  again in the current one. churn_rate = 1 - retention_rate (lower is better).
- repeat_rate: of every customer who has bought by the period's end, the share who bought on
  at least two different days (the retention step's repeat purchase rate).
- revenue_per_customer: net revenue of the period (refunds included) per buying customer.
- nps: share of 9-10 minus share of 0-6, in points (-100..100). Needs surveys.nps_score.
- csat: share of 4-5 answers on the 1..5 scale ("90% satisfied"). Needs surveys.csat_score.
- complaint_rate: complaint tickets opened in the period per buying customer (lower is
  better). Needs tickets with a category.
- sla_attainment: first-response SLA attainment of the tickets opened in the period, as the
  service step counts it (`clientbook.steps.service`: settings `sla.first_response_hours`, a number
  or {default: h, <channel>: h}; unanswered tickets count as missed once overdue at `as_of`,
  not at all before). Needs tickets.first_response_at.
- acquisition_cost: marketing spend of the period per new customer (lower is better).
  Needs marketing.

Settings (the audit's `settings:`; each key may also sit under `settings.performance_review`):
- `targets`: {kpi: value}, blanket targets; the `targets` table wins over them, and within
  the table a row for this region and period wins over a period-only row, which wins over a
  region-only row, which wins over a blanket row.
- `thresholds`: {near: 0.05, <kpi>: {near: 0.10, better: lower}}: a KPI short of its target
  by no more than `near` x |target| is "near"; `better` flips the direction of "good".
- `sla`: the service step's SLA targets (see `clientbook.steps.service`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from clientbook.data.book import Book, Period
from clientbook.present.i18n import t

STEP = "performance_review"
DEFAULT_NEAR = 0.05
STATUSES = ("met", "near", "missed", "no_target", "no_data")


@dataclass(frozen=True)
class KPI:
    key: str
    unit: str  # count | rate | money | points
    better: str  # higher | lower


KPIS: dict[str, KPI] = {
    k.key: k
    for k in (
        KPI("new_customers", "count", "higher"),
        KPI("new_customer_growth", "rate", "higher"),
        KPI("retention_rate", "rate", "higher"),
        KPI("churn_rate", "rate", "lower"),
        KPI("repeat_rate", "rate", "higher"),
        KPI("revenue_per_customer", "money", "higher"),
        KPI("nps", "points", "higher"),
        KPI("csat", "rate", "higher"),
        KPI("complaint_rate", "rate", "lower"),
        KPI("sla_attainment", "rate", "higher"),
        KPI("acquisition_cost", "money", "lower"),
    )
}


@dataclass(frozen=True)
class Actual:
    """One KPI value; `needs` names the missing table/column when it cannot be computed."""

    value: float = math.nan
    needs: str | None = None


def setting(settings: Mapping[str, Any], key: str, default: Any, step: str = STEP) -> Any:
    """A step's setting, validated (`clientbook.config.settings`): `settings[step][key]`, else
    the older top-level `settings[key]`, else the model's default; `default` when the step's
    model has no such key or its value is None (the step's own table)."""
    from clientbook.config.settings import STEPS, for_step

    value = for_step(settings, step).get(key) if step in STEPS else None
    return default if value is None else value


# ---------------------------------------------------------------- KPI computations


def _between(dates: pd.Series, window: Period) -> pd.Series:
    return (dates >= window.start) & (dates <= window.end)


class OrderBook:
    """The orders prepared once for many windows: customer codes, dates and amounts as arrays,
    each customer's acquisition date and buying days. Every order KPI of a window is then a
    few vectorised passes (the scorecard and the trend ask for 14+ windows)."""

    def __init__(self, customers: pd.DataFrame, orders: pd.DataFrame) -> None:
        ids = pd.Index(customers["customer_id"].astype("string")).append(
            pd.Index(orders["customer_id"].astype("string"))
        )
        codes, self.ids = pd.factorize(ids)
        n_cust = len(customers)
        self.code = codes[n_cust:]
        self.date = orders["order_date"].to_numpy(dtype="datetime64[ns]")
        self.amount = orders["amount"].to_numpy(dtype="float64")
        self.bought = self.amount > 0  # a refund alone is not buying
        n = len(self.ids)
        # first order per customer: a running minimum over int64 nanoseconds
        never = np.iinfo(np.int64).max
        first_ns = np.full(n, never, dtype=np.int64)
        np.minimum.at(first_ns, self.code, self.date.view(np.int64))
        first = np.where(first_ns == never, np.iinfo(np.int64).min, first_ns).view("datetime64[ns]")
        # acquisition: the earlier of signup and first order (an order before "signup" means
        # the customer was acquired then)
        if "signup_date" in customers.columns:
            signup = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            # the first row of a duplicated customer wins, as in the customers table
            rows = pd.Series(customers["signup_date"].to_numpy(dtype="datetime64[ns]"))
            keep = ~pd.Index(codes[:n_cust]).duplicated()
            signup[codes[:n_cust][keep]] = rows.to_numpy()[keep]
            earlier = ~np.isnat(signup) & (np.isnat(first) | (signup < first))
            first = np.where(earlier, signup, first)
        self.first_seen = first
        # distinct (customer, day) pairs: the retention step's "purchases"
        day = self.date.astype("datetime64[D]").view(np.int64)
        key = pd.unique(
            self.code.astype(np.int64) * (1 << 32) + (day - day.min() if len(day) else day)
        )
        self.pair_code = key >> 32
        self.pair_day = (key & ((1 << 32) - 1)) + (day.min() if len(day) else 0)
        self._buyers: dict[tuple[pd.Timestamp, pd.Timestamp], np.ndarray] = {}

    def _in(self, dates: np.ndarray, window: Period) -> np.ndarray:
        return (dates >= np.datetime64(window.start)) & (dates <= np.datetime64(window.end))

    def buyers(self, window: Period) -> np.ndarray:
        """A flag per customer code: bought in the window (cached per window)."""
        key = (window.start, window.end)
        if key not in self._buyers:
            flags = np.zeros(len(self.ids), dtype=bool)
            flags[self.code[self._in(self.date, window) & self.bought]] = True
            self._buyers[key] = flags
        return self._buyers[key]

    def n_buyers(self, window: Period) -> int:
        return int(self.buyers(window).sum())

    def new_customers(self, window: Period) -> int:
        return int(self._in(self.first_seen, window).sum())

    def retention_rate(self, window: Period, previous: Period) -> float:
        before = self.buyers(previous)
        return _ratio(int((before & self.buyers(window)).sum()), int(before.sum()))

    def repeat_rate(self, window: Period) -> float:
        end_day = np.datetime64(window.end).astype("datetime64[D]").view(np.int64)
        upto = self.pair_day <= end_day
        days = np.bincount(self.pair_code[upto], minlength=len(self.ids))
        return _ratio(int((days >= 2).sum()), int((days >= 1).sum()))

    def revenue_per_customer(self, window: Period) -> float:
        revenue = float(self.amount[self._in(self.date, window)].sum())
        return _ratio(revenue, self.n_buyers(window))


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def new_customers(customers: pd.DataFrame, orders: pd.DataFrame, window: Period) -> int:
    """Customers acquired in the window (the earlier of signup and first order)."""
    return OrderBook(customers, orders).new_customers(window)


def retention_rate(orders: pd.DataFrame, window: Period, previous: Period) -> float:
    return OrderBook(orders[["customer_id"]].iloc[:0], orders).retention_rate(window, previous)


def repeat_rate(orders: pd.DataFrame, window: Period) -> float:
    """Of every customer who has bought by the window's end, the share who bought on at least
    two different days (the retention step's repeat purchase rate; a test holds them equal)."""
    return OrderBook(orders[["customer_id"]].iloc[:0], orders).repeat_rate(window)


def nps(surveys: pd.DataFrame | None, window: Period) -> Actual:
    if surveys is None or "nps_score" not in surveys.columns:
        return Actual(needs="surveys.nps_score")
    s = surveys.loc[_between(surveys["survey_date"], window), "nps_score"].dropna()
    if s.empty:
        return Actual()
    return Actual(100.0 * (float((s >= 9).mean()) - float((s <= 6).mean())))


def csat(surveys: pd.DataFrame | None, window: Period) -> Actual:
    if surveys is None or "csat_score" not in surveys.columns:
        return Actual(needs="surveys.csat_score")
    s = surveys.loc[_between(surveys["survey_date"], window), "csat_score"].dropna()
    return Actual(float((s >= 4).mean())) if len(s) else Actual()


def _is_complaint(category: pd.Series) -> pd.Series:
    text = category.astype("string").str.lower()
    return (
        text.str.contains("complain", regex=False) | text.str.contains("投诉", regex=False)
    ).fillna(False)


def complaint_rate(tickets: pd.DataFrame | None, buyers: int, window: Period) -> Actual:
    """Complaint tickets opened in the window per buying customer of the window."""
    if tickets is None:
        return Actual(needs="tickets")
    if "category" not in tickets.columns:
        return Actual(needs="tickets.category")
    if not (tickets["opened_at"] <= window.end).any():
        return Actual()  # ticket records start later: no basis, not "zero complaints"
    in_window = tickets[_between(tickets["opened_at"], window)]
    complaints = int(_is_complaint(in_window["category"]).sum())
    return Actual(_ratio(complaints, buyers))


def sla_attainment(
    tickets: pd.DataFrame | None,
    window: Period,
    settings: Mapping[str, Any],
    as_of: pd.Timestamp,
) -> Actual:
    if tickets is None:
        return Actual(needs="tickets")
    if "first_response_at" not in tickets.columns:
        return Actual(needs="tickets.first_response_at")
    tk = tickets[_between(tickets["opened_at"], window)]
    if tk.empty:
        return Actual()
    from clientbook.steps import service  # the service step's definition: one number

    met = service.ticket_times(tk, as_of, service.sla_targets(settings))["first_response_met"]
    met = met.dropna()
    return Actual(float(met.astype(bool).mean()) if len(met) else math.nan)


_LABEL = re.compile(r"^(\d{4})(?:-(\d{2})|-?Q([1-4]))?$")


@cache
def label_window(label: str) -> Period | None:
    """The window of a period label of any frequency ('2025', '2025-Q3', '2025-07')."""
    m = _LABEL.match(str(label).strip())
    if not m:
        return None
    freq = "month" if m.group(2) else "quarter" if m.group(3) else "year"
    return Period.parse(str(label).strip(), freq)


def _blank(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return text.isna() | text.eq("") | text.str.lower().isin(["all", "*"])


def marketing_spend(marketing: pd.DataFrame | None, window: Period, region: str | None) -> Actual:
    """Spend of the rows whose period lies inside the window (monthly rows add up to a
    quarter); a region slice takes that region's rows only, since blanket spend cannot be
    split between regions without a rule."""
    if marketing is None:
        return Actual(needs="marketing")
    m = marketing
    if "region" in m.columns:
        if region is not None:
            m = m[m["region"].astype("string").str.strip().str.lower() == region.strip().lower()]
    elif region is not None:
        return Actual(needs="marketing.region")
    windows = [label_window(p) for p in m["period"].astype("string")]
    inside = [w is not None and w.start >= window.start and w.end <= window.end for w in windows]
    spend = m.loc[np.array(inside, dtype=bool), "spend"]
    return Actual(float(spend.sum())) if len(spend) else Actual()


def compute_kpis(
    book: Book, window: Period, previous: Period, orders: OrderBook | None = None
) -> dict[str, Actual]:
    """Every KPI of the window (with `previous` as the window before it); pass `orders` (an
    `OrderBook` of the book) when computing many windows."""
    ob = orders or OrderBook(book.customers, book.orders)
    new_now = ob.new_customers(window)
    new_before = ob.new_customers(previous)
    retention = ob.retention_rate(window, previous)
    spend = marketing_spend(book.marketing if book.has("marketing") else None, window, book.region)
    cac = spend if spend.needs else Actual(_ratio(spend.value, new_now))
    surveys = book.surveys if book.has("surveys") else None
    tickets = book.tickets if book.has("tickets") else None
    return {
        "new_customers": Actual(float(new_now)),
        "new_customer_growth": Actual(_ratio(new_now - new_before, new_before)),
        "retention_rate": Actual(retention),
        "churn_rate": Actual(1.0 - retention),
        "repeat_rate": Actual(ob.repeat_rate(window)),
        "revenue_per_customer": Actual(ob.revenue_per_customer(window)),
        "nps": nps(surveys, window),
        "csat": csat(surveys, window),
        "complaint_rate": complaint_rate(tickets, ob.n_buyers(window), window),
        "sla_attainment": sla_attainment(tickets, window, book.settings, book.as_of),
        "acquisition_cost": cac,
    }


# ---------------------------------------------------------------- targets and lights


def resolve_targets(
    targets: pd.DataFrame | None,
    settings_targets: Mapping[str, Any] | None,
    region: str | None,
    period_label: str | None,
) -> dict[str, float]:
    """kpi -> target for one slice. The table wins over the audit settings; within the table
    the most specific row wins (region+period > period > region > blanket).

    A count KPI (new customers) adds up over regions, so a target without a region is the
    whole book's and does not apply to a region slice; rates and per-customer KPIs do.
    """
    totals = {k for k, v in KPIS.items() if v.unit == "count"}
    out: dict[str, float] = {}
    for k, v in (settings_targets or {}).items():
        if v is not None and not isinstance(v, Mapping):
            if region is None or str(k) not in totals:
                out[str(k)] = float(v)
    if targets is None or targets.empty:
        return out
    tb = targets.copy()
    no_region = _blank(tb["region"]) if "region" in tb.columns else pd.Series(True, tb.index)
    no_period = _blank(tb["period"]) if "period" in tb.columns else pd.Series(True, tb.index)
    region_hit = (
        tb["region"].astype("string").str.strip().str.lower() == region.strip().lower()
        if region is not None and "region" in tb.columns
        else pd.Series(False, tb.index)
    ).fillna(False)
    period_hit = (
        tb["period"].astype("string").str.strip() == period_label
        if period_label is not None and "period" in tb.columns
        else pd.Series(False, tb.index)
    ).fillna(False)
    usable = (no_region | region_hit) & (no_period | period_hit)
    if region is not None:
        usable &= ~(no_region & tb["kpi"].astype("string").str.strip().isin(totals)).fillna(False)
    tb = tb[usable & tb["target"].notna()]
    rank = period_hit[tb.index].astype(int) * 2 + region_hit[tb.index].astype(int)
    tb = tb.assign(_rank=rank).sort_values("_rank", kind="stable")
    for kpi, target in zip(tb["kpi"].astype("string"), tb["target"], strict=True):
        out[str(kpi).strip()] = float(target)  # later (more specific) rows overwrite
    return out


def book_targets(book: Book) -> dict[str, float]:
    label = book.period.label if book.period else None
    settings_targets = setting(book.settings, "targets", {})
    table = book.targets if book.has("targets") else None
    return resolve_targets(table, settings_targets, book.region, label)


def unknown_targets(book: Book) -> list[str]:
    """KPI names in the targets (table or audit) that the scorecard does not know: a typo
    there would otherwise silently leave a KPI without its target."""
    names = set(setting(book.settings, "targets", {}) or {})
    if book.has("targets"):
        names |= set(book.targets["kpi"].astype("string").str.strip().dropna())
    return sorted(n for n in names if n not in KPIS)


def kpi_rules(settings: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """kpi -> (better, near) from the defaults and the `thresholds` setting."""
    th = setting(settings, "thresholds", {}) or {}
    default_near = float(th.get("near", DEFAULT_NEAR))
    out = {}
    for key in set(KPIS) | {k for k in th if k != "near"}:
        better = KPIS[key].better if key in KPIS else "higher"
        near = default_near
        over = th.get(key)
        if isinstance(over, Mapping):
            better = str(over.get("better", better))
            near = float(over.get("near", near))
        elif over is not None:
            near = float(over)
        if better not in ("higher", "lower"):
            raise ValueError(f"thresholds.{key}.better must be 'higher' or 'lower', got {better!r}")
        out[key] = (better, near)
    return out


def traffic_light(
    actual: float, target: float, better: str = "higher", near: float = DEFAULT_NEAR
) -> str:
    """met / near / missed; `near` is the tolerated shortfall as a share of |target|.
    Both edges are inclusive: exactly on target is met, exactly at the band edge is near."""
    if actual is None or pd.isna(actual):
        return "no_data"
    if target is None or pd.isna(target):
        return "no_target"
    ahead = actual - target if better == "higher" else target - actual  # >= 0 is good
    eps = 1e-9 * max(1.0, abs(target))  # so that 0.9 * 0.95 counts as exactly at the edge
    if ahead >= -eps:
        return "met"
    if ahead >= -near * abs(target) - eps:
        return "near"
    return "missed"


# ---------------------------------------------------------------- the scorecard


def scorecard(book: Book) -> pd.DataFrame:
    """One row per KPI: actual, target, previous, change, status and what is missing.

    `change` is actual - previous (points for rates), `change_pct` the relative change;
    `vs_target` is the signed distance to target as a share of |target|, positive = better.
    """
    cols = [
        "kpi",
        "unit",
        "better",
        "actual",
        "target",
        "previous",
        "change",
        "change_pct",
        "vs_target",
        "status",
        "needs",
    ]
    if book.period is None:
        return pd.DataFrame(columns=cols)
    cur, prev = book.period, book.previous_period
    ob = OrderBook(book.customers, book.orders)
    now = compute_kpis(book, cur, prev, ob)
    before = compute_kpis(book, prev, prev.previous(book.period_freq), ob)
    targets = book_targets(book)
    rules = kpi_rules(book.settings)
    rows = []
    for key, kpi in KPIS.items():
        a, p = now[key], before[key]
        target = targets.get(key, math.nan)
        better, near = rules[key]
        ahead = math.nan
        if not (math.isnan(a.value) or math.isnan(target)) and target != 0:
            ahead = (a.value - target) / abs(target) * (1 if better == "higher" else -1)
        rows.append(
            {
                "kpi": key,
                "unit": kpi.unit,
                "better": better,
                "actual": a.value,
                "target": target,
                "previous": p.value,
                "change": a.value - p.value,
                "change_pct": _ratio(a.value - p.value, abs(p.value)) if p.value else math.nan,
                "vs_target": ahead,
                "status": traffic_light(a.value, target, better, near),
                "needs": a.needs,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def format_value(unit: str, value: float) -> str:
    from clientbook.present.style import money, pct

    if value is None or pd.isna(value):
        return "–"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "rate":
        return pct(value, 1)
    if unit == "money":
        return money(value)
    return f"{value:.0f}"


def format_change(unit: str, change: float, lang: str | None = None) -> str:
    """A change as the reader expects it: percentage points for rates, +/- otherwise."""
    if change is None or pd.isna(change):
        return "–"
    if unit == "rate":
        return t("performance.pp", lang, x=f"{change * 100:+.1f}")
    if unit == "points":
        return f"{change:+.0f}"
    if unit == "money":
        return ("+" if change >= 0 else "-") + format_value(unit, abs(change))
    return f"{change:+,.0f}"


def scorecard_table(card: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The scorecard as the client reads it: localized names and formatted numbers."""
    rows = []
    for r in card.itertuples(index=False):
        note = t(f"performance.status.{r.status}", lang)
        if r.needs:
            note = t("performance.needs", lang, table=r.needs)
        rows.append(
            {
                t("performance.col.kpi", lang): t(f"performance.kpi.{r.kpi}", lang),
                t("performance.col.actual", lang): format_value(r.unit, r.actual),
                t("performance.col.target", lang): format_value(r.unit, r.target),
                t("performance.col.previous", lang): format_value(r.unit, r.previous),
                t("performance.col.change", lang): format_change(r.unit, r.change, lang),
                t("performance.col.status", lang): note,
            }
        )
    return pd.DataFrame(rows)


def scorecard_records(card: pd.DataFrame) -> list[dict[str, Any]]:
    """What 07 records as `scorecard` (the index page's comparison reads it)."""
    keep = [
        "kpi",
        "unit",
        "better",
        "actual",
        "target",
        "previous",
        "change",
        "vs_target",
        "status",
    ]
    out = []
    for row in card[keep].to_dict("records"):
        out.append(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        )
    return out


def distance_chart(card: pd.DataFrame, lang: str | None = None) -> Any:
    """Horizontal bars: how far each KPI is ahead of (+) or behind (-) its target, in % of
    the target, coloured by traffic light. None when no KPI has both a target and a value."""
    from clientbook.present import style
    d = card[card["vs_target"].notna()].iloc[::-1]
    if d.empty:
        return None
    colours = {"met": style.GOOD, "near": style.NEAR, "missed": style.BAD}
    fig, ax = style.fig(8.0, 0.45 * len(d) + 1.4)
    names = [t(f"performance.kpi.{k}", lang) for k in d["kpi"]]
    ax.barh(
        names, d["vs_target"] * 100, color=[colours.get(s, style.PALETTE[6]) for s in d["status"]]
    )
    ax.axvline(0, color="#333333", linewidth=1)
    ax.set_xlabel(t("performance.chart.distance_axis", lang))
    ax.set_title(t("performance.chart.distance_title", lang))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    return fig


def kpi_history(book: Book, periods: int = 6) -> pd.DataFrame:
    """KPIs of the last `periods` windows up to the current one (rows: period label), for a
    trend when there are no targets to judge against."""
    if book.period is None:
        return pd.DataFrame()
    windows = [book.period]
    for _ in range(periods - 1):
        windows.append(windows[-1].previous(book.period_freq))
    first = book.orders["order_date"].min()
    ob = OrderBook(book.customers, book.orders)
    rows = {}
    for w in reversed(windows):
        if pd.notna(first) and w.end < first:
            continue
        vals = compute_kpis(book, w, w.previous(book.period_freq), ob)
        rows[w.label] = {k: v.value for k, v in vals.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def findings(card: pd.DataFrame, lang: str | None = None) -> list[str]:
    """Plain-language headlines: how many targets are met, the worst miss, the best move."""
    out: list[str] = []
    judged = card[card["status"].isin(["met", "near", "missed"])]
    if len(judged):
        out.append(
            t(
                "performance.finding.on_target",
                lang,
                met=int((judged["status"] == "met").sum()),
                total=len(judged),
            )
        )
        missed = judged[judged["status"] == "missed"].sort_values("vs_target")
        if len(missed):
            r = missed.iloc[0]
            out.append(
                t(
                    "performance.finding.worst_miss",
                    lang,
                    kpi=t(f"performance.kpi.{r.kpi}", lang),
                    actual=format_value(r.unit, r.actual),
                    target=format_value(r.unit, r.target),
                )
            )
    else:
        out.append(t("performance.finding.no_targets", lang))
    move = biggest_move(card, lang)
    if move:
        out.append(move)
    return out


def biggest_move(card: pd.DataFrame, lang: str | None = None) -> str | None:
    """The KPI that moved most since the previous period, in words (rates by points, else
    counts and money by percent); None when nothing can be compared."""
    # growth is itself a change, and churn mirrors retention: neither is a move of its own
    rates = card[
        card["change"].notna()
        & card["unit"].isin(["rate"])
        & ~card["kpi"].isin(["new_customer_growth", "churn_rate"])
    ]
    moved = card[card["change_pct"].notna() & card["unit"].isin(["count", "money"])]
    if len(rates):
        r = rates.loc[rates["change"].abs().idxmax()]
        change = format_change(r.unit, r.change, lang)
    elif len(moved):
        r = moved.loc[moved["change_pct"].abs().idxmax()]
        change = f"{r.change_pct * 100:+.0f}%"
    else:
        return None
    kpi = t(f"performance.kpi.{r.kpi}", lang)
    return t("performance.finding.biggest_move", lang, kpi=kpi, change=change)


def near_band(settings: Mapping[str, Any]) -> float:
    """The default "near" band (a share of the target) for the narrative."""
    return float((setting(settings, "thresholds", {}) or {}).get("near", DEFAULT_NEAR))


def has_targets(card: pd.DataFrame) -> bool:
    return bool(card["target"].notna().any()) if len(card) else False


TREND_KPIS = (
    "new_customers",
    "retention_rate",
    "repeat_rate",
    "revenue_per_customer",
    "nps",
    "csat",
)


def trend_chart(history: pd.DataFrame, card: pd.DataFrame, lang: str | None = None) -> Any:
    """Small multiples of the main KPIs over recent periods, the current target dashed.
    None when fewer than two periods have data."""
    from clientbook.present import style
    kpis = [k for k in TREND_KPIS if k in history.columns and history[k].notna().sum() >= 2]
    if len(history) < 2 or not kpis:
        return None
    targets = card.set_index("kpi")["target"] if len(card) else pd.Series(dtype=float)
    cols = 3 if len(kpis) > 2 else len(kpis)
    rows = math.ceil(len(kpis) / cols)
    fig, axes = style.fig(9.0, 2.4 * rows + 0.6, nrows=rows, ncols=cols, squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        unit = KPIS[kpi].unit
        scale = 100.0 if unit == "rate" else 1.0
        ax.plot(history.index, history[kpi] * scale, marker="o", color=style.PRIMARY)
        target = targets.get(kpi, math.nan)
        if pd.notna(target):
            ax.axhline(target * scale, color=style.ACCENT, linestyle="--", linewidth=1.2)
        ax.set_title(
            t(f"performance.kpi.{kpi}", lang) + (" (%)" if unit == "rate" else ""), fontsize=10
        )
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(t("performance.chart.trend_title", lang), x=0.01, ha="left", fontweight="bold")
    fig.tight_layout()
    return fig


def partial_period(book: Book) -> bool:
    """True when the export ends before the current period does (as_of is the export date,
    by default the day after the last order): the period's counts and revenue are then
    incomplete and should not be read against a full-period target."""
    return book.period is not None and book.as_of <= book.period.end


def scorecard_from(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The scorecard 07 recorded in a slice's results (step -> {key: value}): the
    performance_review step's, else the first step's whose `scorecard` is a list of KPI
    records (another step may record a table under the same key); [] when none."""

    def is_card(v: Any) -> bool:
        return isinstance(v, list) and all(
            isinstance(r, Mapping) and "kpi" in r and "status" in r for r in v
        )

    steps = [results.get(STEP), *results.values()]
    for step_results in steps:
        if isinstance(step_results, Mapping) and is_card(step_results.get("scorecard")):
            return list(step_results["scorecard"])
    return []
