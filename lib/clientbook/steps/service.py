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

from clientbook.data.book import rows_between
from clientbook.present.i18n import value_label
from clientbook.steps.satisfaction import SATISFIED_FROM, wilson

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
    """SLA targets from the audit's settings (``settings.service.sla``, or the older top-level
    ``settings.sla``), validated by `clientbook.config.settings.ServiceSettings`; 4 h / 48 h."""
    from clientbook.config.settings import for_step

    sla = for_step(settings, "service")["sla"]
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
        # a column the export lacks says nothing: not "never answered"
        for col, met in (
            ("first_response_at", "first_response_met"),
            ("resolved_at", "resolution_met"),
        ):
            if col not in tickets:
                t[met] = pd.Series(pd.NA, index=t.index, dtype="boolean")
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
        "open": int((~t["resolved"]).sum()) if "resolved_at" in t else 0,
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
    from clientbook.data.book import period_labels

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
    if "resolved_at" not in tickets:  # no resolution dates: the backlog is unknown, not all
        t = t.iloc[0:0]
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


def category_table(categories: pd.DataFrame) -> pd.DataFrame:
    """by_category for reading: categories in the reader's language."""
    from clientbook.present.i18n import value_labels

    return value_labels(categories, {"category": "category"})


def by_category(tickets: pd.DataFrame) -> pd.DataFrame:
    """Tickets per category (complaint, question, ...): category, tickets, share."""
    if "category" not in tickets:
        return pd.DataFrame(columns=["category", "tickets", "share"])
    c = tickets["category"].astype("string").fillna("Unknown").value_counts()
    return pd.DataFrame(
        {"category": c.index.astype("string"), "tickets": c.to_numpy(),
         "share": c.to_numpy() / c.sum()}
    )  # fmt: skip


# ---------------------------------------------------------------- playbook helpers


