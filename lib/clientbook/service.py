"""Service tickets: volume by channel, response and resolution times, SLA attainment,
first-contact resolution, reopen rate, backlog by age, and CSAT by resolution time.

Times are in hours. A ticket's state is read at `as_of` (the slice's date): a response or a
resolution stamped after `as_of` has not happened yet, so period slices see the backlog as it
was at the end of the period.

SLA attainment counts a ticket once its target is due: met when it was answered (resolved)
within the target; missed when answered (resolved) later, or still waiting past the target.
Tickets still waiting but not yet past their target are not counted either way.

SLA targets come from the audit file's analysis settings, key ``sla``::

    sla:
      first_response_hours: 4          # one target for every channel, or per channel:
      resolution_hours: {default: 48, chat: 8, email: 72}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clientbook.satisfaction import SATISFIED_FROM, wilson

DEFAULT_SLA = {"first_response_hours": 4.0, "resolution_hours": 48.0}
# Backlog age buckets (days, right-open) and resolution-time buckets (hours) for CSAT.
BACKLOG_DAYS = (0, 1, 3, 7, 30, math.inf)
BACKLOG_LABELS = ("lt1d", "d1_3", "d3_7", "d7_30", "gt30d")
RESOLUTION_HOURS = (0, 4, 24, 72, 168, math.inf)
RESOLUTION_LABELS = ("lt4h", "h4_24", "d1_3", "d3_7", "gt7d")


@dataclass(frozen=True)
class SlaTargets:
    """Hours allowed for the first response and for resolution, globally or per channel."""

    first_response_hours: float = DEFAULT_SLA["first_response_hours"]
    resolution_hours: float = DEFAULT_SLA["resolution_hours"]
    first_response_by_channel: Mapping[str, float] = field(default_factory=dict)
    resolution_by_channel: Mapping[str, float] = field(default_factory=dict)

    def first_response(self, channel: str) -> float:
        return float(self.first_response_by_channel.get(channel, self.first_response_hours))

    def resolution(self, channel: str) -> float:
        return float(self.resolution_by_channel.get(channel, self.resolution_hours))


def _target(value: Any, default: float) -> tuple[float, dict[str, float]]:
    if value is None:
        return default, {}
    if isinstance(value, Mapping):
        per = {str(k): float(v) for k, v in value.items() if k != "default"}
        return float(value.get("default", default)), per
    return float(value), {}


def sla_targets(settings: Mapping[str, Any] | None) -> SlaTargets:
    """SLA targets from the audit's settings (``settings["sla"]``), defaults 4 h / 48 h."""
    sla = (settings or {}).get("sla") or {}
    fr, fr_ch = _target(sla.get("first_response_hours"), DEFAULT_SLA["first_response_hours"])
    rs, rs_ch = _target(sla.get("resolution_hours"), DEFAULT_SLA["resolution_hours"])
    return SlaTargets(fr, rs, fr_ch, rs_ch)


