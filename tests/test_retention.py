"""Cohorts, repeat rate, churn rate, inter-purchase time and migration on hand-built tables."""

import numpy as np
import pandas as pd
import pytest

from clientbook.steps import retention


def _orders() -> pd.DataFrame:
    rows = [
        ("A", "2024-01-05", 10.0),
        ("A", "2024-02-10", 10.0),
        ("A", "2024-03-01", 10.0),
        ("B", "2024-01-20", 10.0),
        ("B", "2024-01-20", 5.0),  # same day: one purchase
        ("B", "2024-03-15", 10.0),
        ("C", "2024-02-03", 10.0),
        ("D", "2024-02-10", 10.0),
        ("D", "2024-03-20", 10.0),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    return df.assign(
        order_id=[str(i) for i in range(len(df))], order_date=pd.to_datetime(df["order_date"])
    )


AS_OF = pd.Timestamp("2024-03-31")


def test_monthly_cohorts_by_hand():
    c = retention.cohort_retention(_orders(), "month", AS_OF)
    assert c.sizes.to_dict() == {"2024-01": 2, "2024-02": 2}
    jan = c.rate.loc["2024-01"].tolist()
    assert jan == [1.0, 0.5, 1.0]  # Feb: A only; Mar: A and B
    feb = c.rate.loc["2024-02"]
    assert feb.iloc[:2].tolist() == [1.0, 0.5] and np.isnan(feb.iloc[2])  # April not seen yet
    avg = c.average_rate()
    assert avg.tolist() == pytest.approx([1.0, 0.5, 1.0])


def test_unfinished_period_is_not_observed():
    # On 2024-03-15 March is half over: nobody's March counts yet (it would look like churn).
    c = retention.cohort_retention(_orders(), "month", pd.Timestamp("2024-03-15"))
    assert c.rate.columns.tolist() == [0, 1]  # only January and February are over
    assert c.rate.loc["2024-01"].tolist() == [1.0, 0.5]
    assert c.rate.loc["2024-02", 0] == 1.0 and np.isnan(c.rate.loc["2024-02", 1])


def test_quarterly_cohort_is_one_cohort():
    c = retention.cohort_retention(_orders(), "quarter", AS_OF)
    assert c.sizes.to_dict() == {"2024-Q1": 4}
    assert c.rate.columns.tolist() == [0]


def test_repeat_rate_merges_same_day_orders():
    r = retention.repeat_purchase_rate(_orders())
    assert (r.customers, r.repeat_customers) == (4, 3)
    one_day = _orders()[_orders()["customer_id"] == "B"].iloc[:2]
    assert retention.repeat_purchase_rate(one_day).rate == 0.0


def test_churn_rate_by_hand():
    # cutoff 2024-03-01: A (last 03-01) and C (02-03) silent for 30 days; B, D bought since.
    cr = retention.churn_rate(_orders(), AS_OF, inactive_days=30)
    assert (cr.base, cr.churned, cr.rate) == (4, 2, 0.5)
    # 60 days: cutoff 01-31, only A and B were customers then, and both bought after it.
    cr = retention.churn_rate(_orders(), AS_OF, inactive_days=60)
    assert (cr.base, cr.churned) == (2, 0)


def test_inter_purchase_time_by_hand():
    ip = retention.inter_purchase_time(_orders())
    # gaps: A 36, 20; B 55; D 39 (2024 is a leap year)
    assert (ip.gaps, ip.customers) == (4, 3)
    assert ip.mean_days == pytest.approx(37.5)
    assert ip.median_days == pytest.approx(37.5)


def test_segment_migration_two_period_toy():
    before = pd.Series({"1": "Champions", "2": "Champions", "3": "Loyal", "4": "At Risk"})
    after = pd.Series({"1": "Champions", "2": "At Risk", "3": "Champions", "5": "Loyal"})
    rev_b = pd.Series({"1": 100.0, "2": 80.0, "3": 50.0, "4": 20.0})
    rev_a = pd.Series({"1": 120.0, "2": 10.0, "3": 60.0, "5": 30.0})
    m = retention.segment_migration(
        before,
        after,
        rev_b,
        rev_a,
        order=["Champions", "Loyal", "At Risk"],
        new_label="new",
        gone_label="gone",
    )
    assert m.counts.index.tolist() == ["Champions", "Loyal", "At Risk", "new"]
    assert m.counts.columns.tolist() == ["Champions", "Loyal", "At Risk", "gone"]
    assert m.counts.loc["Champions", "At Risk"] == 1
    assert m.counts.loc["Champions", "Champions"] == 1
    assert m.counts.loc["Loyal", "Champions"] == 1
    assert m.counts.loc["At Risk", "gone"] == 1
    assert m.counts.loc["new", "Loyal"] == 1
    assert m.counts.to_numpy().sum() == 5
    assert m.revenue.loc["Champions", "At Risk"] == 80.0  # what the fallen champion spent
    assert m.revenue.loc["new", "Loyal"] == 30.0
    flow = m.flows.set_index(["before", "after"]).loc[("Champions", "At Risk")]
    assert (flow["revenue_before"], flow["revenue_after"]) == (80.0, 10.0)


def test_settings_reject_typos():
    assert retention.settings({"retention": {"inactive_days": 90}})["inactive_days"] == 90
    with pytest.raises(ValueError, match="inactive_day"):
        retention.settings({"retention": {"inactive_day": 90}})


def test_loyalty_table_shows_dashes_when_unknown():
    r = retention.RepeatRate(0, 0)
    c = retention.ChurnRate(180, 0, 0)
    g = retention.InterPurchase(0, 0, float("nan"), float("nan"))
    table = retention.loyalty_table(r, c, g, None)
    assert table.iloc[:, 1].tolist() == ["-"] * 5


def test_migration_reuses_the_current_classification_when_it_is_the_same(monkeypatch):
    from collections import Counter

    from clientbook.data.book import Period
    from clientbook.steps import classification as cls

    rows = [(f"o{i}", f"c{i % 9}", pd.Timestamp("2025-01-03") + pd.Timedelta(days=11 * i),
             10.0 + i) for i in range(40)]  # fmt: skip
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    orders = orders[orders["order_date"] <= pd.Timestamp("2025-12-31")]
    customers = pd.DataFrame({"customer_id": sorted(orders["customer_id"].unique())})
    q4, q3 = Period.parse("2025-Q4", "quarter"), Period.parse("2025-Q3", "quarter")
    as_of = pd.Timestamp("2026-01-01")
    calls: Counter = Counter()
    classify = cls.classify

    def counting(*args, **kwargs):
        calls["classify"] += 1
        return classify(*args, **kwargs)

    classified = classify(orders, customers, as_of)
    monkeypatch.setattr(cls, "classify", counting)
    fresh = retention.migration_between(orders, customers, q3, q4)
    assert calls["classify"] == 2
    reused = retention.migration_between(orders, customers, q3, q4, None, classified, as_of)
    assert calls["classify"] == 3  # only the previous period's end was classified again
    pd.testing.assert_frame_equal(fresh.counts, reused.counts)
    pd.testing.assert_frame_equal(fresh.flows, reused.flows)
    # another as_of is another classification: computed, not reused
    later = as_of + pd.Timedelta(days=5)
    retention.migration_between(orders, customers, q3, q4, None, classified, later)
    assert calls["classify"] == 5
