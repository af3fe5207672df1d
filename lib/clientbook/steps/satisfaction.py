"""Satisfaction scores: NPS and CSAT with confidence intervals, by group and over time.

Definitions (the ones consultants and clients quote):

- NPS = % promoters (9-10) - % detractors (0-6) of the answers on the 0..10 scale, in points
  from -100 to 100.
- CSAT = share of answers 4 or 5 on the 1..5 scale, a fraction 0..1.

Intervals (95% by default):

- CSAT is a proportion, so it gets the Wilson score interval: unlike the plain normal
  (Wald) interval it stays inside 0..1 and keeps its coverage for small samples and shares
  near 0% or 100%.
- NPS is the difference of two shares of the same multinomial sample (promoters, passives,
  detractors), so its variance is ``(p_P + p_D - (p_P - p_D)^2) / n``; the interval is
  NPS +/- z * sqrt(variance) * 100, clipped to -100..100. This normal approximation is poor
  for small samples (a sample of only promoters has zero variance), which is why every score
  carries a low-sample flag below a minimum sample size (default 30 answers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from clientbook.data.book import period_labels, rows_between

MIN_SAMPLE = 30
CONFIDENCE = 0.95
PROMOTER_FROM = 9  # 9-10
DETRACTOR_UP_TO = 6  # 0-6
SATISFIED_FROM = 4  # CSAT: 4-5 on a 1..5 scale


@dataclass(frozen=True)
class Score:
    """A score with its confidence interval and sample size.

    For NPS, value/low/high are points (-100..100); for CSAT they are shares (0..1).
    `low_sample` is True when fewer than the minimum number of answers back the score: show
    it, but do not act on it.
    """

    value: float
    low: float
    high: float
    n: int
    low_sample: bool


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def _answers(scores: pd.Series) -> pd.Series:
    return pd.to_numeric(scores, errors="coerce").dropna().astype(float)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a share of `successes` out of `n` (NaN, NaN when n = 0)."""
    if n <= 0:
        return math.nan, math.nan
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact ends at 0% and 100% (the formula lands there only up to rounding)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def nps_group(scores: pd.Series) -> pd.Series:
    """'promoter' (9-10), 'passive' (7-8) or 'detractor' (0-6) per answer; NA when no answer."""
    s = pd.to_numeric(scores, errors="coerce")
    out = pd.Series(pd.NA, index=scores.index, dtype="string")
    out[s >= PROMOTER_FROM] = "promoter"
    out[(s > DETRACTOR_UP_TO) & (s < PROMOTER_FROM)] = "passive"
    out[s <= DETRACTOR_UP_TO] = "detractor"
    return out


def nps(scores: pd.Series, confidence: float = CONFIDENCE, min_sample: int = MIN_SAMPLE) -> Score:
    """NPS in points with the multinomial-variance interval (see the module docstring)."""
    s = _answers(scores)
    n = len(s)
    if n == 0:
        return Score(math.nan, math.nan, math.nan, 0, True)
    p_pro = float((s >= PROMOTER_FROM).mean())
    p_det = float((s <= DETRACTOR_UP_TO).mean())
    diff = p_pro - p_det
    var = max(0.0, (p_pro + p_det - diff * diff) / n)
    half = _z(confidence) * math.sqrt(var)
    return Score(
        100 * diff,
        max(-100.0, 100 * (diff - half)),
        min(100.0, 100 * (diff + half)),
        n,
        n < min_sample,
    )


def csat(
    scores: pd.Series,
    confidence: float = CONFIDENCE,
    min_sample: int = MIN_SAMPLE,
    satisfied_from: int = SATISFIED_FROM,
) -> Score:
    """CSAT: share of answers >= `satisfied_from` (4 of 5), with the Wilson interval."""
    s = _answers(scores)
    n = len(s)
    if n == 0:
        return Score(math.nan, math.nan, math.nan, 0, True)
    k = int((s >= satisfied_from).sum())
    low, high = wilson(k, n, confidence)
    return Score(k / n, low, high, n, n < min_sample)


