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
- `min_sample`: a number, or {kpi: number}: a KPI measured on fewer cases (customers, answers,
  tickets) than this is "too few to judge" whatever its value; default the metric registry's
  minimum sample (`clientbook.metrics`).
- `confidence`: 0.95 by default; a KPI short of its target whose confidence interval holds
  the target is "on track within uncertainty", and a change between two periods is called
  significant only when it is beyond the interval of the difference. 0 turns both off.

Every KPI is a registered metric (`clientbook.metrics.registry.SCORECARD_KEYS` maps the
scorecard's names, which targets use, to registry keys: retention_rate is
`period_retention`, churn_rate is `period_churn`, complaint_rate is
`complaint_tickets_per_buyer`, sla_attainment is `first_response_sla`).
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
from clientbook.metrics.registry import METRICS, SCORECARD_KEYS
from clientbook.present.i18n import t
from clientbook.present.numbers import format_change as format_number_change
from clientbook.present.numbers import format_number
from clientbook.steps.satisfaction import wilson

STEP = "performance_review"
DEFAULT_NEAR = 0.05
DEFAULT_CONFIDENCE = 0.95
STATUSES = ("met", "uncertain", "near", "missed", "too_few", "no_target", "no_data")
JUDGED = ("met", "uncertain", "near", "missed")  # statuses judged against a target


@dataclass(frozen=True)
class KPI:
    key: str  # the scorecard's name (targets use it)
    unit: str  # a unit of present.numbers (count | rate | money | score)
    better: str  # higher | lower
    metric: str = ""  # the registry key it reports as

    @property
    def min_n(self) -> int:
        return METRICS[self.metric].min_n if self.metric else 0


KPIS: dict[str, KPI] = {
    name: KPI(name, METRICS[key].unit, METRICS[key].better, key)
    for name, key in SCORECARD_KEYS.items()
}


@dataclass(frozen=True)
class Actual:
    """One KPI value; `needs` names the missing table/column when it cannot be computed;
    `n` the cases it rests on (None: not a sample), `low`/`high` its 95% interval."""

    value: float = math.nan
    needs: str | None = None
    n: int | None = None
    low: float = math.nan
    high: float = math.nan


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

    def retention_counts(self, window: Period, previous: Period) -> tuple[int, int]:
        """(previous buyers who bought again in the window, previous buyers)."""
        before = self.buyers(previous)
        return int((before & self.buyers(window)).sum()), int(before.sum())

    def retention_rate(self, window: Period, previous: Period) -> float:
        return _ratio(*self.retention_counts(window, previous))

    def repeat_counts(self, window: Period) -> tuple[int, int]:
        """(customers who bought on 2+ days by the window end, customers who bought)."""
        end_day = np.datetime64(window.end).astype("datetime64[D]").view(np.int64)
        upto = self.pair_day <= end_day
        days = np.bincount(self.pair_code[upto], minlength=len(self.ids))
        return int((days >= 2).sum()), int((days >= 1).sum())

    def repeat_rate(self, window: Period) -> float:
        return _ratio(*self.repeat_counts(window))

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
        return Actual(n=0)
    from clientbook.steps import satisfaction as sat

    score = sat.nps(s)
    return Actual(score.value, n=score.n, low=score.low, high=score.high)


def csat(surveys: pd.DataFrame | None, window: Period) -> Actual:
    if surveys is None or "csat_score" not in surveys.columns:
        return Actual(needs="surveys.csat_score")
    s = surveys.loc[_between(surveys["survey_date"], window), "csat_score"].dropna()
    return _share(int((s >= 4).sum()), len(s))