def _hours(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 3600


def ticket_times(
    tickets: pd.DataFrame, as_of: pd.Timestamp | None = None, sla: SlaTargets | None = None
) -> pd.DataFrame:
    """Tickets with their state at `as_of` (a new frame). Adds:

    responded, resolved (bool), first_response_hours, resolution_hours (NaN while waiting),
    age_hours (opened -> as_of), fcr (1 contact, resolved tickets with a contact count),
    reopened_flag, and when `sla` is given: first_response_met / resolution_met (True, False, or
    NA while not yet due).
    """
    t = tickets.copy()
    opened = pd.to_datetime(t["opened_at"])
    if as_of is None:
        stamps = [opened] + [
            pd.to_datetime(t[c]) for c in ("first_response_at", "resolved_at") if c in t
        ]
        as_of = max(s.max() for s in stamps)
    as_of = pd.Timestamp(as_of)
    nat = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    responded_at = pd.to_datetime(t["first_response_at"]) if "first_response_at" in t else nat
    resolved_at = pd.to_datetime(t["resolved_at"]) if "resolved_at" in t else nat
    # what happened after as_of has not happened yet in this slice
    responded_at = responded_at.where(responded_at <= as_of)
    resolved_at = resolved_at.where(resolved_at <= as_of)
    t["channel"] = t["channel"].astype("string").fillna("Unknown")
    t["responded"] = responded_at.notna()
    t["resolved"] = resolved_at.notna()
    t["first_response_hours"] = _hours(responded_at - opened)
    t["resolution_hours"] = _hours(resolved_at - opened)
    t["age_hours"] = _hours(as_of - opened)
    contacts = pd.to_numeric(t["contacts"], errors="coerce") if "contacts" in t else None
    fcr = pd.Series(pd.NA, index=t.index, dtype="boolean")
    if contacts is not None:
        fcr = (contacts <= 1).astype("boolean").where(t["resolved"] & contacts.notna())
    t["fcr"] = fcr
    if "reopened" in t:
        re = pd.to_numeric(t["reopened"], errors="coerce")
        t["reopened_flag"] = (re > 0).astype("boolean").where(t["resolved"] & re.notna())
    else:
        t["reopened_flag"] = pd.Series(pd.NA, index=t.index, dtype="boolean")
    if sla is not None:
        fr_target = t["channel"].map(sla.first_response).astype(float)
        rs_target = t["channel"].map(sla.resolution).astype(float)
        t["first_response_met"] = _met(
            t["first_response_hours"], t["age_hours"], fr_target, t["responded"]
        )
        t["resolution_met"] = _met(t["resolution_hours"], t["age_hours"], rs_target, t["resolved"])
    return t


def _met(took: pd.Series, age: pd.Series, target: pd.Series, done: pd.Series) -> pd.Series:
    """True within target, False late or overdue, NA while waiting and not yet due."""
    out = pd.Series(pd.NA, index=took.index, dtype="boolean")
    out[done] = took[done] <= target[done]
    overdue = ~done & (age > target)
    out[overdue] = False
    return out


def _rate(flags: pd.Series) -> float:
    f = flags.dropna()
    return float(f.astype(bool).mean()) if len(f) else math.nan


def _q(x: pd.Series, q: float) -> float:
    x = x.dropna()
    return float(np.quantile(x, q)) if len(x) else math.nan


def _summary_row(t: pd.DataFrame) -> dict[str, Any]:
    return {
        "tickets": len(t),
        "open": int((~t["resolved"]).sum()),
        "first_response_median_h": _q(t["first_response_hours"], 0.5),
        "first_response_p90_h": _q(t["first_response_hours"], 0.9),
        "resolution_median_h": _q(t["resolution_hours"], 0.5),
        "resolution_p90_h": _q(t["resolution_hours"], 0.9),
        "first_response_sla": _rate(t["first_response_met"]),
        "resolution_sla": _rate(t["resolution_met"]),
        "fcr": _rate(t["fcr"]),
        "reopen_rate": _rate(t["reopened_flag"]),
    }


def by_channel(
    tickets: pd.DataFrame, sla: SlaTargets | None = None, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per channel (largest first): tickets, share, open, median/p90 first-response and
    resolution hours (numpy's linear percentile), SLA attainment of both targets, first-contact
    resolution and reopen rate (shares of resolved tickets)."""
    t = ticket_times(tickets, as_of, sla or SlaTargets())
    rows = [{"channel": ch, **_summary_row(g)} for ch, g in t.groupby("channel", sort=True)]
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out.insert(2, "share", out["tickets"] / out["tickets"].sum())
    return out.sort_values(["tickets", "channel"], ascending=[False, True], ignore_index=True)


@dataclass(frozen=True)
class ServiceSummary:
    tickets: int
    open: int
    first_response_median_h: float
    first_response_p90_h: float
    resolution_median_h: float
    resolution_p90_h: float
    first_response_sla: float
    resolution_sla: float
    fcr: float
    reopen_rate: float


def summary(
    tickets: pd.DataFrame, sla: SlaTargets | None = None, as_of: pd.Timestamp | None = None
) -> ServiceSummary:
    """The headline service numbers over all tickets."""
    return ServiceSummary(**_summary_row(ticket_times(tickets, as_of, sla or SlaTargets())))


def by_period(
    tickets: pd.DataFrame,
    freq: str = "quarter",
    sla: SlaTargets | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The summary per period of opening (oldest first), with a `period` column."""
    from clientbook.book import period_labels

    t = ticket_times(tickets, as_of, sla or SlaTargets())
    t["period"] = period_labels(pd.to_datetime(t["opened_at"]), freq)
    rows = [{"period": p, **_summary_row(g)} for p, g in t.groupby("period", sort=True)]
    return pd.DataFrame(rows)


def backlog(
    tickets: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    days: Sequence[float] = BACKLOG_DAYS,
    labels: Sequence[str] = BACKLOG_LABELS,
) -> pd.DataFrame:
    """Open tickets at `as_of` by age bucket: bucket (key), tickets, share; every bucket shown.

    Buckets are right-open day ranges: [0, 1), [1, 3), [3, 7), [7, 30), [30, inf).
    Bucket keys translate via ``service.age.<key>``.
    """
    t = ticket_times(tickets, as_of)
    age_days = t.loc[~t["resolved"], "age_hours"] / 24
    bucket = pd.cut(age_days, bins=list(days), labels=list(labels), right=False)
    counts = bucket.value_counts().reindex(list(labels), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "bucket": list(labels),
            "tickets": counts.to_numpy().astype(int),
            "share": counts.to_numpy() / total if total else np.nan,
        }
    )


def csat_by_resolution_time(
    tickets: pd.DataFrame,
    surveys: pd.DataFrame,
    hours: Sequence[float] = RESOLUTION_HOURS,
    labels: Sequence[str] = RESOLUTION_LABELS,
    confidence: float = 0.95,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """CSAT of post-service surveys (linked by ticket_id) by how long the ticket took to resolve.

    Columns: bucket (key, ``service.resolution.<key>``), responses, csat (share of 4-5),
    csat_low, csat_high (Wilson). Buckets are right-open hour ranges; empty buckets show 0
    responses and NaN CSAT. Surveys without a ticket or a CSAT answer are left out.
    """
    empty = pd.DataFrame(
        {"bucket": list(labels), "responses": 0, "csat": np.nan, "csat_low": np.nan,
         "csat_high": np.nan}
    )  # fmt: skip
    if "ticket_id" not in surveys or "csat_score" not in surveys:
        return empty
    t = ticket_times(tickets, as_of)[["ticket_id", "resolution_hours"]]
    t = t.assign(ticket_id=t["ticket_id"].astype("string"))
    s = surveys[["ticket_id", "csat_score"]].assign(
        ticket_id=surveys["ticket_id"].astype("string"),
        csat_score=pd.to_numeric(surveys["csat_score"], errors="coerce"),
    )
    s = s.dropna().merge(t.drop_duplicates("ticket_id"), on="ticket_id", how="inner")
    s = s.dropna(subset=["resolution_hours"])
    s["bucket"] = pd.cut(s["resolution_hours"], list(hours), labels=list(labels), right=False)
    rows = []
    for b in labels:
        g = s.loc[s["bucket"] == b, "csat_score"]
        k, n = int((g >= SATISFIED_FROM).sum()), len(g)
        low, high = wilson(k, n, confidence)
        rows.append(
            {"bucket": b, "responses": n, "csat": k / n if n else np.nan,
             "csat_low": low, "csat_high": high}
        )  # fmt: skip
    return pd.DataFrame(rows)


def by_category(tickets: pd.DataFrame) -> pd.DataFrame:
    """Tickets per category (complaint, question, ...): category, tickets, share."""
    if "category" not in tickets:
        return pd.DataFrame(columns=["category", "tickets", "share"])
    c = tickets["category"].astype("string").fillna("Unknown").value_counts()
    return pd.DataFrame(
        {"category": c.index.astype("string"), "tickets": c.to_numpy(),
         "share": c.to_numpy() / c.sum()}
    )  # fmt: skip
