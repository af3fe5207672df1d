"""Is a fitted BG/NBD + Gamma-Gamma forecast worth showing? One verdict, with its reasons.

A maximum-likelihood fit can converge and still be useless: on a book where nobody seems to
drop out (every customer buying at a steady rhythm up to the export date), BG/NBD walks to a
corner of its parameter space (seen on a real export: a = 2e-5, b = 94,913), where every
customer is "100% alive" and the CLV is a straight extrapolation. Such a forecast must not
reach a client next to a sentence that says it is not shown. `assess` runs the checks below
and returns a `Trust`: trusted, or not and why (reason codes, each a catalogue key
``value.untrusted.<code>``).

| code          | the forecast is not trusted when ...                                        |
|---------------|-----------------------------------------------------------------------------|
| no_fit        | a model did not converge (or a parameter hit the optimiser's box)           |
| edge          | a BG/NBD parameter, or Gamma-Gamma p or q, is outside [1e-4, 1e4]          |
| never_dropout | BG/NBD's mean drop-out chance per purchase, a / (a + b), is below 0.1%    |
| all_alive     | 90% or more of the repeat buyers have P(alive) of 0.99 or more              |
| holdout       | on a holdout window the model did not see, total repeat purchases were off |
|               | by more than a factor of 2 (predicted / actual above 2 or below 1/2)        |
| unstable      | the same models fitted on the calibration part of the history (the holdout  |
|               | check) failed to converge or failed a check above                           |
| spend         | Gamma-Gamma has no finite mean spend (q <= 1)                               |
| non_finite    | a prediction overflowed (inf or NaN)                                        |

Gamma-Gamma's scale `gamma` is in money units and is not range-checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PARAM_RANGE = (1e-4, 1e4)
MIN_DROPOUT = 1e-3
ALL_ALIVE_P = 0.99
ALL_ALIVE_SHARE = 0.9
MAX_HOLDOUT_RATIO = 2.0
CODES = (
    "no_fit",
    "edge",
    "never_dropout",
    "all_alive",
    "holdout",
    "unstable",
    "spend",
    "non_finite",
)


@dataclass
class Trust:
    """The verdict on a forecast: `trusted`, and when not, the reason codes (see CODES)."""

    trusted: bool
    reasons: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)  # the numbers behind the verdict

    def as_dict(self) -> dict[str, Any]:
        return {"trusted": self.trusted, "reasons": list(self.reasons), "checks": self.checks}


def _outside(params: Mapping[str, float], names: tuple[str, ...]) -> list[str]:
    lo, hi = PARAM_RANGE
    return [k for k in names if k in params and not lo <= float(params[k]) <= hi]


def parameter_problems(
    bgnbd: Mapping[str, float] | None, gamma_gamma: Mapping[str, float] | None = None
) -> tuple[list[str], dict[str, Any]]:
    """Reason codes from the parameters alone (edge, never_dropout, spend), with the numbers."""
    reasons: list[str] = []
    checks: dict[str, Any] = {}
    if bgnbd:
        edge = _outside(bgnbd, ("r", "alpha", "a", "b"))
        a, b = float(bgnbd["a"]), float(bgnbd["b"])
        dropout = a / (a + b) if a + b > 0 else math.nan
        checks["bgnbd_outside_range"] = edge
        checks["mean_dropout"] = dropout
        if edge:
            reasons.append("edge")
        if not dropout >= MIN_DROPOUT:
            reasons.append("never_dropout")
    if gamma_gamma:
        edge = _outside(gamma_gamma, ("p", "q"))
        checks["gamma_gamma_outside_range"] = edge
        if edge and "edge" not in reasons:
            reasons.append("edge")
        if float(gamma_gamma["q"]) <= 1.0:
            reasons.append("spend")
    return reasons, checks


def all_alive_share(frequency: pd.Series, p_alive: pd.Series) -> float:
    """Share of the repeat buyers (frequency > 0) with P(alive) >= ALL_ALIVE_P (NaN if none).

    One-time buyers are left out: BG/NBD gives every one of them P(alive) = 1 by design."""
    rep = p_alive[frequency > 0]
    return float((rep >= ALL_ALIVE_P).mean()) if len(rep) else math.nan


def assess(
    bgnbd: Mapping[str, float] | None,
    gamma_gamma: Mapping[str, float] | None,
    converged: bool = True,
    frequency: pd.Series | None = None,
    p_alive: pd.Series | None = None,
    holdout_ratio: float | None = None,
    holdout_failed: bool = False,
    finite: bool = True,
) -> Trust:
    """Every check of the module docstring on one fit. `holdout_ratio` is predicted / actual
    repeat purchases in the holdout window (None when no holdout could be kept aside);
    `holdout_failed` says the calibration fit of the holdout check failed (unstable)."""
    reasons: list[str] = [] if converged else ["no_fit"]
    more, checks = parameter_problems(bgnbd, gamma_gamma)
    reasons += [r for r in more if r not in reasons]
    if frequency is not None and p_alive is not None:
        share = all_alive_share(frequency, p_alive)
        checks["repeat_buyers_all_alive_share"] = share
        if np.isfinite(share) and share >= ALL_ALIVE_SHARE:
            reasons.append("all_alive")
    if holdout_ratio is not None:
        checks["holdout_ratio"] = holdout_ratio
        bad = not np.isfinite(holdout_ratio) or holdout_ratio <= 0
        if bad or not 1 / MAX_HOLDOUT_RATIO <= holdout_ratio <= MAX_HOLDOUT_RATIO:
            reasons.append("holdout")
    if holdout_failed:
        reasons.append("unstable")
    if not finite:
        reasons.append("non_finite")
    return Trust(not reasons, reasons, checks)