def with_customer_columns(
    surveys: pd.DataFrame,
    customers: pd.DataFrame | None,
    columns: Sequence[str] = ("segment", "region", "channel"),
) -> pd.DataFrame:
    """Surveys with the customer's segment/region/channel attached (a new frame).

    Answers without a known customer get 'Unknown', so they still count in the totals.
    """
    out = surveys.copy()
    if customers is None or "customer_id" not in out.columns:
        return out
    cols = [c for c in columns if c in customers.columns and c not in out.columns]
    if not cols:
        return out
    lookup = customers[["customer_id", *cols]].drop_duplicates("customer_id")
    lookup = lookup.assign(customer_id=lookup["customer_id"].astype("string"))
    out = out.assign(customer_id=out["customer_id"].astype("string")).merge(
        lookup, on="customer_id", how="left"
    )
    for c in cols:
        out[c] = out[c].astype("string").fillna("Unknown")
    return out


def scorecard(
    surveys: pd.DataFrame,
    by: str | None = None,
    confidence: float = CONFIDENCE,
    min_sample: int = MIN_SAMPLE,
) -> pd.DataFrame:
    """NPS and CSAT with intervals, overall (`by=None`) or per value of column `by`.

    Columns: [by,] responses, nps, nps_low, nps_high, nps_n, promoters, passives, detractors
    (shares), csat, csat_low, csat_high, csat_n, low_sample (True when either score has fewer
    than `min_sample` answers). Groups are sorted by responses, largest first.
    """
    groups = [("all", surveys)] if by is None else list(surveys.groupby(by, sort=True))
    rows = []
    for key, g in groups:
        nps_scores = g["nps_score"] if "nps_score" in g else pd.Series(dtype=float)
        csat_scores = g["csat_score"] if "csat_score" in g else pd.Series(dtype=float)
        n_ = nps(nps_scores, confidence, min_sample)
        c_ = csat(csat_scores, confidence, min_sample)
        cats = nps_group(nps_scores).value_counts(normalize=True)
        row = {
            "responses": len(g),
            "nps": n_.value,
            "nps_low": n_.low,
            "nps_high": n_.high,
            "nps_n": n_.n,
            "promoters": float(cats.get("promoter", 0.0)) if n_.n else math.nan,
            "passives": float(cats.get("passive", 0.0)) if n_.n else math.nan,
            "detractors": float(cats.get("detractor", 0.0)) if n_.n else math.nan,
            "csat": c_.value,
            "csat_low": c_.low,
            "csat_high": c_.high,
            "csat_n": c_.n,
            # a score nobody answered is not "low sample", it is absent
            "low_sample": (n_.n > 0 and n_.low_sample) or (c_.n > 0 and c_.low_sample),
        }
        if by is not None:
            row = {by: key[0] if isinstance(key, tuple) else key, **row}
        rows.append(row)
    out = pd.DataFrame(rows)
    if by is not None and len(out):
        out = out.sort_values(["responses", by], ascending=[False, True], ignore_index=True)
    return out


def trend(
    surveys: pd.DataFrame,
    freq: str = "quarter",
    confidence: float = CONFIDENCE,
    min_sample: int = MIN_SAMPLE,
) -> pd.DataFrame:
    """The scorecard per period ('2025-Q3', ...), oldest first, with a `period` column."""
    s = surveys.assign(period=period_labels(pd.to_datetime(surveys["survey_date"]), freq))
    out = scorecard(s, "period", confidence, min_sample)
    return out.sort_values("period", ignore_index=True) if len(out) else out


def change_significant(
    trend_table: pd.DataFrame, metric: str = "nps", confidence: float = CONFIDENCE
) -> bool | None:
    """Whether the change between the last two periods of a trend table is beyond chance:
    |difference| > z x sqrt(se_last^2 + se_before^2), each se read off its interval
    (`<metric>_low` / `<metric>_high`); None when it cannot be tested."""
    cols = [metric, f"{metric}_low", f"{metric}_high"]
    if not set(cols) <= set(trend_table.columns):
        return None
    rows = trend_table.dropna(subset=cols)
    if len(rows) < 2 or rows[metric].iloc[-1] != trend_table[metric].dropna().iloc[-1]:
        return None
    z = _z(confidence)
    last = rows.iloc[-2:]
    se = ((last[f"{metric}_high"] - last[f"{metric}_low"]) / (2 * z)).tolist()
    spread = math.sqrt(se[0] ** 2 + se[1] ** 2)
    diff = abs(rows[metric].iloc[-1] - rows[metric].iloc[-2])
    return bool(diff > z * spread) if spread > 0 else None


