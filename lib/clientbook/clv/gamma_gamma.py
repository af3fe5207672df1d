"""Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value"; Colombo & Jiang 1999).

A customer's purchase amounts are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers,
so the mean amount is shrunk towards the book's mean, more so for customers with few
purchases. Fitted on repeat buyers only (frequency > 0, monetary_value = mean of the repeat
purchases); it assumes spend is independent of purchase frequency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from clientbook.clv.utils import FitInfo, NotFittedError, aggregate, fit_log_params

PARAMS = ("p", "q", "gamma")


def _neg_ll_and_grad(theta, x, m, w):
    p, q, g = np.exp(theta)
    px = p * x
    lxm = np.log(x * m + g)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * lxm
    )
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - lxm)
    d_q = digamma(px + q) - digamma(q) + np.log(g) - lxm
    d_g = q / g - (px + q) / (x * m + g)
    grad = np.array([np.dot(w, d_p) * p, np.dot(w, d_q) * q, np.dot(w, d_g) * g])
    return -float(np.dot(w, ll)), -grad


def repeat_buyers(summary: pd.DataFrame) -> pd.DataFrame:
    """The rows the model can learn from: repeat buyers with a positive mean spend."""
    return summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]


class GammaGammaModel:
    """Gamma-Gamma spend model: ``GammaGammaModel().fit(summary)`` then predict_spend."""

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.fit_info_: FitInfo | None = None
        self.n_customers_: int = 0

    def fit(self, summary: pd.DataFrame) -> GammaGammaModel:
        rows = repeat_buyers(summary)
        if len(rows) == 0:
            raise ValueError("no repeat buyers with positive spend to fit")
        x = rows["frequency"].to_numpy(float)
        m = rows["monetary_value"].to_numpy(float)
        (ux, um), w = aggregate(x, m)
        start = np.log([1.0, 1.0, max(float(np.mean(m)), 1e-3)])
        theta, info = fit_log_params(lambda th: _neg_ll_and_grad(th, ux, um, w), start)
        self.params_ = dict(zip(PARAMS, np.exp(theta).tolist(), strict=True))
        self.fit_info_ = info
        self.n_customers_ = len(rows)
        return self

    def _p(self) -> tuple[float, float, float]:
        if self.params_ is None:
            raise NotFittedError("call fit() first")
        return tuple(self.params_[k] for k in PARAMS)  # type: ignore[return-value]

    @property
    def log_likelihood_(self) -> float:
        if self.fit_info_ is None:
            raise NotFittedError("call fit() first")
        return self.fit_info_.log_likelihood

    @property
    def population_mean_spend(self) -> float:
        """E[spend per purchase] of a customer we know nothing about: p*gamma/(q-1)."""
        p, q, g = self._p()
        return p * g / (q - 1.0) if q > 1.0 else float("nan")

    def predict_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Expected spend per purchase given each customer's history.

        One-time buyers (frequency 0) get the population mean; repeat buyers a weighted
        mix of their own mean and the population mean. NaN when q <= 1 (no finite mean).
        """
        p, q, g = self._p()
        x = summary["frequency"].to_numpy(float)
        m = np.clip(summary["monetary_value"].to_numpy(float), 0.0, None)
        if q <= 1.0:
            return pd.Series(np.nan, index=summary.index, name="expected_spend")
        out = p * (g + x * m) / (p * x + q - 1.0)
        return pd.Series(out, index=summary.index, name="expected_spend")

    def __repr__(self) -> str:
        if self.params_ is None:
            return "GammaGammaModel(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGammaModel({ps})"
