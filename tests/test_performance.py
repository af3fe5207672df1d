"""Performance KPIs on a hand-built book; every expected number is worked out in the comments."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from clientbook.data.book import Book, Period
from clientbook.steps import performance_review as perf

TS = pd.Timestamp
Q2 = Period.parse("2025-Q2", "quarter")
Q1 = Period.parse("2025-Q1", "quarter")


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array(["A", "B", "C", "D", "E", "F"], dtype="string"),
            "region": pd.array(["East", "East", "West", "West", "East", "West"], dtype="string"),
            "signup_date": pd.to_datetime(
                ["2024-11-01", "2025-01-10", "2025-02-01", "2025-04-05", "2025-05-01", None]
            ),
        }
    )


def _orders() -> pd.DataFrame:
    rows = [
        ("o1", "A", "2024-11-01", 100.0),
        ("o2", "A", "2025-02-01", 50.0),
        ("o3", "A", "2025-04-10", 80.0),
        ("o4", "B", "2025-01-10", 200.0),
        ("o5", "B", "2025-05-05", 100.0),
        ("o5", "B", "2025-05-05", -20.0),  # refund line of the same order
        ("o6", "C", "2025-02-01", 60.0),
        ("o11", "C", "2025-03-01", -60.0),  # a refund alone is not a purchase
        ("o7", "D", "2025-04-05", 40.0),
        ("o8", "D", "2025-06-01", 40.0),
        ("o9", "E", "2025-05-01", 30.0),
        ("o10", "F", "2025-06-10", 90.0),  # F has no signup date: first order counts
    ]
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    df["order_id"] = df["order_id"].astype("string")
    df["customer_id"] = df["customer_id"].astype("string")
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def _surveys() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": pd.array([f"r{i}" for i in range(7)], dtype="string"),
            "survey_date": pd.to_datetime(
                [
                    "2025-04-02",
                    "2025-04-03",
                    "2025-05-01",
                    "2025-05-02",
                    "2025-06-01",
                    "2025-06-02",
                    "2025-02-01",
                ]
            ),
            # Q2 NPS: 10,10,9 promoters, 7 passive, 5 detractor, NaN skipped -> 60% - 20% = 40
            "nps_score": [10, 10, 9, 7, 5, None, 2],
            # Q2 CSAT: 5,4,4 satisfied of 5,4,4,3 answered -> 0.75
            "csat_score": [5, 4, 4, 3, None, None, 5],
        }
    )


def _tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": pd.array(["t1", "t2", "t3", "t4", "t5"], dtype="string"),
            "channel": pd.array(["phone"] * 5, dtype="string"),
            "opened_at": pd.to_datetime(
                [
                    "2025-04-01 09:00",
                    "2025-05-01 09:00",
                    "2025-05-10 09:00",
                    "2025-06-30 20:00",
                    "2025-06-01 09:00",
                ]
            ),
            "first_response_at": pd.to_datetime(
                [
                    "2025-04-01 10:00",  # 1 h: met
                    "2025-05-02 09:00",  # exactly 24 h: met (inclusive)
                    "2025-05-12 09:00",  # 48 h: missed
                    None,  # unanswered, SLA not yet run out at as_of: not judged
                    None,
                ]  # unanswered and overdue: missed
            ),
            "category": pd.array(
                ["complaint", "question", "Complaint", "question", "投诉"], dtype="string"
            ),
        }
    )


def _marketing() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": pd.array(["2025-04", "2025-05", "2025-06", "2025-Q1"], dtype="string"),
            "spend": [300.0, 300.0, 300.0, 500.0],
            "region": pd.array(["East", "East", None, None], dtype="string"),
        }
    )


def _targets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": pd.array(
                ["retention_rate", "retention_rate", "retention_rate", "retention_rate", "nps"],
                dtype="string",
            ),
            "target": [0.7, 0.6, 0.8, 0.65, 30.0],
            "region": pd.array([None, None, "East", "East", None], dtype="string"),
            "period": pd.array([None, "2025-Q2", "2025-Q2", None, ""], dtype="string"),
        }
    )


def _book(**kw) -> Book:
    args = dict(
        customers=_customers(),
        orders=_orders(),
        surveys=_surveys(),
        tickets=_tickets(),
        targets=_targets(),
        marketing=_marketing(),
        period=Q2,
        period_freq="quarter",
        as_of=TS("2025-07-01"),
        settings={
            "targets": {"nps": 50, "churn_rate": 0.3, "new_customers": 3},
            "sla": {"first_response_hours": 24},
        },
    )
    args.update(kw)
    return Book(**args)


def test_kpis_by_hand():
    k = perf.compute_kpis(_book(), Q2, Q1)
    # Q2 acquisitions: D (04-05), E (05-01), F (first order 06-10); Q1: B, C -> (3-2)/2
    assert k["new_customers"].value == 3
    assert k["new_customer_growth"].value == pytest.approx(0.5)
    # Q1 buyers A, B, C; of them A and B bought in Q2
    assert k["retention_rate"].value == pytest.approx(2 / 3)
    assert k["churn_rate"].value == pytest.approx(1 / 3)
    # buying days to the end of Q2: A 3, B 2, C 2 (its refund day counts, as in the retention
    # step), D 2, E 1, F 1 -> 4 of 6
    assert k["repeat_rate"].value == pytest.approx(4 / 6)
    # 80 + 100 - 20 + 40 + 40 + 30 + 90 = 360 over 5 buyers
    assert k["revenue_per_customer"].value == pytest.approx(72.0)
    assert k["nps"].value == pytest.approx(40.0)
    assert k["csat"].value == pytest.approx(0.75)
    # complaints t1, t3, t5 per 5 buyers
    assert k["complaint_rate"].value == pytest.approx(0.6)
    # met t1, t2 of judged t1, t2, t3, t5
    assert k["sla_attainment"].value == pytest.approx(0.5)
    # 300 + 300 + 300 spend over 3 new customers
    assert k["acquisition_cost"].value == pytest.approx(300.0)


def test_previous_period_kpis():
    k = perf.compute_kpis(_book(), Q1, Q1.previous("quarter"))
    assert k["new_customers"].value == 2  # B, C; 2024-Q4 had A only -> growth +100%
    assert k["new_customer_growth"].value == pytest.approx(1.0)
    assert k["retention_rate"].value == pytest.approx(1.0)  # A bought in Q4 and in Q1
    assert k["repeat_rate"].value == pytest.approx(2 / 3)  # A and C bought on 2 days by Q1
    assert k["revenue_per_customer"].value == pytest.approx(250 / 3)  # 50+200+60-60
    assert k["nps"].value == pytest.approx(-100.0)
    assert math.isnan(k["complaint_rate"].value)  # tickets start in Q2: no basis in Q1
    assert k["acquisition_cost"].value == pytest.approx(250.0)  # 500 / 2


def test_missing_tables_say_what_is_needed():
    b = _book(surveys=None, tickets=None, marketing=None)
    k = perf.compute_kpis(b, Q2, Q1)
    assert k["nps"].needs == "surveys.nps_score"
    assert k["csat"].needs == "surveys.csat_score"
    assert k["complaint_rate"].needs == "tickets"
    assert k["sla_attainment"].needs == "tickets"
    assert k["acquisition_cost"].needs == "marketing"
    assert math.isnan(k["nps"].value)
    b = _book(
        surveys=_surveys().drop(columns="csat_score"), tickets=_tickets().drop(columns="category")
    )
    k = perf.compute_kpis(b, Q2, Q1)
    assert k["csat"].needs == "surveys.csat_score" and k["nps"].needs is None
    assert k["complaint_rate"].needs == "tickets.category"


def test_repeat_rate_is_the_retention_steps():
    assert perf.repeat_rate(_orders(), Q2) == pytest.approx(4 / 6)
    assert perf.repeat_rate(_orders(), Q1) == pytest.approx(2 / 3)
    retention = pytest.importorskip("clientbook.steps.retention")
    for window in (Q1, Q2):
        theirs = retention.repeat_purchase_rate(_orders(), window.end).rate
        assert perf.repeat_rate(_orders(), window) == pytest.approx(theirs)


def test_sla_attainment_is_the_service_steps():
    settings = {"sla": {"first_response_hours": 24}}
    got = perf.sla_attainment(_tickets(), Q2, settings, TS("2025-07-01"))
    assert got.value == pytest.approx(0.5)
    # per channel: phone gets 48 h, so t3 (48 h) is met too -> 3 of 4
    settings = {"sla": {"first_response_hours": {"default": 1, "phone": 48}}}
    got = perf.sla_attainment(_tickets(), Q2, settings, TS("2025-07-01"))
    assert got.value == pytest.approx(0.75)


def test_marketing_spend_region_and_monthly_rows():
    m = _marketing()
    assert perf.marketing_spend(m, Q2, "East").value == 600.0  # April and May East rows
    assert perf.marketing_spend(m, Q2, None).value == 900.0
    assert math.isnan(perf.marketing_spend(m, Q2, "North").value)  # no rows: no spend known
    assert perf.label_window("2025-07").start == TS("2025-07-01")
    assert perf.label_window("2025").end.month == 12
    assert perf.label_window("July") is None


def test_targets_most_specific_row_wins():
    tb = _targets()
    settings = {"nps": 50, "churn_rate": 0.3}
    all_q2 = perf.resolve_targets(tb, settings, None, "2025-Q2")
    assert all_q2["retention_rate"] == 0.6  # period row beats the blanket 0.7
    assert all_q2["nps"] == 30.0  # the table wins over the audit settings
    assert all_q2["churn_rate"] == 0.3  # only in the settings
    assert perf.resolve_targets(tb, settings, "East", "2025-Q2")["retention_rate"] == 0.8
    assert perf.resolve_targets(tb, settings, "east", "2025-Q3")["retention_rate"] == 0.65
    assert perf.resolve_targets(tb, settings, "West", "2025-Q3")["retention_rate"] == 0.7
    assert perf.resolve_targets(None, {}, None, "2025-Q2") == {}


def test_count_targets_without_region_are_the_whole_books():
    tb = pd.DataFrame(
        {
            "kpi": pd.array(["new_customers", "new_customers", "retention_rate"], dtype="string"),
            "target": [500.0, 80.0, 0.7],
            "region": pd.array([None, "East", None], dtype="string"),
            "period": pd.array(["2025-Q2", "2025-Q2", None], dtype="string"),
        }
    )
    settings = {"new_customers": 400, "retention_rate": 0.6}
    assert perf.resolve_targets(tb, settings, None, "2025-Q2") == {
        "new_customers": 500.0,
        "retention_rate": 0.7,
    }
    assert perf.resolve_targets(tb, settings, "East", "2025-Q2") == {
        "new_customers": 80.0,
        "retention_rate": 0.7,
    }
    # West has no target of its own: the book's 500 (or the settings' 400) is not West's
    assert perf.resolve_targets(tb, settings, "West", "2025-Q2") == {"retention_rate": 0.7}


@pytest.mark.parametrize(
    ("actual", "target", "better", "near", "expected"),
    [
        (0.9, 0.9, "higher", 0.05, "met"),  # exactly on target
        (0.8999, 0.9, "higher", 0.05, "near"),
        (0.855, 0.9, "higher", 0.05, "near"),  # exactly at the band edge: 0.9 * 0.95
        (0.8549, 0.9, "higher", 0.05, "missed"),
        (0.3, 0.3, "lower", 0.05, "met"),
        (0.315, 0.3, "lower", 0.05, "near"),  # 0.3 * 1.05
        (0.3151, 0.3, "lower", 0.05, "missed"),
        (0.2, 0.3, "lower", 0.05, "met"),
        (-11.0, -10.0, "higher", 0.1, "near"),  # band is a share of |target|
        (-11.01, -10.0, "higher", 0.1, "missed"),
        (5.0, 0.0, "higher", 0.05, "met"),
        (-0.01, 0.0, "higher", 0.05, "missed"),
        (math.nan, 0.9, "higher", 0.05, "no_data"),
        (0.5, math.nan, "higher", 0.05, "no_target"),
    ],
)
def test_traffic_light_edges(actual, target, better, near, expected):
    assert perf.traffic_light(actual, target, better, near) == expected


def test_kpi_rules_from_settings():
    rules = perf.kpi_rules(
        {"thresholds": {"near": 0.1, "nps": {"near": 0.2}, "repeat_rate": {"better": "lower"}}}
    )
    assert rules["churn_rate"] == ("lower", 0.1)
    assert rules["nps"] == ("higher", 0.2)
    assert rules["repeat_rate"] == ("lower", 0.1)
    # the step-scoped block wins over the top-level one
    scoped = perf.kpi_rules(
        {"thresholds": {"near": 0.1}, "performance_review": {"thresholds": {"near": 0.02}}}
    )
    assert scoped["csat"] == ("higher", 0.02)
    with pytest.raises(ValueError, match="better"):
        perf.kpi_rules({"thresholds": {"nps": {"better": "up"}}})


# The hand-built book has a handful of customers: judge them as if the sample were enough
# (the sample-size and interval rules have their own tests below).
NO_STATS = {"performance_review": {"min_sample": 0, "confidence": 0}}


def test_scorecard():
    b = _book()
    card = perf.scorecard(_book(settings={**b.settings, **NO_STATS})).set_index("kpi")
    assert list(card.index) == list(perf.KPIS)
    r = card.loc["retention_rate"]
    assert r.actual == pytest.approx(2 / 3) and r.target == 0.6 and r.status == "met"
    assert r.previous == pytest.approx(1.0) and r.change == pytest.approx(-1 / 3)
    assert r.vs_target == pytest.approx((2 / 3 - 0.6) / 0.6)
    # churn 1/3 vs 0.3, lower is better: behind by 0.033 > 0.05 * 0.3 -> missed
    c = card.loc["churn_rate"]
    assert c.status == "missed" and c.vs_target == pytest.approx(-(1 / 3 - 0.3) / 0.3)
    assert card.loc["new_customers", "status"] == "met"  # 3 vs 3: on the edge
    assert card.loc["new_customers", "change_pct"] == pytest.approx(0.5)
    assert card.loc["nps", "status"] == "met"  # 40 vs 30 (table target)
    assert card.loc["csat", "status"] == "no_target"
    # a wider band for churn turns the miss into near: 0.12 * 0.3 = 0.036 >= 0.033
    wide = perf.scorecard(
        _book(
            settings={
                "churn_rate": 0,
                "targets": {"churn_rate": 0.3},
                "thresholds": {"churn_rate": 0.12},
                **NO_STATS,
            }
        )
    )
    assert wide.set_index("kpi").loc["churn_rate", "status"] == "near"


def test_scorecard_without_optional_tables_and_targets():
    b = _book(surveys=None, tickets=None, marketing=None, targets=None, settings={})
    card = perf.scorecard(b).set_index("kpi")
    assert set(card["status"]) <= {"no_target", "no_data"}
    assert card.loc["nps", "needs"] == "surveys.nps_score"
    assert card.loc["nps", "status"] == "no_data"
    records = perf.scorecard_records(card.reset_index())
    assert records[0]["kpi"] == "new_customers" and records[0]["target"] is None
    assert perf.distance_chart(card.reset_index()) is None
    assert perf.findings(card.reset_index(), "en")[0].startswith("No KPI targets")


def test_tables_and_charts_render():
    import matplotlib

    matplotlib.use("Agg")
    b = _book()
    card = perf.scorecard(_book(settings={**b.settings, **NO_STATS}))
    table = perf.scorecard_table(card, "en")
    assert table.loc[2].tolist() == [
        "Period-to-period retention",
        "66.7%",
        "60.0%",
        "100.0%",
        "-33.3 pp",
        "met",
    ]
    assert perf.scorecard_table(card, "zh").columns[0] == "指标"
    assert perf.distance_chart(card, "en") is not None
    found = perf.findings(card, "en")
    # targets: new customers (met), retention (met), churn (missed), NPS (met)
    assert found == [
        "3 of 4 KPIs with a target are on target.",
        "Churn from the previous period is furthest behind its target: 33.3% against 30.0%.",
        # growth and churn are left out of "moved most"; retention fell 1 -> 2/3
        "Period-to-period retention moved most since the previous period (-33.3 pp). "
        "(No significance test for this figure.)",
    ]
    hist = perf.kpi_history(_book(), periods=4)
    # 2024-Q3 ends before the first order and is skipped
    assert list(hist.index) == ["2024-Q4", "2025-Q1", "2025-Q2"]
    assert hist.loc["2025-Q2", "retention_rate"] == pytest.approx(2 / 3)


def test_small_samples_are_too_few_to_judge_and_changes_say_if_significant():
    card = perf.scorecard(_book())  # the registry's minimum samples, 95% intervals
    table = perf.scorecard_table(card, "en").set_index("KPI")
    # 3 previous buyers, 2 came back: shown, but not judged against the 0.6 target
    assert table.loc["Period-to-period retention"].tolist() == [
        "66.7%", "60.0%", "100.0%", "-33.3 pp (within chance)",
        "too few to judge (n = 3, needs 30)",
    ]  # fmt: skip
    # no row anywhere reads "needs nan": only a row missing a table says what it needs
    assert not table.apply(lambda c: c.str.contains("nan")).any().any()
    c = card.set_index("kpi")
    assert (
        c.loc["retention_rate", "significant"] is False
        or not c.loc["retention_rate", "significant"]
    )
    assert c.loc["new_customers", "status"] == "met"  # a count needs no sample
    found = perf.findings(card, "en")
    assert found[0] == "1 of 1 KPIs with a target are on target."
    assert found[-1].endswith(
        "The change is within chance (not significant at 95%): do not read it as a move."
    )


@pytest.mark.parametrize(
    "actual, n, low, high, expected",
    [
        (29.1, 120, 22.5, 35.7, "uncertain"),  # NPS 29.1 vs 30, the target inside the interval
        (20.0, 120, 15.0, 25.0, "missed"),  # the interval excludes the target
        (29.1, 5, 0.0, 60.0, "too_few"),  # 5 answers: too few to judge
        (31.0, 5, 0.0, 60.0, "too_few"),  # even when "ahead": n decides first
        (31.0, 120, 25.0, 37.0, "met"),
        (29.9, 120, math.nan, math.nan, "near"),  # no interval: the band rule
    ],
)
def test_lights_account_for_sample_size_and_interval(actual, n, low, high, expected):
    assert perf.traffic_light(actual, 30.0, "higher", 0.05, n, 30, low, high) == expected


def test_change_significance():
    a = perf.Actual(0.50, n=1000, low=0.469, high=0.531)
    b = perf.Actual(0.40, n=1000, low=0.370, high=0.431)
    assert perf.change_significant("rate", a, b) is True
    small = perf.Actual(0.50, n=10, low=0.24, high=0.76)
    assert (
        perf.change_significant("rate", small, perf.Actual(0.40, n=10, low=0.17, high=0.69))
        is False
    )
    assert perf.change_significant("count", perf.Actual(200.0), perf.Actual(100.0)) is True
    assert perf.change_significant("count", perf.Actual(11.0), perf.Actual(9.0)) is False
    assert perf.change_significant("money", perf.Actual(5.0), perf.Actual(1.0)) is None


def test_acquisition_date_is_the_earlier_of_signup_and_first_order():
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["X", "Y"], dtype="string"),
            # X "signed up" after already buying in March: acquired in March (Q1), not Q2
            "signup_date": pd.to_datetime(["2025-04-15", "2025-04-20"]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": pd.array(["1", "2"], dtype="string"),
            "customer_id": pd.array(["X", "Y"], dtype="string"),
            "order_date": pd.to_datetime(["2025-03-10", "2025-05-01"]),
            "amount": [10.0, 10.0],
        }
    )
    assert perf.new_customers(customers, orders, Q2) == 1
    assert perf.new_customers(customers, orders, Q1) == 1


def test_partial_period():
    assert not perf.partial_period(_book())  # as_of 2025-07-01, Q2 over
    assert perf.partial_period(_book(as_of=TS("2025-06-15")))
    # exported on the period's last day: the period is covered ("not over yet" would be wrong)
    assert not perf.partial_period(_book(as_of=TS("2025-06-30")))
    assert perf.partial_period(_book(as_of=TS("2025-06-29")))


def test_unknown_targets_are_named():
    assert perf.unknown_targets(_book()) == []
    tb = pd.concat([_targets(), pd.DataFrame({"kpi": ["retention"], "target": [0.8]})])
    b = _book(targets=tb, settings={"targets": {"nps_score": 30, "csat": 0.9}})
    assert perf.unknown_targets(b) == ["nps_score", "retention"]