def change(trend_table: pd.DataFrame, metric: str = "nps") -> float:
    """Change of `metric` between the last two periods of a trend table (NaN if < 2)."""
    vals = trend_table[metric].dropna()
    return float(vals.iloc[-1] - vals.iloc[-2]) if len(vals) >= 2 else math.nan


# ---------------------------------------------------------------- playbook helpers


def in_period(surveys: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Answers given between `start` and `end` (inclusive)."""
    return rows_between(surveys, "survey_date", start, end)


def attach_segments(
    surveys: pd.DataFrame, customers: pd.DataFrame | None, segments: pd.Series | None = None
) -> pd.DataFrame:
    """Surveys with segment, region and channel of the customer who answered (a new frame).

    The client's own `segment` column wins; without it, `segments` (customer_id -> label, e.g.
    the classification step's RFM segment names) fills it.
    """
    cust = customers
    if cust is not None and "segment" not in cust.columns and segments is not None:
        lookup = segments.rename("segment").astype("string")
        lookup.index = lookup.index.astype("string")
        cust = cust.assign(segment=cust["customer_id"].astype("string").map(lookup))
    return with_customer_columns(surveys, cust)


def score_text(score: Score, kind: str) -> str:
    """'32 (25 to 39)' for NPS, '72% (70% to 74%)' for CSAT; '–' without answers."""
    if score.n == 0 or math.isnan(score.value):
        return "–"
    if kind == "nps":
        return f"{score.value:+.0f} ({score.low:+.0f} … {score.high:+.0f})"
    return f"{score.value * 100:.0f}% ({score.low * 100:.0f}% … {score.high * 100:.0f}%)"


def nps_chart(surveys: pd.DataFrame) -> Any:
    """How the 0-10 recommendation scores spread: answers per score, coloured as detractors
    (0-6), passives (7-8) and promoters (9-10)."""
    import seaborn as sns

    from clientbook.present import style
    from clientbook.present.i18n import t

    s = pd.to_numeric(surveys["nps_score"], errors="coerce").dropna().round().astype(int)
    s = s[(s >= 0) & (s <= 10)]
    groups = nps_group(s)
    names = {g: t(f"satisfaction.voice.{g}") for g in ("detractor", "passive", "promoter")}
    df = pd.DataFrame({"score": s.to_numpy(), "group": groups.map(names).to_numpy()})
    fig, ax = style.fig(8.0, 3.4)
    sns.countplot(
        data=df,
        x="score",
        hue="group",
        order=list(range(11)),
        hue_order=list(names.values()),
        dodge=False,
        ax=ax,
        palette=[style.BAD, style.NEAR, style.GOOD],
    )
    ax.set_xlabel(t("distributions.satisfaction.score_axis"))
    ax.set_ylabel(t("distributions.satisfaction.answers_axis"))
    ax.legend(title=None, loc="upper left")
    ax.set_title(t("distributions.satisfaction.title"))
    return fig


def trend_chart(trend_table: pd.DataFrame) -> Any:
    """NPS (bars with 95% interval whiskers) and CSAT (line, right axis) per period."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    fig, ax = style.fig()
    tr = trend_table
    x = np.arange(len(tr))
    colors = [style.PALETTE[6] if low else style.PRIMARY for low in tr["low_sample"]]
    err = np.vstack([tr["nps"] - tr["nps_low"], tr["nps_high"] - tr["nps"]])
    ax.bar(x, tr["nps"], color=colors, yerr=np.nan_to_num(err), capsize=3, label="NPS")
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_xticks(x, tr["period"], rotation=45 if len(tr) > 8 else 0)
    ax.set_ylabel(t("satisfaction.axis.nps"))
    ax2 = ax.twinx()
    ax2.plot(x, tr["csat"] * 100, color=style.ACCENT, marker="o", label="CSAT")
    ax2.set_ylim(0, 100)
    ax2.set_ylabel(t("satisfaction.axis.csat"))
    ax2.grid(False)
    ax.set_title(t("satisfaction.chart.trend"))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    style.legend_below(fig, h1 + h2, l1 + l2)
    return fig


def group_chart(card: pd.DataFrame, by: str, title: str) -> Any:
    """NPS per group as a dot with its 95% interval; grey = low sample."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    c = card.dropna(subset=["nps"]).sort_values("nps")
    fig, ax = style.fig(8.0, max(2.2, 0.45 * len(c) + 1.2))
    y = np.arange(len(c))
    colors = [style.PALETTE[6] if low else style.PRIMARY for low in c["low_sample"]]
    ax.hlines(y, c["nps_low"], c["nps_high"], color=colors, lw=2)
    ax.scatter(c["nps"], y, color=colors, zorder=3)
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_yticks(y, [f"{g} (n={n})" for g, n in zip(c[by], c["nps_n"], strict=True)])
    ax.set_xlabel(t("satisfaction.axis.nps"))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return fig


def theme_chart(themes_table: pd.DataFrame) -> Any:
    """Share of detractors' vs promoters' comments naming each theme."""
    from clientbook.present import style
    from clientbook.present.i18n import t

    th = themes_table.iloc[::-1]
    fig, ax = style.fig(8.0, max(2.4, 0.5 * len(th) + 1.2))
    y = np.arange(len(th))
    names = [t(f"satisfaction.theme.{k}") for k in th["theme"]]
    ax.barh(y + 0.2, th["detractors"].fillna(0) * 100, 0.4, color=style.BAD,
            label=t("satisfaction.voice.detractor"))  # fmt: skip
    ax.barh(y - 0.2, th["promoters"].fillna(0) * 100, 0.4, color=style.GOOD,
            label=t("satisfaction.voice.promoter"))  # fmt: skip
    ax.set_yticks(y, names)
    ax.set_xlabel(t("satisfaction.axis.theme_share"))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    style.legend_below(fig, *ax.get_legend_handles_labels())
    ax.set_title(t("satisfaction.chart.themes"))
    return fig


def findings(
    current: Score,
    current_csat: Score,
    period: str,
    trend_table: pd.DataFrame,
    groups: pd.DataFrame | None,
    group_by: str | None,
    themes_table: pd.DataFrame,
    complaint_rate: float,
    targets: dict[str, float] | None = None,
) -> list[str]:
    """Plain-language findings for the executive summary (in the current language)."""
    from clientbook.present.i18n import t

    out: list[str] = []
    targets = targets or {}
    if current.n:
        ch = change(trend_table, "nps")
        sig = change_significant(trend_table, "nps")
        moved = ""
        if not math.isnan(ch):
            moved = t("satisfaction.scores.sep") + t(
                "satisfaction.finding.nps_change", change=f"{ch:+.0f}"
            )
            if sig is not None:
                moved += " " + t(
                    "satisfaction.finding." + ("significant" if sig else "not_significant")
                )
        out.append(
            t("satisfaction.finding.nps", nps=f"{current.value:+.0f}", period=period, n=current.n)
            + moved
        )
        if current.low_sample:
            out.append(t("satisfaction.finding.low_sample", n=current.n))
    # against a target: judged only on enough answers, and "within uncertainty" when the
    # target lies inside the interval (as the performance review's lights)
    for score, kind, shown, target_text in (
        (
            current_csat,
            "csat",
            f"{current_csat.value * 100:.1f}%",
            f"{targets.get('csat', 0) * 100:.1f}%",
        ),
        (current, "nps", f"{current.value:+.0f}", f"{targets.get('nps', 0):+.0f}"),
    ):
        if not score.n or kind not in targets or score.low_sample:
            continue
        target = targets[kind]
        key = (
            "met"
            if score.value >= target
            else "uncertain"
            if score.low <= target <= score.high
            else "missed"
        )
        out.append(t(f"satisfaction.finding.{kind}_{key}", csat=shown, target=target_text))
    if groups is not None and group_by and len(groups) >= 2:
        ok = groups[~groups["low_sample"]].dropna(subset=["nps"])
        if len(ok) >= 2:
            lo, hi = ok.loc[ok["nps"].idxmin()], ok.loc[ok["nps"].idxmax()]
            out.append(
                t("satisfaction.finding.groups", worst=lo[group_by], worst_nps=f"{lo['nps']:+.0f}",
                  best=hi[group_by], best_nps=f"{hi['nps']:+.0f}")
            )  # fmt: skip
    top = themes_table.dropna(subset=["detractors"])
    if len(top) and top["gap"].iloc[0] > 0:
        r = top.iloc[0]
        out.append(
            t("satisfaction.finding.theme", theme=t(f"satisfaction.theme.{r['theme']}"),
              det=f"{r['detractors'] * 100:.0f}%",
              pro="–" if pd.isna(r["promoters"]) else f"{r['promoters'] * 100:.0f}%")
        )  # fmt: skip
    if not math.isnan(complaint_rate):
        out.append(
            t("satisfaction.finding.complaints", rate=f"{complaint_rate * 100:.1f}%", period=period)
        )
    return out


def window_metrics(
    now: tuple[Score, Score], current: pd.DataFrame, complaints: Any
) -> dict[str, tuple[float, int | None]]:
    """The step's registered KPIs (``clientbook.metrics``) of the window's surveys `current`:
    NPS and CSAT with their answers, responses, and the complaint share of comments
    (`complaints`: ``feedback.complaint_rate(current)``)."""
    answered = pd.Series(False, index=current.index)
    for col in ("nps_score", "csat_score"):
        if col in current:
            answered |= pd.to_numeric(current[col], errors="coerce").notna()
    n = int(answered.sum())
    return {
        "nps": (now[0].value, now[0].n),
        "csat": (now[1].value, now[1].n),
        "survey_responses": (float(n), n),
        "complaint_share_comments": (complaints.rate, complaints.comments),
    }


def scores(
    surveys: pd.DataFrame, min_sample: int = MIN_SAMPLE, confidence: float = CONFIDENCE
) -> tuple[Score, Score]:
    """(NPS, CSAT) of a survey table; a score whose column is absent has n = 0."""
    empty = pd.Series(dtype=float)
    return (
        nps(surveys.get("nps_score", empty), confidence, min_sample),
        csat(surveys.get("csat_score", empty), confidence, min_sample),
    )


def headline_text(now: tuple[Score, Score], to_date: tuple[Score, Score], period: str) -> str:
    """The scores paragraph: this period's NPS and CSAT (those the surveys ask), then to date."""
    from clientbook.present.i18n import t

    def warn(s: Score) -> str:
        return t("satisfaction.small_sample") if s.n and s.low_sample else ""

    parts = [t("satisfaction.scores.period", period=period)]
    for s, kind in ((now[0], "nps"), (now[1], "csat")):
        if s.n:
            parts.append(t(f"satisfaction.scores.{kind}", score=score_text(s, kind), n=s.n,
                           warn=warn(s)))  # fmt: skip
    done = [
        t(f"satisfaction.scores.{kind}_short", score=score_text(s, kind))
        for s, kind in ((to_date[0], "nps"), (to_date[1], "csat"))
        if s.n
    ]
    parts.append(
        t(
            "satisfaction.scores.to_date",
            n=max(to_date[0].n, to_date[1].n),
            scores=t("satisfaction.scores.list_sep").join(done),
        )
    )
    return t("satisfaction.scores.sep").join(parts)


def group_table(card: pd.DataFrame, by: str) -> pd.DataFrame:
    """A scorecard for reading: group, answers, NPS and CSAT with intervals, small-sample mark."""
    from clientbook.present.i18n import t

    rows = []
    for r in card.itertuples(index=False):
        n_ = Score(r.nps, r.nps_low, r.nps_high, int(r.nps_n), bool(r.low_sample))
        c_ = Score(r.csat, r.csat_low, r.csat_high, int(r.csat_n), bool(r.low_sample))
        rows.append(
            {
                by: getattr(r, by),
                "responses": int(r.responses),
                "nps": score_text(n_, "nps"),
                "csat": score_text(c_, "csat"),
                "low_sample": "⚠" if r.low_sample else "",
            }
        )
    out = pd.DataFrame(rows, columns=[by, "responses", "nps", "csat", "low_sample"])
    return out.rename(columns={c: t(f"satisfaction.column.{c}") for c in out.columns})


def examples_table(themes_table: pd.DataFrame) -> pd.DataFrame:
    """Theme, comments, share among detractors / promoters, and an example comment of each."""
    from clientbook.present.i18n import t

    def share(x: float) -> str:
        return "–" if pd.isna(x) else f"{x * 100:.0f}%"

    out = pd.DataFrame(
        {
            "theme": [t(f"satisfaction.theme.{k}") for k in themes_table["theme"]],
            "mentions": themes_table["mentions"].astype(int),
            "detractors": themes_table["detractors"].map(share),
            "promoters": themes_table["promoters"].map(share),
            "detractor_example": themes_table["detractor_example"],
            "promoter_example": themes_table["promoter_example"],
        }
    )
    return out.rename(columns={c: t(f"satisfaction.column.{c}") for c in out.columns})
