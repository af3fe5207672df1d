"""Shared pieces of the customer-lifetime-value models: purchases from orders, the
frequency / recency / T summary, identical-row aggregation and the fitting helper.

Vocabulary (the literature's, Fader, Hardie & Lee 2005):
- a *purchase* is one customer's spending on one day: order lines are summed to orders,
  and a customer's orders on the same day are merged into one purchase;
- `frequency` (x) is the number of *repeat* purchases (purchases after the first);
- `recency` (t_x) is the age of the customer at the last purchase (first to last purchase);
- `T` is the age of the customer at the end of the observation window (first purchase to as_of);
- `monetary_value` is the mean amount of the repeat purchases (0 for one-time buyers).
Times are in `unit`: "W" (weeks of 7 days, as in the CDNOW literature) or "D" (days).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

UNIT_DAYS = {"W": 7.0, "D": 1.0}


def unit_days(unit: str) -> float:
    try:
        return UNIT_DAYS[unit]
    except KeyError:
        raise ValueError(f"unit must be one of {', '.join(UNIT_DAYS)}, got {unit!r}") from None


def purchases(orders: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per customer and day: customer_id, date, amount (and cost when mapped).

    Rows are order lines: they are summed per order first, and a customer's orders of one day
    become one purchase (the literature's convention: same-day orders are one visit).
    Orders after `as_of` are left out. Refund lines stay in (revenue is net).
    """
    cols = ["customer_id", "order_date", "amount"] + (["cost"] if "cost" in orders else [])
    df = orders[cols].copy()
    if as_of is not None:
        df = df[df["order_date"] <= as_of]
    df["customer_id"] = df["customer_id"].astype("string")
    df["date"] = df["order_date"].dt.normalize()
    sums = {"amount": "sum"} | ({"cost": "sum"} if "cost" in df else {})
    out = df.groupby(["customer_id", "date"], sort=True, observed=True).agg(sums).reset_index()
    return out


def summary_from_orders(
    orders: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Per customer: frequency, recency, T, monetary_value, plus first/last purchase, revenue.

    Indexed by customer_id. `as_of` defaults to the last order date; orders after it are
    ignored (so the same function gives a calibration summary).
    """
    as_of = pd.Timestamp(as_of) if as_of is not None else orders["order_date"].max().normalize()
    p = purchases(orders, as_of)
    return summary_from_purchases(p, as_of, unit)


def summary_from_purchases(p: pd.DataFrame, as_of: pd.Timestamp, unit: str = "W") -> pd.DataFrame:
    days = unit_days(unit)
    g = p.groupby("customer_id", sort=True, observed=True)
    first = g["date"].min()
    last = g["date"].max()
    n = g.size()
    revenue = g["amount"].sum()
    first_amount = g["amount"].first()  # purchases are sorted by date within a customer
    repeat_total = revenue - first_amount
    frequency = (n - 1).astype("int64")
    out = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.days / days,
            "T": (as_of.normalize() - first).dt.days / days,
            "monetary_value": np.where(frequency > 0, repeat_total / frequency.clip(lower=1), 0.0),
            "first_purchase": first,
            "last_purchase": last,
            "purchases": n.astype("int64"),
            "revenue": revenue,
        }
    )
    if "cost" in p:
        out["cost"] = g["cost"].sum()
    out.index.name = "customer_id"
    return out


def calibration_holdout(
    orders: pd.DataFrame,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Calibration summary of customers first seen by `calibration_end`, plus what they did
    in the holdout window (calibration_end, holdout_end]: `frequency_holdout` purchases,
    `monetary_holdout` mean amount, `duration_holdout` window length in `unit`.
    """
    cal_end = pd.Timestamp(calibration_end).normalize()
    hold_end = (
        pd.Timestamp(holdout_end).normalize()
        if holdout_end is not None
        else orders["order_date"].max().normalize()
    )
    if hold_end <= cal_end:
        raise ValueError("holdout_end must be after calibration_end")
    p = purchases(orders, hold_end)
    cal = summary_from_purchases(p[p["date"] <= cal_end], cal_end, unit)
    hold = p[(p["date"] > cal_end) & p["customer_id"].isin(cal.index)]
    hg = hold.groupby("customer_id", observed=True)["amount"]
    cal["frequency_holdout"] = hg.size().reindex(cal.index, fill_value=0).astype("int64")
    cal["monetary_holdout"] = hg.mean().reindex(cal.index, fill_value=0.0)
    cal["duration_holdout"] = (hold_end - cal_end).days / unit_days(unit)
    return cal


def aggregate(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of the given columns and how many customers share each row.

    Customers with the same (x, t_x, T) contribute the same likelihood term, so the fit
    evaluates each distinct row once and weights it: on dated data this is a big saving.
    """
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [uniq[:, i] for i in range(uniq.shape[1])], counts.astype(float)


@dataclass(frozen=True)
class FitInfo:
    converged: bool
    log_likelihood: float
    iterations: int
    message: str


def fit_log_params(
    neg_ll_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    bounds: tuple[float, float] = (-12.0, 12.0),
) -> tuple[np.ndarray, FitInfo]:
    """Maximise a log-likelihood over log-parameters with L-BFGS-B and an analytic gradient.

    Log-parameters keep every parameter positive without constraints; the wide box only
    stops a degenerate data set from walking off to infinity (which we then report).
    """
    res = minimize(
        neg_ll_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[bounds] * len(start),
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
    )
    at_bound = bool(np.any(np.isclose(np.abs(res.x), abs(bounds[1]), atol=1e-3)))
    info = FitInfo(
        converged=bool(res.success) and not at_bound and bool(np.isfinite(res.fun)),
        log_likelihood=-float(res.fun),
        iterations=int(res.nit),
        message=str(res.message) + (" (a parameter hit its bound)" if at_bound else ""),
    )
    return res.x, info


class NotFittedError(RuntimeError):
    pass


def read_cdnow(path) -> pd.DataFrame:
    """The CDNOW sample/master text files as canonical orders (for tests and the bench).

    The sample has five columns (master id, sample id, date, CDs, dollars), the master four
    (id, date, CDs, dollars) under a header line. Each row is one order.
    """
    with open(path, encoding="utf-8") as f:
        first = f.readline().split()
    header = 0 if first and not first[0].isdigit() else None
    raw = pd.read_csv(path, sep=r"\s+", header=header, dtype=str)
    date_col, amount_col = raw.columns[-3], raw.columns[-1]
    return pd.DataFrame(
        {
            "customer_id": raw[raw.columns[0]].astype("string"),
            "order_id": pd.Series(np.arange(len(raw)), dtype="int64").astype("string"),
            "order_date": pd.to_datetime(raw[date_col], format="%Y%m%d"),
            "amount": raw[amount_col].astype(float),
        }
    )