def in_period(tickets: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Tickets opened between `start` and `end` (inclusive)."""
    return rows_between(tickets, "opened_at", start, end)


def targets_text(sla: SlaTargets) -> tuple[str, str]:
    """("4 h (chat 0.5 h)", "48 h") : the first-response and resolution targets in words."""

    def one(h: float, per: Mapping[str, float]) -> str:
        extra = ", ".join(f"{k} {v:g} h" for k, v in per.items())
        return f"{h:g} h" + (f" ({extra})" if extra else "")

    return one(sla.first_response_hours, sla.first_response_by_channel), one(
        sla.resolution_hours, sla.resolution_by_channel
    )


def summary_fields(now: ServiceSummary) -> dict[str, str]:
    """The summary sentence's figures as the reader sees them (`service.summary`): medians
    and p90s as durations, attainments and rates as percentages."""
    from clientbook.present.numbers import format_number

    return {
        "tickets": format_number(now.tickets, "count"),
        "fr_median": hours_text(now.first_response_median_h),
        "fr_p90": hours_text(now.first_response_p90_h),
        "fr_sla": format_number(now.first_response_sla, "rate"),
        "res_median": hours_text(now.resolution_median_h),
        "res_p90": hours_text(now.resolution_p90_h),
        "res_sla": format_number(now.resolution_sla, "rate"),
        "fcr": format_number(now.fcr, "rate"),
        "reopen": format_number(now.reopen_rate, "rate"),
    }


def kpis(now: ServiceSummary, open_now: int) -> dict[str, float | int]:
    """The step's headline numbers for results.json."""
    return {
        "tickets": now.tickets,
        "first_response_attainment": now.first_response_sla,
        "resolution_attainment": now.resolution_sla,
        "fcr_rate": now.fcr,
        "reopen_rate": now.reopen_rate,
        "open_tickets": open_now,
    }


def hours_text(h: float) -> str:
    """Hours as a consultant says them: '12 min', '5.2 h', '3.1 d' (zh: 分钟 / 小时 / 天)."""
    from clientbook.present.i18n import current
    from clientbook.present.numbers import format_number

    if h is None or math.isnan(h):
        return "–"
    if h < 1:
        return format_number(h * 60, "minutes", lang=current(), digits=0)
    if h < 48:
        return format_number(h, "hours", lang=current(), digits=1)
    return format_number(h / 24, "days", lang=current(), digits=1)


def channel_table(table: pd.DataFrame) -> pd.DataFrame:
    """The by-channel table for reading (times as text, rates as %)."""
    from clientbook.present.i18n import t

    def pct(x: float) -> str:
        return "–" if pd.isna(x) else f"{x * 100:.0f}%"

    out = pd.DataFrame(
        {
            "channel": [value_label("channel", v) for v in table["channel"]],
            "tickets": table["tickets"].astype(int),
            "share": table["share"].map(pct),
            "first_response": [
                f"{hours_text(m)} / {hours_text(p)}"
                for m, p in zip(
                    table["first_response_median_h"], table["first_response_p90_h"], strict=True
                )
            ],
            "resolution": [
                f"{hours_text(m)} / {hours_text(p)}"
                for m, p in zip(
                    table["resolution_median_h"], table["resolution_p90_h"], strict=True
                )
            ],
            "first_response_sla": table["first_response_sla"].map(pct),
            "resolution_sla": table["resolution_sla"].map(pct),
            "fcr": table["fcr"].map(pct),
            "reopen_rate": table["reopen_rate"].map(pct),
            "open": table["open"].astype(int),
        }
    )
    return out.rename(columns={c: t(f"service.column.{c}") for c in out.columns})


def sla_chart(table: pd.DataFrame, target: float | None = None) -> Any:
    """SLA attainment per channel, first response and resolution; the target as a line."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    fig, ax = style.fig(8.0, max(2.4, 0.55 * len(table) + 1.2))
    tb = table.iloc[::-1]
    y = np.arange(len(tb))
    ax.barh(y + 0.2, tb["first_response_sla"].fillna(0) * 100, 0.4, color=style.PRIMARY,
            label=t("service.column.first_response_sla"))  # fmt: skip
    ax.barh(y - 0.2, tb["resolution_sla"].fillna(0) * 100, 0.4, color=style.PALETTE[1],
            label=t("service.column.resolution_sla"))  # fmt: skip
    if target is not None and not math.isnan(target):
        ax.axvline(target * 100, color=style.BAD, ls="--", lw=1.2, label=t("service.target"))
    ax.set_yticks(y, [value_label("channel", v) for v in tb["channel"]])
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("service.axis.attainment"))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    style.legend_below(fig, *ax.get_legend_handles_labels())
    ax.set_title(t("service.chart.sla"))
    return fig


def time_chart(tickets: pd.DataFrame, as_of: pd.Timestamp | None = None) -> Any:
    """First response and resolution times by channel (box plots on a log scale of hours):
    the box is the middle half of the tickets, the whiskers the usual range."""
    import warnings

    import seaborn as sns

    from clientbook.present import style
    from clientbook.present.i18n import t

    times = ticket_times(tickets, as_of)
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "channel": times["channel"],
                    "hours": times["first_response_hours"],
                    "measure": t("distributions.service.first_response"),
                }
            ),
            pd.DataFrame(
                {
                    "channel": times["channel"],
                    "hours": times["resolution_hours"],
                    "measure": t("distributions.service.resolution"),
                }
            ),
        ],
        ignore_index=True,
    )
    long = long[long["hours"] > 0].dropna(subset=["hours"])
    long["channel"] = [value_label("channel", v) for v in long["channel"]]
    order = long["channel"].value_counts().index.tolist()
    fig, ax = style.fig(8.0, max(2.6, 0.6 * len(order) + 1.4))
    with warnings.catch_warnings():  # seaborn 0.13 passes matplotlib 3.11 a deprecated `vert`
        warnings.simplefilter("ignore", category=DeprecationWarning)
        sns.boxplot(
            data=long,
            x="hours",
            y="channel",
            hue="measure",
            order=order,
            ax=ax,
            log_scale=True,
            fliersize=1.5,
            linewidth=0.8,
            palette=[style.PRIMARY, style.PALETTE[1]],
        )
    ax.xaxis.set_major_formatter(lambda v, _: hours_text(v))
    ax.set_xlabel(t("distributions.service.time_axis"))
    ax.set_ylabel("")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    style.legend_below(fig, handles, labels)
    ax.set_title(t("distributions.service.title"))
    return fig


def trend_chart(periods: pd.DataFrame) -> Any:
    """Tickets opened per period (bars) and SLA attainment (lines, right axis)."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    fig, ax = style.fig()
    x = np.arange(len(periods))
    ax.bar(x, periods["tickets"], color=style.PALETTE[6], label=t("service.column.tickets"))
    ax.set_xticks(x, periods["period"], rotation=45 if len(periods) > 8 else 0)
    ax.set_ylabel(t("service.column.tickets"))
    ax2 = ax.twinx()
    ax2.plot(x, periods["first_response_sla"] * 100, marker="o", color=style.PRIMARY,
             label=t("service.column.first_response_sla"))  # fmt: skip
    ax2.plot(x, periods["resolution_sla"] * 100, marker="o", color=style.ACCENT,
             label=t("service.column.resolution_sla"))  # fmt: skip
    ax2.set_ylim(0, 100)
    ax2.set_ylabel(t("service.axis.attainment"))
    ax2.grid(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    style.legend_below(fig, h1 + h2, l1 + l2)
    ax.set_title(t("service.chart.trend"))
    return fig


def backlog_chart(table: pd.DataFrame) -> Any:
    """Open tickets by age bucket; the old ones in red."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    fig, ax = style.fig(8.0, 3.4)
    names = [t(f"service.age.{b}") for b in table["bucket"]]
    colors = [style.BAD if b in ("d7_30", "gt30d") else style.PRIMARY for b in table["bucket"]]
    ax.bar(names, table["tickets"], color=colors)
    ax.set_ylabel(t("service.column.open"))
    ax.set_title(t("service.chart.backlog"))
    return fig


def csat_chart(table: pd.DataFrame) -> Any:
    """CSAT (share of 4-5) per resolution-time bucket, with Wilson whiskers and sample sizes."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    fig, ax = style.fig(8.0, 3.6)
    names = [
        f"{t(f'service.resolution.{b}')}\n(n={n})"
        for b, n in zip(table["bucket"], table["responses"], strict=True)
    ]
    err = np.vstack([table["csat"] - table["csat_low"], table["csat_high"] - table["csat"]]) * 100
    ax.bar(names, table["csat"].fillna(0) * 100, yerr=np.nan_to_num(err), capsize=3,
           color=style.PRIMARY)  # fmt: skip
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("service.axis.csat"))
    ax.set_title(t("service.chart.csat"))
    return fig


MIN_JUDGED = 30  # tickets below which SLA attainment is not judged (the metric registry's)


def findings(
    now: ServiceSummary,
    period: str,
    table: pd.DataFrame,
    backlog_table: pd.DataFrame,
    csat_table: pd.DataFrame,
    target: float | None = None,
) -> list[str]:
    """Plain-language findings for the executive summary (in the current language)."""
    from clientbook.present.i18n import t
    from clientbook.present.numbers import format_number
    from clientbook.steps.satisfaction import wilson

    def pct(x: float) -> str:
        return format_number(x, "rate")

    out: list[str] = []
    if now.tickets:
        out.append(
            t("service.finding.volume", tickets=now.tickets, period=period,
              fr=hours_text(now.first_response_median_h),
              res=hours_text(now.resolution_median_h))
        )  # fmt: skip
    if not math.isnan(now.first_response_sla):
        key = "sla"
        if target is not None and not math.isnan(target) and now.tickets >= MIN_JUDGED:
            # judged as the scorecard judges it: on enough tickets, and a shortfall whose
            # interval holds the target is within uncertainty
            low, high = wilson(round(now.first_response_sla * now.tickets), now.tickets)
            key = (
                "sla_met"
                if now.first_response_sla >= target
                else "sla_uncertain"
                if low <= target <= high
                else "sla_missed"
            )
        out.append(
            t(f"service.finding.{key}", fr=pct(now.first_response_sla),
              res="–" if math.isnan(now.resolution_sla) else pct(now.resolution_sla),
              target=pct(target) if target is not None else "")
        )  # fmt: skip
    ok = table.dropna(subset=["first_response_sla"])
    ok = ok[ok["tickets"] >= 10]
    if len(ok) >= 2:
        worst = ok.loc[ok["first_response_sla"].idxmin()]
        out.append(
            t("service.finding.worst_channel", channel=value_label("channel", worst["channel"]),
              fr=pct(worst["first_response_sla"]),
              median=hours_text(worst["first_response_median_h"]))
        )  # fmt: skip
    if not math.isnan(now.fcr):
        out.append(
            t("service.finding.fcr", fcr=pct(now.fcr),
              reopen="–" if math.isnan(now.reopen_rate) else pct(now.reopen_rate))
        )  # fmt: skip
    old = int(backlog_table.loc[backlog_table["bucket"].isin(["d7_30", "gt30d"]), "tickets"].sum())
    if old:
        out.append(t("service.finding.backlog", old=old, open=int(backlog_table["tickets"].sum())))
    c = csat_table[csat_table["responses"] >= 10].dropna(subset=["csat"])
    if len(c) >= 2 and c["csat"].iloc[0] - c["csat"].iloc[-1] >= 0.1:
        out.append(
            t("service.finding.csat", fast=pct(c["csat"].iloc[0]), slow=pct(c["csat"].iloc[-1]),
              fast_bucket=t(f"service.resolution.{c['bucket'].iloc[0]}"),
              slow_bucket=t(f"service.resolution.{c['bucket'].iloc[-1]}"))
        )  # fmt: skip
    return out


def window_metrics(
    tickets: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    sla: SlaTargets | None = None,
    as_of: pd.Timestamp | None = None,
) -> dict[str, tuple[float, int | None]]:
    """The step's registered KPIs (``clientbook.metrics``) of the tickets opened in the window
    [start, end]: key -> (value, tickets judged). Open tickets are counted at `as_of`."""
    t = ticket_times(tickets, as_of, sla or SlaTargets())
    inside = t[(t["opened_at"] >= start) & (t["opened_at"] <= end)]

    def rate(col: str) -> tuple[float, int]:
        f = inside[col].dropna()
        return (float(f.astype(bool).mean()) if len(f) else math.nan), int(len(f))

    open_now = int((~t["resolved"]).sum()) if "resolved_at" in tickets else None
    out: dict[str, tuple[float, int | None]] = {
        "tickets": (float(len(inside)), int(len(inside))),
        "first_response_sla": rate("first_response_met"),
        "resolved_in_sla": rate("resolution_met"),
        "first_contact_resolution": rate("fcr"),
        "reopen_rate": rate("reopened_flag"),
    }
    if open_now is not None:
        out["open_tickets"] = (float(open_now), None)
    return out
