"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
the easy way").

While alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each purchase the customer drops out with probability p ~ Beta(a, b). Fitted by maximum
likelihood on the frequency / recency / T summary (see `clv.utils`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, hyp2f1

from clientbook.clv.utils import FitInfo, NotFittedError, aggregate, fit_log_params

PARAMS = ("r", "alpha", "a", "b")


def _neg_ll_and_grad(theta, x, tx, T, w):
    """Negative weighted log-likelihood and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    has = x > 0
    xm1 = np.where(has, x - 1.0, 0.0)  # keeps b+x-1 > 0 where x == 0 (term unused there)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(has, np.log(a) - np.log(b + xm1) - (r + x) * np.log(alpha + tx), -np.inf)
    l34 = np.logaddexp(a3, a4)
    ll = a1 + a2 + l34
    w3 = np.exp(a3 - l34)  # share of the "still alive" branch in the mixture
    w4 = 1.0 - w3

    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T)
    d_r -= np.where(has, w4 * np.log(alpha + tx), 0.0)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
    d_b -= np.where(has, w4 / (b + xm1), 0.0)

    grad = np.array(
        [
            np.dot(w, d_r) * r,
            np.dot(w, d_alpha) * alpha,
            np.dot(w, d_a) * a,
            np.dot(w, d_b) * b,
        ]
    )
    return -float(np.dot(w, ll)), -grad


class BetaGeoModel:
    """BG/NBD with a scikit-learn-like API: ``BetaGeoModel().fit(summary)`` then predict.

    `summary` is a DataFrame with columns frequency, recency, T (one row per customer), as
    made by `clv.utils.summary_from_orders`; predictions come back as Series on its index.
    """

    def __init__(self) -> None:
        self.params_: dict[str, float] | None = None
        self.fit_info_: FitInfo | None = None
        self.n_customers_: int = 0

    # ---- fitting -------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> BetaGeoModel:
        x = summary["frequency"].to_numpy(float)
        tx = summary["recency"].to_numpy(float)
        T = summary["T"].to_numpy(float)
        if len(x) == 0:
            raise ValueError("no customers to fit")
        (ux, utx, uT), w = aggregate(x, tx, T)
        # Start at moderate values; scale alpha to the data's time unit.
        start = np.log([1.0, max(float(np.mean(T)), 1e-3), 1.0, 1.0])
        theta, info = fit_log_params(lambda th: _neg_ll_and_grad(th, ux, utx, uT, w), start)
        self.params_ = dict(zip(PARAMS, np.exp(theta).tolist(), strict=True))
        self.fit_info_ = info
        self.n_customers_ = len(x)
        return self

    @property
    def log_likelihood_(self) -> float:
        return self._info().log_likelihood

    def _info(self) -> FitInfo:
        if self.fit_info_ is None:
            raise NotFittedError("call fit() first")
        return self.fit_info_

    def _p(self) -> tuple[float, float, float, float]:
        if self.params_ is None:
            raise NotFittedError("call fit() first")
        return tuple(self.params_[k] for k in PARAMS)  # type: ignore[return-value]

    def log_likelihood(self, summary: pd.DataFrame) -> float:
        """Log-likelihood of `summary` under the fitted parameters."""
        theta = np.log(self._p())
        ll, _ = _neg_ll_and_grad(
            theta,
            summary["frequency"].to_numpy(float),
            summary["recency"].to_numpy(float),
            summary["T"].to_numpy(float),
            np.ones(len(summary)),
        )
        return -ll

    # ---- predictions ---------------------------------------------------------------------
    def _arrays(self, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            summary["frequency"].to_numpy(float),
            summary["recency"].to_numpy(float),
            summary["T"].to_numpy(float),
        )

    def _log_odds_dead(self, x, tx, T) -> np.ndarray:
        """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); -inf for x == 0 (never dead)."""
        r, alpha, a, b = self._p()
        has = x > 0
        xm1 = np.where(has, x - 1.0, 0.0)
        val = np.log(a) - np.log(b + xm1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(has, val, -np.inf)

    def predict_p_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(customer still active | history)."""
        x, tx, T = self._arrays(summary)
        p = 1.0 / (1.0 + np.exp(self._log_odds_dead(x, tx, T)))
        return pd.Series(p, index=summary.index, name="p_alive")

    def predict_purchases(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected number of purchases in the next `t` time units (FHL 2005, eq. 10)."""
        r, alpha, a, b = self._p()
        x, tx, T = self._arrays(summary)
        z = t / (alpha + T + t)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        num = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
        lead = (a + b + x - 1.0) / (a - 1.0)
        out = lead * num / (1.0 + np.exp(self._log_odds_dead(x, tx, T)))
        return pd.Series(out, index=summary.index, name="expected_purchases")

    def expected_purchases_new(self, t: np.ndarray | float) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in its first `t` units."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        hyp = hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp)

    def prob_no_repeat_beta(self) -> float:
        """Mean drop-out probability after a purchase, E[p] = a / (a + b)."""
        _, _, a, b = self._p()
        return a / (a + b)

    def __repr__(self) -> str:
        if self.params_ is None:
            return "BetaGeoModel(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"BetaGeoModel({ps})"
