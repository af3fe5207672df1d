import pandas as pd
import pytest

from clientbook.present import i18n
from clientbook.steps import sales


def _leads():
    # L8 says "negotiation" but is won: it counts as reaching "won". L9's stage is unknown.
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(1, 10)],
            "created_date": pd.to_datetime(["2025-01-01"] * 9),
            "stage": [
                "lead",
                "qualified",
                "proposal",
                "proposal",
                "negotiation",
                "won",
                "won",
                "negotiation",
                "demo",
            ],
            "status": ["open", "lost", "lost", "open", "lost", "won", "won", "won", "open"],
            "closed_date": pd.to_datetime(
                [
                    None,
                    "2025-01-05",
                    "2025-01-08",
                    None,
                    "2025-02-01",
                    "2025-01-11",
                    "2025-01-21",
                    "2025-02-10",
                    None,
                ]
            ),
            "owner": ["Ann"] * 4 + ["Bob"] * 5,
            "amount": [100, 200, 300, 400, 500, 600, 700, 800, 900],
        }
    )


def test_funnel_conversions():
    f = sales.funnel(_leads()).set_index("stage")
    # reached: lead 8 (L1-L8), qualified 7, proposal 6, negotiation 4 (L5-L8), won 3 (L6-L8)
    assert f["leads"].tolist() == [8, 7, 6, 4, 3]
    assert f["conversion"].tolist()[1:] == pytest.approx([7 / 8, 6 / 7, 4 / 6, 3 / 4])
    assert pd.isna(f["conversion"].iloc[0])
    assert f.loc["won", "from_top"] == pytest.approx(3 / 8)
    assert f.loc["won", "amount"] == 600 + 700 + 800
    assert sales.unknown_stages(_leads()).to_dict() == {"demo": 1}


def test_custom_stages_from_settings():
    stages = sales.stages_from({"funnel_stages": ["lead", "proposal", "won"]})
    assert stages == ["lead", "proposal", "won"]
    assert sales.stages_from({}) == list(sales.DEFAULT_STAGES)
    f = sales.funnel(_leads(), stages)
    # qualified / negotiation are unknown here except L8 (won -> last stage)
    assert f["leads"].tolist() == [6, 5, 3]  # L1 L3 L4 L6 L7 L8; proposal+: L3 L4 L6 L7 L8


def test_win_rate_and_cycle():
    s = sales.summary(_leads())
    assert (s.won, s.lost, s.open) == (3, 3, 3)
    assert s.win_rate == pytest.approx(0.5)
    assert s.cycle_days_median == pytest.approx(20)  # won: 10, 20, 40 days
    assert s.pipeline_amount == 100 + 400 + 900


def test_scorecard_by_owner():
    o = sales.scorecard(_leads(), "owner").set_index("owner")
    assert o.loc["Ann", "win_rate"] == 0  # 0 won, 2 lost
    assert o.loc["Bob", "win_rate"] == pytest.approx(3 / 4)
    assert o.loc["Bob", "reached_last"] == pytest.approx(3 / 4)  # L9's unknown stage left out
    assert o.index[0] == "Bob"  # most won amount first


def _orders():
    # baskets: O1 {A,B}, O2 {A,B,C}, O3 {A,C}, O4 {B} (+ a refunded C), O5 {A,B}
    rows = [
        ("O1", "A", 10),
        ("O1", "A", 10),
        ("O1", "B", 5),
        ("O2", "A", 10),
        ("O2", "B", 5),
        ("O2", "C", 3),
        ("O3", "A", 10),
        ("O3", "C", 3),
        ("O4", "B", 5),
        ("O4", "C", -3),
        ("O5", "A", 10),
        ("O5", "B", 5),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "product", "amount"])
    return df.assign(customer_id=df["order_id"].str.replace("O", "c"))


def test_pair_rules_support_confidence_lift():
    r = sales.pair_rules(_orders(), min_support=0, min_count=1, min_confidence=0)
    r = r.set_index(["antecedent", "consequent"])
    # 5 baskets; A in 4, B in 4, C in 2; A&B 3, A&C 2, B&C 1
    assert r.loc[("A", "B"), "support"] == pytest.approx(3 / 5)
    assert r.loc[("A", "B"), "confidence"] == pytest.approx(3 / 4)
    assert r.loc[("A", "B"), "lift"] == pytest.approx(0.75 / 0.8)
    assert r.loc[("A", "C"), "lift"] == pytest.approx(0.5 / 0.4)
    assert r.loc[("C", "A"), "confidence"] == pytest.approx(1.0)
    assert r.loc[("C", "A"), "lift"] == pytest.approx(1.25)
    assert r.loc[("B", "C"), "lift"] == pytest.approx(0.25 / 0.4)
    assert len(r) == 6
    # B&C is in one basket only: dropped at the default min_count of 3? A&C too (2 baskets)
    assert set(
        sales.pair_rules(_orders(), min_count=3).set_index(["antecedent", "consequent"]).index
    ) == {("A", "B"), ("B", "A")}


