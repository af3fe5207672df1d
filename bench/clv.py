"""Fit times of BG/NBD + Gamma-Gamma (clientbook.clv) on the CDNOW master file and on
1M synthetic customers. Targets (issue 3): <= 0.5 s and <= 20 s.

    .venv/bin/python bench/clv.py [--customers 1000000]

The synthetic book is drawn exactly from the BG/NBD + Gamma-Gamma process (vectorised:
given n Poisson arrivals in (0, T], the k-th is T x Beta(k, n-k+1)), with times rounded to
whole days as in real data, so the fit should also recover the true parameters.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clientbook.clv import BetaGeoModel, GammaGammaModel, summary_from_orders
from clientbook.clv.utils import read_cdnow

MASTER = Path(__file__).parent / "data" / "CDNOW_master.txt"
TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def synthetic(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 365, n) / 7.0  # customers acquired over a year, in weeks
    lam = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], n)
    p = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    arrivals = rng.poisson(lam * T)
    # Alive at the first purchase; drop-out right after each *repeat* purchase with prob p,
    # so at most J ~ Geometric(p) repeat purchases happen.
    allowed = rng.geometric(p)
    x = np.minimum(arrivals, allowed)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    tx = np.minimum(np.round(tx * 7) / 7, T)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    # The mean of x Gamma(p, nu) amounts is Gamma(p x, rate x nu).
    m = np.where(
        x > 0, rng.gamma(TRUE_GG["p"] * np.maximum(x, 1), 1.0 / (nu * np.maximum(x, 1))), 0
    )
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T, "monetary_value": np.round(m, 2)})


def timed(label: str, summary: pd.DataFrame, repeat: int = 3) -> None:
    best = {"bg": np.inf, "gg": np.inf}
    for _ in range(repeat):
        t0 = time.perf_counter()
        bg = BetaGeoModel().fit(summary)
        t1 = time.perf_counter()
        gg = GammaGammaModel().fit(summary)
        t2 = time.perf_counter()
        best["bg"], best["gg"] = min(best["bg"], t1 - t0), min(best["gg"], t2 - t1)
    print(f"{label}: {len(summary):,} customers, {(summary['frequency'] > 0).sum():,} repeat")
    print(f"  BG/NBD       {best['bg']:.3f} s  {bg}  LL={bg.log_likelihood_:.1f}")
    print(f"  Gamma-Gamma  {best['gg']:.3f} s  {gg}")
    print(f"  both         {best['bg'] + best['gg']:.3f} s (best of {repeat})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    args = ap.parse_args()

    t0 = time.perf_counter()
    orders = read_cdnow(MASTER)
    cal = summary_from_orders(orders, "1997-09-30", unit="W")
    print(f"CDNOW master read + summary: {time.perf_counter() - t0:.3f} s")
    timed("CDNOW master (calibration to 1997-09-30)", cal)

    t0 = time.perf_counter()
    syn = synthetic(args.customers)
    print(f"\nsynthetic book drawn in {time.perf_counter() - t0:.2f} s")
    timed("synthetic", syn, repeat=1)
    print(f"  true values  {TRUE_BG} {TRUE_GG}")


if __name__ == "__main__":
    main()