def _share(k: int, n: int) -> Actual:
    """A share k / n with its Wilson interval (no value when n = 0)."""
    if n <= 0:
        return Actual(n=0)
    low, high = wilson(k, n)
    return Actual(k / n, n=n, low=low, high=high)


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
    if buyers and complaints <= buyers:
        return _share(complaints, buyers)
    return Actual(_ratio(complaints, buyers), n=buyers)


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
    return _share(int(met.astype(bool).sum()), len(met))


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
    kept = _share(*ob.retention_counts(window, previous))
    churn = Actual(1.0 - kept.value, n=kept.n, low=1.0 - kept.high, high=1.0 - kept.low)
    spend = marketing_spend(book.marketing if book.has("marketing") else None, window, book.region)
    cac = spend if spend.needs else Actual(_ratio(spend.value, new_now), n=new_now)
    surveys = book.surveys if book.has("surveys") else None
    tickets = book.tickets if book.has("tickets") else None
    buyers = ob.n_buyers(window)
    return {
        "new_customers": Actual(float(new_now)),
        "new_customer_growth": Actual(_ratio(new_now - new_before, new_before), n=new_before),
        "retention_rate": kept,
        "churn_rate": churn,
        "repeat_rate": _share(*ob.repeat_counts(window)),
        "revenue_per_customer": Actual(ob.revenue_per_customer(window), n=buyers),
        "nps": nps(surveys, window),
        "csat": csat(surveys, window),
        "complaint_rate": complaint_rate(tickets, buyers, window),
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
    actual: float,
    target: float,
    better: str = "higher",
    near: float = DEFAULT_NEAR,
    n: int | None = None,
    min_n: int = 0,
    low: float = math.nan,
    high: float = math.nan,
) -> str:
    """met / uncertain / near / missed / too_few; `near` is the tolerated shortfall as a share
    of |target|. Both edges are inclusive: exactly on target is met, exactly at the band edge
    is near. With a sample size `n` below `min_n` the KPI is "too_few" (to judge); short of
    the target but with the target inside the interval [low, high] it is "uncertain" (on
    track within uncertainty)."""
    if actual is None or pd.isna(actual):
        return "no_data"
    if target is None or pd.isna(target):
        return "no_target"
    if n is not None and n < min_n:
        return "too_few"
    ahead = actual - target if better == "higher" else target - actual  # >= 0 is good
    eps = 1e-9 * max(1.0, abs(target))  # so that 0.9 * 0.95 counts as exactly at the edge
    if ahead >= -eps:
        return "met"
    if not (pd.isna(low) or pd.isna(high)) and low - eps <= target <= high + eps:
        return "uncertain"
    if ahead >= -near * abs(target) - eps:
        return "near"
    return "missed"


def min_samples(settings: Mapping[str, Any]) -> dict[str, int]:
    """kpi -> minimum sample: the registry's, or the `min_sample` setting (a number for
    every KPI, or {kpi: number})."""
    value = setting(settings, "min_sample", None)
    out = {k: kpi.min_n for k, kpi in KPIS.items()}
    if isinstance(value, Mapping):
        out |= {str(k): int(v) for k, v in value.items()}
    elif value is not None:
        out = {k: int(value) for k in out}
    return out


def _z(confidence: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2) if confidence else math.nan


def change_significant(
    unit: str, now: Actual, before: Actual, confidence: float = DEFAULT_CONFIDENCE
) -> bool | None:
    """Whether the change from `before` to `now` is beyond chance at `confidence`: for
    shares and scores with intervals, |difference| > z x sqrt(se_now^2 + se_before^2) (each se
    read off its interval); for counts, a Poisson test; None when it cannot be tested."""
    if not confidence or pd.isna(now.value) or pd.isna(before.value):
        return None
    z = _z(confidence)
    diff = abs(now.value - before.value)
    if unit == "count":
        var = now.value + before.value
        return bool(diff > z * math.sqrt(var)) if var > 0 else None
    if any(pd.isna(x) for x in (now.low, now.high, before.low, before.high)):
        return None
    se = [(x.high - x.low) / (2 * z) for x in (now, before)]
    spread = math.sqrt(se[0] ** 2 + se[1] ** 2)
    return bool(diff > z * spread) if spread > 0 else bool(diff > 0)


# ---------------------------------------------------------------- the scorecard

COLUMNS = [
    "kpi", "metric", "unit", "better", "actual", "target", "previous", "change", "change_pct",
    "significant", "vs_target", "status", "n", "min_n", "low", "high", "needs",
]  # fmt: skip


