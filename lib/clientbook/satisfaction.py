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

import pandas as pd

from clientbook.book import period_labels

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


def change(trend_table: pd.DataFrame, metric: str = "nps") -> float:
    """Change of `metric` between the last two periods of a trend table (NaN if < 2)."""
    vals = trend_table[metric].dropna()
    return float(vals.iloc[-1] - vals.iloc[-2]) if len(vals) >= 2 else math.nan
