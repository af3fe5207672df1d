"""RFM scores, segments, ABC tiers and behaviour classes on hand-built tables."""

import pandas as pd
import pytest

from clientbook.steps import classification as cls

AS_OF = pd.Timestamp("2025-01-01")


def orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"]).assign(
        order_date=lambda d: pd.to_datetime(d["order_date"]),
        customer_id=lambda d: d["customer_id"].astype("string"),
        order_id=lambda d: d["order_id"].astype("string"),
    )


def test_rfm_table_rolls_lines_up_to_orders_and_nets_refunds():
    o = orders(
        [
            ("1", "A", "2024-12-31", 100.0),
            ("1", "A", "2024-12-31", 50.0),  # two lines, one order
            ("2", "A", "2024-12-01", 30.0),
            ("3", "B", "2024-11-01", 80.0),
            ("4", "B", "2024-12-10", -20.0),  # refund as own order
        ]
    )
    rfm = cls.rfm_table(o, AS_OF).set_index("customer_id")
    assert rfm.loc["A", "frequency"] == 2
    assert rfm.loc["A", "monetary"] == 180.0
    assert rfm.loc["A", "recency_days"] == 1
    assert rfm.loc["B", "frequency"] == 1  # the refund is not a purchase
    assert rfm.loc["B", "monetary"] == 60.0
    assert rfm.loc["B", "recency_days"] == 61  # last *purchase*, not the refund


def test_quintile_scores_give_ties_one_score():
    # Ten customers, frequency ties everywhere: equal values share a score (tie-aware), so
    # the four at 1 are never split by customer id (ids follow signup order).
    values = pd.Series([1, 1, 1, 1, 2, 2, 3, 3, 3, 9])
    ids = pd.Series([f"C{i}" for i in range(10)])
    score = cls.quintile_score(values, ids)
    # average ranks 2.5, 5.5, 8 and 10 -> percentiles 0.2, 0.5, 0.75, 0.95
    assert score.tolist() == [2, 2, 2, 2, 3, 3, 4, 4, 4, 5]
    rec = cls.quintile_score(pd.Series([5, 50, 500, 5000, 50000]), ids[:5], higher_is_better=False)
    assert rec.tolist() == [5, 4, 3, 2, 1]  # most recent = 5


def _scored(r, f, m, freq=2):
    return pd.DataFrame(
        {"r": [r], "f": [f], "m": [m], "frequency": [freq], "fm": [int((f + m) / 2 + 0.5)]}
    )


@pytest.mark.parametrize(
    ("r", "f", "m", "freq", "segment"),
    [
        (5, 5, 5, 9, "champions"),
        (4, 4, 3, 5, "champions"),  # FM = round(3.5) = 4
        (3, 3, 3, 4, "loyal"),
        (5, 3, 3, 4, "loyal"),
        (1, 5, 4, 7, "cant_lose"),
        (1, 3, 3, 3, "at_risk"),
        (2, 5, 5, 8, "at_risk"),
        (5, 1, 2, 1, "new"),
        (4, 2, 2, 2, "potential_loyalist"),
        (4, 1, 1, 1, "promising"),
        (3, 1, 2, 1, "need_attention"),
        (2, 1, 2, 1, "about_to_sleep"),
        (1, 2, 2, 2, "hibernating"),
    ],
)
def test_segment_rule_table(r, f, m, freq, segment):
    assert cls.assign_segments(_scored(r, f, m, freq)).iloc[0] == segment


def test_every_score_combination_gets_a_segment():
    import itertools

    rows = [(r, f, m) for r, f, m in itertools.product(range(1, 6), repeat=3)]
    df = pd.DataFrame(rows, columns=["r", "f", "m"]).assign(frequency=2)
    df["fm"] = ((df["f"] + df["m"]) / 2 + 0.5).astype(int)
    seg = cls.assign_segments(df)
    assert seg.notna().all() and set(seg) <= set(cls.SEGMENTS)


def test_value_tiers_abc():
    # Revenue 50, 30, 10, 5, 5 (total 100): A = first 80% -> 50 (0% before) and 30 (50% before);
    # 10 has 80% before -> B; 5 has 90% before -> B; last 5 has 95% before -> C; refunds -> C.
    m = pd.Series([10.0, 50.0, 5.0, 30.0, 5.0, -3.0], index=list("abcdef"))
    assert cls.value_tiers(m).to_dict() == {
        "a": "B",
        "b": "A",
        "c": "B",
        "d": "A",
        "e": "C",
        "f": "C",
    }


def test_behaviour_classes():
    rfm = pd.DataFrame(
        {
            "frequency": [1, 3, 3, 2],
            "first_order": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01"]),
            "last_order": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-12-01", "2024-01-10"]),
        }
    )
    # 3 orders over 60 days = 30-day rhythm -> high; over 335 days -> low; 2 orders -> low.
    assert cls.behaviour_classes(rfm, 60).tolist() == [
        "one_time",
        "high_frequency",
        "low_frequency",
        "low_frequency",
    ]


def test_classify_and_findings_on_a_small_book():
    from clientbook.present import i18n

    i18n.use("en")
    o = orders(
        [
            (str(i), f"C{i % 10}", f"2024-{1 + i % 12:02d}-15", 10.0 * (1 + i % 10))
            for i in range(60)
        ]
    )
    customers = pd.DataFrame(
        {
            "customer_id": pd.array([f"C{i}" for i in range(10)], "string"),
            "region": ["East"] * 5 + ["North"] * 5,
            "channel": "Online",
        }
    )
    out = cls.classify(o, customers, AS_OF)
    assert len(out) == 10 and set(out["region"]) == {"East", "North"}
    summary = cls.segment_summary(out)
    assert summary["customers"].sum() == 10
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    text = cls.findings(out)
    assert any("A tier" in f for f in text)


def test_personas_group_tier_behaviour_and_channel():
    from clientbook.present import i18n

    i18n.use("en")
    classified = pd.DataFrame(
        {
            "tier": ["A", "A", "C", "C", "C"],
            "behaviour": ["high_frequency", "high_frequency", "one_time", "one_time", "one_time"],
            "channel": ["Online", "Online", "Store", "Store", "Online"],
            "monetary": [500.0, 300.0, 50.0, 30.0, 20.0],
            "frequency": [10, 6, 1, 1, 1],
        }
    )
    out = cls.personas(classified)
    assert out["persona"].tolist() == [
        "Tier A · High-frequency · Online",
        "Tier C · One-time · Store",
        "Tier C · One-time · Online",
    ]
    assert out["customers"].tolist() == [2, 2, 1]
    assert out["revenue_share"].tolist() == pytest.approx([800 / 900, 80 / 900, 20 / 900])
    assert out["avg_orders"].tolist() == [8.0, 1.0, 1.0]