def scorecard(book: Book) -> pd.DataFrame:
    """One row per KPI: actual (with its sample `n` and interval `low`..`high`), target,
    previous, change (and whether it is `significant`), status and what is missing.

    `change` is actual - previous (points for rates), `change_pct` the relative change;
    `vs_target` is the signed distance to target as a share of |target|, positive = better.
    """
    if book.period is None:
        return pd.DataFrame(columns=COLUMNS)
    cur, prev = book.period, book.previous_period
    ob = OrderBook(book.customers, book.orders)
    now = compute_kpis(book, cur, prev, ob)
    before = compute_kpis(book, prev, prev.previous(book.period_freq), ob)
    targets = book_targets(book)
    rules = kpi_rules(book.settings)
    mins = min_samples(book.settings)
    confidence = float(setting(book.settings, "confidence", DEFAULT_CONFIDENCE) or 0)
    rows = []
    for key, kpi in KPIS.items():
        a, p = now[key], before[key]
        target = targets.get(key, math.nan)
        better, near = rules[key]
        ahead = math.nan
        if not (math.isnan(a.value) or math.isnan(target)) and target != 0:
            ahead = (a.value - target) / abs(target) * (1 if better == "higher" else -1)
        low, high = (a.low, a.high) if confidence else (math.nan, math.nan)
        rows.append(
            {
                "kpi": key,
                "metric": kpi.metric,
                "unit": kpi.unit,
                "better": better,
                "actual": a.value,
                "target": target,
                "previous": p.value,
                "change": a.value - p.value,
                "change_pct": _ratio(a.value - p.value, abs(p.value)) if p.value else math.nan,
                "significant": change_significant(kpi.unit, a, p, confidence),
                "vs_target": ahead,
                "status": traffic_light(a.value, target, better, near, a.n, mins[key], low, high),
                "n": a.n,
                "min_n": mins[key],
                "low": a.low,
                "high": a.high,
                "needs": a.needs,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def metrics(card: pd.DataFrame) -> dict[str, tuple[float, int | None]]:
    """The scorecard's actuals as registered KPIs (``clientbook.metrics``): key -> (value, n)."""
    out = {}
    for r in card.itertuples(index=False):
        n = None if r.n is None or pd.isna(r.n) else int(r.n)
        out[r.metric] = (r.actual, n)
    return out


_UNIT = {"points": "score"}  # the scorecard's old unit name


def format_value(
    unit: str, value: float, lang: str | None = None, currency: str | None = None
) -> str:
    """A KPI value as every deliverable shows it (`present.numbers.format_number`)."""
    return format_number(value, _UNIT.get(unit, unit), lang=lang or _lang(), currency=currency)


def format_change(
    unit: str, change: float, lang: str | None = None, currency: str | None = None
) -> str:
    """A change as the reader expects it: percentage points for rates, +/- otherwise."""
    unit = _UNIT.get(unit, unit)
    if unit == "score" and not pd.isna(change):
        return f"{float(change):+.0f}"
    return format_number_change(change, unit, lang=lang or _lang(), currency=currency)


def _lang() -> str:
    from clientbook.present.i18n import current

    return current()


def _needs(value: Any) -> str | None:
    """The missing table/column of a scorecard row (a DataFrame gives NaN for None)."""
    return value if isinstance(value, str) and value else None


def _status_text(r: Any, lang_args: tuple[str, ...]) -> str:
    needs = _needs(r.needs)
    if needs:
        return t("performance.needs", *lang_args, table=needs)
    if r.status == "too_few":
        return t("performance.status_too_few", *lang_args, n=int(r.n), min_n=int(r.min_n))
    return t(f"performance.status.{r.status}", *lang_args)


def _change_text(r: Any, lang: str | None, currency: str | None, lang_args: tuple[str, ...]) -> str:
    text = format_change(r.unit, r.change, lang, currency)
    if pd.isna(r.change):
        return text
    if _bool(r.significant) is False:
        return f"{text} ({t('performance.not_significant_short', *lang_args)})"
    return text


def _bool(v: Any) -> bool | None:
    return bool(v) if isinstance(v, bool | np.bool_) else None


def scorecard_table(
    card: pd.DataFrame, lang: str | None = None, currency: str | None = None
) -> pd.DataFrame:
    """The scorecard as the client reads it: localized names and formatted numbers (the
    registry's unit, `present.numbers`); a change that is within chance says so."""
    lang_args = (lang,) if lang else ()
    rows = []
    for r in card.itertuples(index=False):
        rows.append(
            {
                t("performance.col.kpi", *lang_args): t(f"performance.kpi.{r.kpi}", *lang_args),
                t("performance.col.actual", *lang_args): format_value(
                    r.unit, r.actual, lang, currency
                ),
                t("performance.col.target", *lang_args): format_value(
                    r.unit, r.target, lang, currency
                ),
                t("performance.col.previous", *lang_args): format_value(
                    r.unit, r.previous, lang, currency
                ),
                t("performance.col.change", *lang_args): _change_text(r, lang, currency, lang_args),
                t("performance.col.status", *lang_args): _status_text(r, lang_args),
            }
        )
    return pd.DataFrame(rows)


def scorecard_records(card: pd.DataFrame) -> list[dict[str, Any]]:
    """What 07 records as `scorecard` (the index page's comparison reads it)."""
    keep = [
        "kpi",
        "metric",
        "unit",
        "better",
        "actual",
        "target",
        "previous",
        "change",
        "significant",
        "vs_target",
        "status",
        "n",
        "min_n",
    ]
    out = []
    for row in card[[c for c in keep if c in card]].to_dict("records"):
        out.append({k: (None if _missing(v) else v) for k, v in row.items()})
    return out


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def distance_chart(card: pd.DataFrame, lang: str | None = None) -> Any:
    """Horizontal bars: how far each KPI is ahead of (+) or behind (-) its target, in % of
    the target, coloured by traffic light. None when no KPI has both a target and a value."""
    from clientbook.present import style

    lang_args = (lang,) if lang else ()
    d = card[card["vs_target"].notna()].iloc[::-1]
    if d.empty:
        return None
    colours = {"met": style.GOOD, "near": style.NEAR, "missed": style.BAD}
    fig, ax = style.fig(8.0, 0.45 * len(d) + 1.4)
    names = [t(f"performance.kpi.{k}", *lang_args) for k in d["kpi"]]
    ax.barh(
        names, d["vs_target"] * 100, color=[colours.get(s, style.PALETTE[6]) for s in d["status"]]
    )
    ax.axvline(0, color="#333333", linewidth=1)
    ax.set_xlabel(t("performance.chart.distance_axis", *lang_args))
    ax.set_title(t("performance.chart.distance_title", *lang_args))
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


def findings(card: pd.DataFrame, lang: str | None = None, currency: str | None = None) -> list[str]:
    """Plain-language headlines: how many targets are met, the worst miss, the best move."""
    lang_args = (lang,) if lang else ()
    out: list[str] = []
    judged = card[card["status"].isin(JUDGED)]
    if len(judged):
        out.append(
            t(
                "performance.finding.on_target",
                *lang_args,
                met=int(judged["status"].isin(["met", "uncertain"]).sum()),
                total=len(judged),
            )
        )
        missed = judged[judged["status"] == "missed"].sort_values("vs_target")
        if len(missed):
            r = missed.iloc[0]
            out.append(
                t(
                    "performance.finding.worst_miss",
                    *lang_args,
                    kpi=t(f"performance.kpi.{r.kpi}", *lang_args),
                    actual=format_value(r.unit, r.actual, lang, currency),
                    target=format_value(r.unit, r.target, lang, currency),
                )
            )
    else:
        out.append(t("performance.finding.no_targets", *lang_args))
    move = biggest_move(card, lang)
    if move:
        out.append(move)
    return out


def biggest_move(card: pd.DataFrame, lang: str | None = None) -> str | None:
    """The KPI that moved most since the previous period, in words (rates by points, else
    counts and money by percent); None when nothing can be compared."""
    lang_args = (lang,) if lang else ()
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
    kpi = t(f"performance.kpi.{r.kpi}", *lang_args)
    sig = _bool(r.get("significant")) if hasattr(r, "get") else None
    key = {True: "significant", False: "not_significant"}.get(sig, "untested")
    return (
        t("performance.finding.biggest_move", *lang_args, kpi=kpi, change=change)
        + " "
        + t(f"performance.change.{key}", *lang_args)
    )


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

    la = (lang,) if lang else ()
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
            t(f"performance.kpi.{kpi}", *la) + (" (%)" if unit == "rate" else ""), fontsize=10
        )
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(t("performance.chart.trend_title", *la), x=0.01, ha="left", fontweight="bold")
    fig.tight_layout()
    return fig


def partial_period(book: Book) -> bool:
    """True when the export ends before the current period's last day (as_of is the export
    date, by default the day after the last order): the period's counts and revenue are then
    incomplete and should not be read against a full-period target. An export dated on the
    period's last day covers the period."""
    return book.period is not None and book.as_of.normalize() < book.period.end.normalize()


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
