import math

import pandas as pd
import pytest

from clientbook.steps import satisfaction as sat

# 5 promoters (10,10,9,9,9), 3 passives (8,8,7), 2 detractors (5,2): NPS = 50% - 20% = 30.
# var = (0.5 + 0.2 - 0.3^2) / 10 = 0.061; half-width = 1.959964 * sqrt(0.061) = 0.48408
NPS_SCORES = [10, 10, 9, 9, 9, 8, 8, 7, 5, 2]
# CSAT: 5 of 8 answers are 4-5 -> 0.625. Wilson, z^2 = 3.841459, n = 8:
# centre = (0.625 + 3.841459/16) / (1 + 3.841459/8) = 0.865091 / 1.480182 = 0.584449
# half = 1.959964 * sqrt(0.625*0.375/8 + 3.841459/256) / 1.480182 = 0.278705
CSAT_SCORES = [5, 4, 4, 3, 2, 5, 4, 1]


def test_nps_value_and_interval():
    s = sat.nps(pd.Series(NPS_SCORES + [None]))  # the blank answer is not counted
    assert s.value == pytest.approx(30.0)
    assert s.low == pytest.approx(30 - 48.408, abs=1e-2)
    assert s.high == pytest.approx(30 + 48.408, abs=1e-2)
    assert s.n == 10
    assert s.low_sample  # 10 < 30


def test_nps_low_sample_threshold_and_clipping():
    assert not sat.nps(pd.Series(NPS_SCORES), min_sample=10).low_sample
    only_promoters = sat.nps(pd.Series([9, 10, 10]))
    assert (only_promoters.value, only_promoters.low, only_promoters.high) == (100, 100, 100)
    # 9 detractors, 1 promoter: -80, half = 1.96*sqrt((0.1+0.9-0.64)/10) = 0.3719 -> clipped low
    mostly_bad = sat.nps(pd.Series([0] * 9 + [10]))
    assert mostly_bad.value == pytest.approx(-80)
    assert mostly_bad.low == -100
    assert mostly_bad.high == pytest.approx(-80 + 37.19, abs=1e-2)


def test_nps_no_answers():
    s = sat.nps(pd.Series([None, None], dtype=float))
    assert s.n == 0 and math.isnan(s.value)


def test_csat_wilson():
    s = sat.csat(pd.Series(CSAT_SCORES))
    assert s.value == pytest.approx(0.625)
    assert s.low == pytest.approx(0.584449 - 0.278705, abs=1e-4)
    assert s.high == pytest.approx(0.584449 + 0.278705, abs=1e-4)
    assert s.n == 8 and s.low_sample


def test_wilson_zero_successes_stays_in_range():
    # n=10, k=0: centre = half = (3.841459/20) / 1.3841459 = 0.138766
    low, high = sat.wilson(0, 10)
    assert low == 0.0
    assert high == pytest.approx(2 * 0.138766, abs=1e-5)


def test_nps_group():
    g = sat.nps_group(pd.Series([0, 6, 7, 8, 9, 10, None]))
    expected = ["detractor", "detractor", "passive", "passive", "promoter", "promoter"]
    assert g.tolist()[:6] == expected
    assert pd.isna(g.iloc[6])


def _surveys():
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(6)],
            "customer_id": pd.Series(["c1", "c1", "c2", "c3", "c3", "c9"], dtype="string"),
            "survey_date": pd.to_datetime(
                ["2025-01-10", "2025-02-10", "2025-04-10", "2025-05-10", "2025-06-10", "2025-06-11"]
            ),
            "nps_score": [10, 9, 3, 8, 0, 10],
            "csat_score": [5, 4, 2, None, 1, 5],
        }
    )


