"""BG/NBD and Gamma-Gamma against the published CDNOW values, plus hand-checked pieces."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientbook.clv import BetaGeoModel, GammaGammaModel, bg_nbd, gamma_gamma, summary_from_orders
from clientbook.clv.utils import NotFittedError, read_cdnow

SAMPLE = Path(__file__).parent / "data" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    # Fader, Hardie & Lee (2005): calibration ends 1997-09-30, time in weeks.
    return summary_from_orders(read_cdnow(SAMPLE), "1997-09-30", unit="W")


def test_cdnow_summary_shape(cdnow):
    assert len(cdnow) == 2357
    assert (cdnow["frequency"] > 0).sum() == 946
    # Customer 00004 (sample id 1): bought 1997-01-01, 01-18, 08-02 before the cut.
    row = cdnow.loc["00004"]
    assert row["frequency"] == 2
    assert row["recency"] == pytest.approx(213 / 7)
    assert row["T"] == pytest.approx(272 / 7)
    assert row["monetary_value"] == pytest.approx((29.73 + 14.96) / 2)


def test_bgnbd_reproduces_fhl_2005(cdnow):
    m = BetaGeoModel().fit(cdnow)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, rel=0.005), k
    assert m.log_likelihood_ == pytest.approx(-9582.4, rel=0.005)
    assert m.log_likelihood(cdnow) == pytest.approx(m.log_likelihood_, rel=1e-9)
    assert m.fit_info_.converged


def test_bgnbd_conditional_expectation_matches_paper(cdnow):
    # FHL 2005, section 5: x=2, t_x=30.43, T=38.86 -> E[Y(39)] = 1.226.
    m = BetaGeoModel().fit(cdnow)
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert m.predict_purchases(one, 39).iloc[0] == pytest.approx(1.226, rel=0.005)


def test_gamma_gamma_reproduces_fader_hardie(cdnow):
    g = GammaGammaModel().fit(cdnow)
    assert g.n_customers_ == 946
    for k, v in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert g.params_[k] == pytest.approx(v, rel=0.005), k


def test_p_alive_by_hand():
    m = BetaGeoModel()
    m.params_ = {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}
    s = pd.DataFrame({"frequency": [0, 1], "recency": [0.0, 1.0], "T": [5.0, 3.0]})
    # x=0: never seen to drop out -> 1. x=1: odds dead = 1/1 * ((1+3)/(1+1))^2 = 4 -> 0.2.
    assert m.predict_p_alive(s).tolist() == pytest.approx([1.0, 0.2])


def test_gamma_gamma_spend_by_hand():
    g = GammaGammaModel()
    g.params_ = {"p": 2.0, "q": 3.0, "gamma": 10.0}
    s = pd.DataFrame({"frequency": [0, 2], "monetary_value": [0.0, 30.0]})
    # one-time buyer: p*gamma/(q-1) = 10; x=2, m=30: 2*(10+60)/(4+2) = 23.33
    assert g.predict_spend(s).tolist() == pytest.approx([10.0, 140 / 6])
    assert g.population_mean_spend == pytest.approx(10.0)


@pytest.mark.parametrize(
    "fn, theta, data",
    [
        (
            bg_nbd._neg_ll_and_grad,
            np.log([0.5, 3.0, 0.8, 2.0]),
            (np.array([0.0, 1, 4]), np.array([0.0, 2, 9]), np.array([5.0, 6, 10]), np.ones(3)),
        ),
        (
            gamma_gamma._neg_ll_and_grad,
            np.log([3.0, 2.5, 12.0]),
            (np.array([1.0, 2, 5]), np.array([10.0, 25, 40]), np.ones(3)),
        ),
    ],
)
def test_analytic_gradient_matches_finite_differences(fn, theta, data):
    _, grad = fn(theta, *data)
    eps = 1e-6
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += eps
        down[i] -= eps
        num = (fn(up, *data)[0] - fn(down, *data)[0]) / (2 * eps)
        assert grad[i] == pytest.approx(num, rel=1e-5, abs=1e-6)


def test_weights_equal_repeated_rows(cdnow):
    # Fitting a table doubled should give the same parameters (aggregation by weight).
    doubled = pd.concat([cdnow, cdnow])
    a, b = BetaGeoModel().fit(cdnow), BetaGeoModel().fit(doubled)
    for k in a.params_:
        assert b.params_[k] == pytest.approx(a.params_[k], rel=1e-4)


def test_summary_merges_lines_and_same_day_orders():
    orders = pd.DataFrame(
        {
            "customer_id": ["c1", "c1", "c1", "c1", "c2"],
            "order_id": ["o1", "o1", "o2", "o3", "o4"],
            "order_date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]
            ),
            "amount": [10.0, 5.0, 5.0, 30.0, 7.0],
        }
    )
    s = summary_from_orders(orders, "2024-01-29", unit="D")
    # c1: lines o1 and order o2 on the same day are one purchase of 20, then 30 on day 14.
    assert s.loc["c1", ["frequency", "recency", "T", "monetary_value", "revenue"]].tolist() == [
        1,
        14.0,
        28.0,
        30.0,
        50.0,
    ]
    assert s.loc["c2", ["frequency", "recency", "T", "monetary_value"]].tolist() == [
        0,
        0.0,
        21.0,
        0.0,
    ]
    weeks = summary_from_orders(orders, "2024-01-29", unit="W")
    assert weeks.loc["c1", "T"] == pytest.approx(4.0)


def test_unfitted_model_says_so():
    with pytest.raises(NotFittedError):
        BetaGeoModel().predict_p_alive(pd.DataFrame({"frequency": [1], "recency": [1], "T": [2]}))