def test_rule_sentences_one_per_pair():
    i18n.use("en")
    r = sales.pair_rules(_orders(), min_support=0, min_count=1, min_confidence=0)
    sentences = sales.rule_sentences(r)
    assert len(sentences) == 1  # only A/C has lift above 1; told once, as C -> A (100%)
    assert "C" in sentences[0] and "A" in sentences[0] and "100%" in sentences[0]


def test_next_best_offer_per_segment():
    rules = pd.DataFrame(
        {
            "antecedent": ["A", "C", "A", "B"],
            "consequent": ["C", "A", "B", "D"],
            "confidence": [0.5, 1.0, 0.75, 0.6],
            "lift": [1.25, 1.25, 0.9375, 2.0],  # A -> B lowers the odds: never offered
        }
    )
    owned = [
        ("c1", "A"),
        ("c2", "C"),
        ("c3", "A"),
        ("c3", "C"),
        ("c4", "B"),
        ("c5", "A"),
        ("c5", "B"),
        ("c6", "A"),
    ]
    orders = pd.DataFrame(owned, columns=["customer_id", "product"])
    segments = pd.Series({"c1": "S1", "c2": "S1", "c3": "S1", "c6": "S1", "c4": "S2", "c5": "S2"})
    nbo = sales.next_best_offer(orders, segments, rules).set_index("segment")
    # c1, c6 -> C (A->C), c2 -> A (C->A), c3 owns both; c4 -> D, c5 -> D (0.6 beats A->C 0.5)
    assert nbo.loc["S1", "offer"] == "C"
    assert nbo.loc["S1", "customers"] == 4
    assert nbo.loc["S1", "customers_offered"] == 2
    assert nbo.loc["S1", "share"] == pytest.approx(0.5)
    assert nbo.loc["S1", "because"] == "A"
    assert nbo.loc["S2", "offer"] == "D"
    assert nbo.loc["S2", "share"] == pytest.approx(1.0)
    assert nbo.loc["S2", "confidence"] == pytest.approx(0.6)


def test_no_amounts_is_unknown_not_zero():
    s = sales.summary(_leads().drop(columns=["amount"]))
    assert pd.isna(s.won_amount) and pd.isna(s.pipeline_amount)
    assert s.win_rate == pytest.approx(0.5)


def test_upsell_finds_entry_level_buyers_and_the_premium_offer():
    # Printers priced 100 (basic), 150 (mid), 400 (pro): median 150, so only "basic" is
    # entry-level. A and B buy only basic; D buys basic and mid (not entry-only); C and E buy
    # pro, the premium product most customers choose. Expected: 2 buyers, 200 revenue,
    # offer pro at 400 / 100 = 4.0x. Paper has one product only: no up-sell there.
    rows = [
        ("1", "A", "basic", 1, 100.0),
        ("2", "B", "basic", 1, 100.0),
        ("3", "C", "pro", 1, 400.0),
        ("4", "D", "mid", 1, 150.0),
        ("5", "D", "basic", 1, 100.0),
        ("6", "E", "pro", 1, 400.0),
        ("7", "A", "basic", 1, -100.0),
    ]  # a refund line is left out
    orders = pd.DataFrame(
        rows, columns=["order_id", "customer_id", "product", "quantity", "amount"]
    ).assign(category="Printers")
    paper = pd.DataFrame([("8", "A", "A4", 2, 10.0)], columns=orders.columns[:5]).assign(
        category="Paper"
    )
    i18n.use("en")
    out = sales.upsell(pd.concat([orders, paper], ignore_index=True))
    assert out.to_dict("records") == [
        {
            "category": "Printers",
            "entry_customers": 2,
            "entry_revenue": 200.0,
            "offer": "pro",
            "price_ratio": 4.0,
        }
    ]
    assert (
        "2 customers buy only entry-level Printers: offer pro (4.0x"
        in sales.upsell_sentences(out)[0]
    )
    assert sales.upsell(orders.drop(columns="quantity")).empty


def test_summary_window_fields_and_kpis():
    s = sales.SalesSummary(
        leads=10,
        open=2,
        won=4,
        lost=4,
        win_rate=0.5,
        cycle_days_median=float("nan"),
        won_amount=12_000.0,
        pipeline_amount=500.0,
    )
    f = sales.summary_fields(s)
    assert f["win_rate"] == "50.0%" and f["cycle"] == "–" and f["won"] == 4
    assert f["won_amount"] == sales.money_text(12_000.0)
    w = sales.window_fields({"leads_created": (7, None), "win_rate": (0.25, 8)})
    assert w == {"created": "7", "closed": "8", "win_rate": "25.0%"}
    assert sales.kpis(s)["lead_to_won_rate"] == 0.4
    assert (
        sales.kpis(sales.SalesSummary(0, 0, 0, 0, float("nan"), float("nan"), 0.0, 0.0))[
            "lead_to_won_rate"
        ]
        is None
    )