def test_scorecard_by_region_with_customer_columns():
    customers = pd.DataFrame(
        {
            "customer_id": pd.Series(["c1", "c2", "c3"], dtype="string"),
            "region": pd.Series(["North", "North", "South"], dtype="string"),
        }
    )
    s = sat.with_customer_columns(_surveys(), customers)
    assert s["region"].tolist() == ["North", "North", "North", "South", "South", "Unknown"]
    card = sat.scorecard(s, "region", min_sample=3).set_index("region")
    # North: 10, 9, 3 -> 2 promoters, 1 detractor: NPS = 33.3; CSAT 5,4,2 -> 2/3
    assert card.loc["North", "nps"] == pytest.approx(100 / 3)
    assert card.loc["North", "csat"] == pytest.approx(2 / 3)
    assert not card.loc["North", "low_sample"]
    # South: 8, 0 -> NPS = -50; CSAT one answer (1) -> 0
    assert card.loc["South", "nps"] == pytest.approx(-50)
    assert card.loc["South", "csat_n"] == 1
    assert card.loc["South", "low_sample"]
    assert card.index[0] == "North"  # most responses first
    assert _surveys()["customer_id"].tolist()[-1] == "c9"  # input untouched


def test_trend_by_quarter():
    tr = sat.trend(_surveys(), "quarter", min_sample=1)
    assert tr["period"].tolist() == ["2025-Q1", "2025-Q2"]
    # Q1: 10, 9 -> 100; Q2: 3, 8, 0, 10 -> 1 promoter, 2 detractors of 4 -> -25
    assert tr["nps"].tolist() == pytest.approx([100, -25])
    assert sat.change(tr) == pytest.approx(-125)


def test_headline_names_only_the_scores_asked():
    from clientbook.present import i18n

    i18n.use("en")
    only_csat = sat.scores(pd.DataFrame({"csat_score": [5, 4, 1]}))
    text = sat.headline_text(only_csat, only_csat, "2025-Q4")
    assert "CSAT 67%" in text and "NPS" not in text
    assert "small sample" in text


def test_catalogue_has_every_key_in_both_languages():
    from clientbook.present import i18n

    for topic in ("satisfaction", "service", "sales"):
        en = {k for k in i18n.catalogue("en") if k.startswith(topic + ".")}
        zh = {k for k in i18n.catalogue("zh") if k.startswith(topic + ".")}
        assert en and en == zh, topic


def _trend(n: int) -> pd.DataFrame:
    # NPS 38 then 29 (the "-9 points" of the demo), each from n answers
    rows = []
    for period, pro, det in (("2025-Q3", 0.5, 0.12), ("2025-Q4", 0.45, 0.16)):
        k = round(pro * n), round(det * n)
        scores = pd.Series([10] * k[0] + [0] * k[1] + [8] * (n - k[0] - k[1]), dtype=float)
        s = sat.nps(scores)
        rows.append({"period": period, "nps": s.value, "nps_low": s.low, "nps_high": s.high})
    return pd.DataFrame(rows)


def test_a_change_says_whether_it_is_significant():
    assert sat.change(_trend(120), "nps") == pytest.approx(-9.0, abs=1.0)
    assert sat.change_significant(_trend(120)) is False  # -9 points on 120 answers: chance
    assert sat.change_significant(_trend(5000)) is True
    assert sat.change_significant(_trend(120).iloc[:1]) is None
    now = sat.nps(pd.Series([10] * 54 + [0] * 19 + [8] * 47, dtype=float))
    csat = sat.csat(pd.Series([5] * 100 + [1] * 20, dtype=float))
    found = sat.findings(
        now,
        csat,
        "2025-Q4",
        _trend(120),
        None,
        None,
        pd.DataFrame(columns=["detractors", "gap"]),
        float("nan"),
        {"nps": 30, "csat": 0.85},
    )
    assert "within chance (not significant at 95%)" in found[0]
    # CSAT 83.3% (n = 120, interval ~ 75.6%..88.9%) against 85%: within uncertainty
    assert found[-2].startswith(
        "CSAT 83.3% is short of the 85.0% target, but within its uncertainty"
    )
    # NPS 29.2 against 30 (the example): not "short", within its interval
    assert found[-1].startswith("NPS is short of its target of +30, but within its uncertainty")
