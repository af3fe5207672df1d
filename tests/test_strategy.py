"""Action plan: rule matching, the strategy matrix, masking (also in the XLSX) and the
executive summary, on hand-built tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clientbook.data.book import Book, Period
from clientbook.deliver import xlsx as actions
from clientbook.steps import action_plan as st


def _profile(**extra) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "customer_id": pd.array(["c1", "c2", "c3", "c4", "c5", "c6"], dtype="string"),
            "rfm_segment": pd.array(
                ["champions", "at_risk", "new", "loyal", "at_risk", "hibernating"], dtype="string"
            ),
            "tier": pd.array(["A", "A", "A", "B", "C", "C"], dtype="string"),
            "is_new": [False, False, True, False, False, False],
            "recency_days": [5, 200, 3, 40, 300, 400],
            "frequency": [10, 6, 1, 4, 8, 1],
            "value": [1000.0, 800.0, 300.0, 200.0, 100.0, 50.0],
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def test_default_plan_segments_are_the_classification_segments():
    got = st.assign_actions(_profile()).set_index("customer_id")
    # the same word, the same customers: every plan segment is the customer's RFM segment
    assert (got["plan_segment"] == got["rfm_segment"]).all()
    assert got.loc["c2", "action"] == "win_back" and got.loc["c2", "uplift"] == 0.15
    assert got.loc["c3", "action"] == "onboarding"  # only the classification's New
    assert got.loc["c6", "action"] == "automated_marketing"
    assert {r["segment"] for r in st.DEFAULT_RULES} == set(st.SEGMENT_ACTIONS)
    from clientbook.steps.classification import SEGMENTS

    assert set(st.SEGMENT_ACTIONS) == set(SEGMENTS)  # every segment has an action


def test_a_custom_rule_may_test_churn_risk():
    # a churn rule holds only where the profile has churn_risk (the customer table's)
    rules = [
        {"segment": "slipping", "when": {"churn_risk": {"min": 0.6}, "tier": ["A", "B"]},
         "action": "win_back"},
        {"segment": "rest", "when": {}, "action": "automated_marketing"},
    ]  # fmt: skip
    assert set(st.assign_actions(_profile(), rules)["plan_segment"]) == {"rest"}
    risk = [0.9, 0.1, 0.6, 0.6, 0.1, 0.99]
    got = st.assign_actions(_profile(churn_risk=risk), rules).set_index("customer_id")
    assert got["plan_segment"].to_dict() == {
        "c1": "slipping",  # 0.9, tier A
        "c2": "rest",
        "c3": "slipping",  # exactly 0.6: min is inclusive
        "c4": "slipping",  # 0.6, tier B
        "c5": "rest",
        "c6": "rest",  # 0.99 but tier C
    }


def test_a_plan_segment_never_takes_a_classification_name_for_another_group():
    cols = list(_profile().columns)
    st.check_rules([{"segment": "new", "when": {"rfm_segment": "new"}, "action": "x"}], cols)
    st.check_rules([{"segment": "new", "when": {"rfm_segment": ["new"]}, "action": "x"}], cols)
    st.check_rules([{"segment": "first_quarter", "when": {"is_new": True}, "action": "x"}], cols)
    for bad in (
        {"segment": "new", "when": {"is_new": True}, "action": "onboarding"},
        {"segment": "New", "when": {"rfm_segment": "new", "tier": "A"}, "action": "x"},
        {"segment": "At Risk", "when": {"churn_risk": {"min": 0.6}}, "action": "x"},
        {"segment": "新客户", "when": {"is_new": True}, "action": "x"},  # the zh name of new
    ):
        with pytest.raises(ValueError, match="named like the classification segment"):
            st.check_rules([bad], cols)


def test_custom_rules_ranges_lists_and_no_match():
    rules = [
        {
            "segment": "lapsed",
            "when": {"recency_days": {"min": 200, "max": 300}},
            "action": "Call them",
            "uplift": 0.2,
        },
        {
            "segment": "frequent",
            "when": {"frequency": {"min": 6}, "tier": ["A", "B"]},
            "action": "dedicated_service",
        },
    ]
    got = st.assign_actions(_profile(), rules).set_index("customer_id")
    assert got["plan_segment"].to_dict() == {
        "c1": "frequent",
        "c2": "lapsed",
        "c3": "other",
        "c4": "other",
        "c5": "lapsed",
        "c6": "other",  # 400 days: above the max
    }
    assert pd.isna(got.loc["c3", "action"]) and got.loc["c3", "uplift"] == 0.0
    assert got.loc["c1", "uplift"] == 0.0  # no uplift given
    assert st.action_name("Call them", "en") == "Call them"  # free text shown as written
    assert st.action_name("dedicated_service", "en").startswith("Dedicated")
    assert st.action_name(pd.NA, "en") == "No action set"


def test_check_rules_names_the_typo():
    st.check_rules(st.DEFAULT_RULES, list(_profile().columns))  # churn_risk is optional
    bad = [
        {"segment": "x", "when": {"tier": "A"}, "action": "y"},
        {"segment": "vip", "when": {"teir": "A"}, "action": "y"},
    ]
    with pytest.raises(ValueError, match=r"rules\[1\] \(vip\): unknown column\(s\) teir"):
        st.check_rules(bad, list(_profile().columns))


def test_rules_from_settings():
    assert st.rules_from({}) is st.DEFAULT_RULES
    mine = [{"segment": "x", "action": "y"}]
    assert st.rules_from({"action_plan": {"rules": mine}}) == mine
    with pytest.raises(ValueError, match=r"rules\[0\]"):
        st.rules_from({"rules": [{"segment": "x"}]})


def test_strategy_matrix_by_hand():
    m = st.strategy_matrix(st.assign_actions(_profile())).set_index("segment")
    # at_risk: c2 800 + c5 100 = 900 x 0.15 = 135; champions c1 1000 x 0.05 = 50;
    # new c3 300 x 0.10 = 30; loyal c4 200 x 0.05 = 10; hibernating c6 50 x 0.03 = 1.5
    assert m["rank"].to_dict() == {
        "at_risk": 1,
        "champions": 2,
        "new": 3,
        "loyal": 4,
        "hibernating": 5,
    }
    assert m.loc["at_risk", "customers"] == 2
    assert m.loc["at_risk", "value_at_stake"] == pytest.approx(900.0)
    assert m.loc["at_risk", "expected_impact"] == pytest.approx(135.0)
    assert m.loc["at_risk", "value_share"] == pytest.approx(900 / 2450)
    assert m.loc["at_risk", "customer_share"] == pytest.approx(2 / 6)
    assert m.loc["at_risk", "avg_recency_days"] == pytest.approx(250.0)
    assert m.loc["hibernating", "expected_impact"] == pytest.approx(1.5)
    assert st.matrix_headline(m.reset_index(), "en") == (
        "At Risk comes first: 2 customers, expected impact 135."
    )
    table = st.matrix_table(m.reset_index(), "en")
    assert table.iloc[0].tolist()[:3] == [
        1,
        "At Risk",  # the classification's name, in every step
        "Win-back: personal call and a tailored offer",
    ]


def test_mask_pii():
    df = pd.DataFrame(
        {
            "customer_id": pd.array(["007"], dtype="string"),
            "name": pd.array(["Alice Wang"], dtype="string"),
            "email": pd.array(["alice@example.com"], dtype="string"),
            "phone": pd.array(["138-1234-5678"], dtype="string"),
        }
    )
    out = st.mask_pii(df)
    assert out.iloc[0].tolist() == ["007", "A**** W***", "a***@example.com", "***-****-5678"]
    assert df.loc[0, "name"] == "Alice Wang"  # the input is untouched
    zh = st.mask_pii(pd.DataFrame({"name": ["王小明", None], "phone": ["13812345678", None]}))
    assert zh["name"].iloc[0] == "王**" and pd.isna(zh["name"].iloc[1])
    assert zh["phone"].iloc[0] == "*******5678"
    assert st.masking_on({}) is True
    assert st.masking_on({"mask_pii": False}) is False
    assert st.masking_on({"mask_pii": True, "action_plan": {"mask_pii": False}}) is False


def _plan_with_pii() -> st.ActionPlan:
    prof = _profile(
        name=pd.array(["Alice Wang", "Bo Li", "Chen Jie", "Dan", "Eve", "Fay"], dtype="string"),
        email=pd.array([f"{n}@x.cn" for n in "abcdef"], dtype="string"),
        phone=pd.array(
            [
                "13800000001",
                "13800000002",
                "13800000003",
                "13800000004",
                "13800000005",
                "13800000006",
            ],
            dtype="string",
        ),
    )
    assigned = st.assign_actions(prof)
    return st.ActionPlan(assigned, st.strategy_matrix(assigned), "revenue_12m")


def test_action_lists_sheets():
    sheets = st.action_lists(_plan_with_pii(), "en")
    assert list(sheets) == [
        "Plan - At Risk",
        "Plan - Champions",
        "Plan - New",
        "Plan - Loyal",
        "Plan - Hibernating - Lost",  # "/" is not allowed in a sheet name
    ]
    risk = sheets["Plan - At Risk"]
    assert risk["Customer ID"].tolist() == ["c2", "c5"]  # highest value first
    assert risk["Name"].tolist() == ["B* L*", "E**"]
    assert risk["Action"].iloc[0].startswith("Win-back")
    plain = st.action_lists(_plan_with_pii(), "en", mask=False)["Plan - At Risk"]
    assert plain["Name"].tolist() == ["Bo Li", "Eve"]
    assert "计划 - 流失风险客户" in st.action_lists(_plan_with_pii(), "zh")  # 01's name
    top = st.action_lists(_plan_with_pii(), "en", limit=1)
    assert top["Plan - At Risk"]["Customer ID"].tolist() == ["c2"]  # the higher value
    assert st.list_limit({}) == 10_000
    assert st.list_limit({"list_limit": 0}) is None
    assert st.list_limit({"action_plan": {"list_limit": 50}}) == 50


def _book(tmp_path, settings) -> Book:
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["1", "2", "3"], dtype="string"),
            "name": pd.array(["Alice Wang", "Bo Li", "Chen Jie"], dtype="string"),
            "email": pd.array(["alice@example.com", "bo@example.com", None], dtype="string"),
            "phone": pd.array(["13812345678", "13900001111", "13700002222"], dtype="string"),
            "region": pd.array(["East"] * 3, dtype="string"),
            "signup_date": pd.to_datetime(["2024-01-05", "2025-04-20", "2025-05-01"]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": pd.array(["a", "b", "c", "d", "e"], dtype="string"),
            "customer_id": pd.array(["1", "1", "2", "3", "1"], dtype="string"),
            # customer 3 ordered before signing up: acquired in Q1, not new in Q2
            "order_date": pd.to_datetime(
                ["2024-01-05", "2024-03-01", "2025-04-25", "2025-03-01", "2025-05-10"]
            ),
            "amount": [500.0, 100.0, 50.0, 70.0, 200.0],
        }
    )
    return Book(
        customers=customers,
        orders=orders,
        as_of=pd.Timestamp("2025-07-01"),
        period=Period.parse("2025-Q2", "quarter"),
        period_freq="quarter",
        settings=settings,
        output_dir=tmp_path,
    )


@pytest.mark.parametrize("as_of", ["2025-07-01", "2026-12-01"])
def test_customer_profile(tmp_path, as_of):
    # a later export date does not move the 12 months: they end with the current period
    book = _book(tmp_path, {})
    book.as_of = pd.Timestamp(as_of)
    prof = st.customer_profile(book).set_index("customer_id")
    assert prof["is_new"].to_dict() == {"1": False, "2": True, "3": False}
    # the 12 months to the end of 2025-Q2: customer 1 only the 200 of May 2025
    assert prof["revenue_12m"].to_dict() == {"1": 200.0, "2": 50.0, "3": 70.0}
    assert (prof["value"] == prof["revenue_12m"]).all()
    assert prof.loc["1", "name"] == "Alice Wang"
    clv = pd.Series([1000.0, 10.0], index=pd.Index(["1", "2"], dtype="string"))
    risk = pd.Series([0.2, 0.9, 0.4], index=pd.Index(["1", "2", "3"], dtype="string"))
    prof = st.customer_profile(_book(tmp_path, {}), clv, risk).set_index("customer_id")
    assert prof["value"].to_dict() == {"1": 1000.0, "2": 10.0, "3": 70.0}  # no CLV: 12m revenue
    assert prof.loc["2", "churn_risk"] == 0.9


@pytest.mark.parametrize(("settings", "masked"), [({}, True), ({"mask_pii": False}, False)])
def test_masking_in_the_workbook(tmp_path, settings, masked):
    from openpyxl import load_workbook

    book = _book(tmp_path, settings)
    plan = st.action_plan(book)
    sheets = st.action_lists(plan, "en", mask=st.masking_on(book.settings))
    path = actions.write_action_lists(book.output_dir / "actions.xlsx", sheets)
    assert path == tmp_path / "actions.xlsx"
    wb = load_workbook(path)
    lists = [name for name in wb.sheetnames if name != "Summary"]  # the summary sheet first
    rows = [r for name in lists for r in wb[name].iter_rows(values_only=True)]
    header = rows[0]
    assert header[:4] == ("Customer ID", "Name", "E-mail", "Phone")
    people = {r[0]: r[1:4] for r in rows if r[0] in {"1", "2", "3"}}
    if masked:
        assert people["1"] == ("A**** W***", "a***@example.com", "*******5678")
        assert people["3"][1] is None  # a missing e-mail stays empty
        text = " ".join(str(v) for r in rows for v in r)
        assert "Alice" not in text and "13812345678" not in text
    else:
        assert people["1"] == ("Alice Wang", "alice@example.com", "13812345678")


def test_write_keeps_other_sheets(tmp_path):
    from openpyxl import load_workbook

    from clientbook.deliver import xlsx as actions

    book = _book(tmp_path, {})
    actions.write_action_lists(tmp_path / "actions.xlsx", {"Win-back": pd.DataFrame({"a": [1]})})
    actions.write_action_lists(
        book.output_dir / "actions.xlsx", st.action_lists(st.action_plan(book), "en")
    )
    names = load_workbook(tmp_path / "actions.xlsx").sheetnames
    assert names[:2] == ["Summary", "Win-back"] and any(n.startswith("Plan - ") for n in names)


SCORECARD = [
    {
        "kpi": "retention_rate",
        "actual": 0.6,
        "target": 0.75,
        "previous": 0.65,
        "change": -0.05,
        "vs_target": -0.2,
        "status": "missed",
    },
    {
        "kpi": "nps",
        "actual": 15.0,
        "target": 30.0,
        "previous": 20.0,
        "change": -5.0,
        "vs_target": -0.5,
        "status": "missed",
    },
    {
        "kpi": "csat",
        "actual": 0.7,
        "target": 0.9,
        "previous": 0.8,
        "change": -0.1,
        "vs_target": -0.222,
        "status": "missed",
    },  # same action as NPS: left out
    {
        "kpi": "sla_attainment",
        "actual": 0.88,
        "target": 0.9,
        "previous": None,
        "change": None,
        "vs_target": -0.022,
        "status": "near",
    },
    {
        "kpi": "new_customers",
        "actual": 120.0,
        "target": 100.0,
        "previous": 90.0,
        "change": 30.0,
        "vs_target": 0.2,
        "status": "met",
    },
]


def _matrix() -> pd.DataFrame:
    return st.strategy_matrix(st.assign_actions(_profile()))


def test_executive_summary_picks_the_strongest():
    results = {
        "data_audit": {"findings": ["12 duplicate rows were excluded."]},
        "classification": {
            "findings": ["Champions are 10% of customers and 40% of revenue.", "second finding"]
        },
        "performance_review": {"scorecard": SCORECARD},
    }
    got = st.executive_summary(results, matrix=_matrix(), lang="en")
    findings = [g["finding"] for g in got]
    # NPS (3 + 0.5) > retention (3 + 0.2) > at risk (2.5 + 135/232.5) > high value (2.5 + ...)
    # > classification (1.6) > SLA near (1.52) > data audit (0.5); 5 at most
    assert findings == [
        "NPS missed its target: 15 against 30.",
        "Period-to-period retention missed its target: 60.0% against 75.0%.",
        "At Risk: 2 customers hold 900 of value.",
        "Champions: 1 customers hold 1.0k of value.",
        "Champions are 10% of customers and 40% of revenue.",
    ]
    assert got[0]["evidence"] == "previous period 20, change -5"
    assert got[0]["action"].startswith("Fix the top detractor themes")
    assert got[2]["action"].startswith("Win-back")
    assert got[4]["evidence"] == "from Customer classification"
    zh = st.executive_summary(results, matrix=_matrix(), lang="zh")
    assert zh[0]["finding"] == "净推荐值（NPS）未达成目标：实际 15，目标 30。"
    assert zh[0]["evidence"] == "上期 20，变化 -5"
    assert zh[1]["evidence"] == "上期 65.0%，变化 -5.0 个百分点"
    md = st.summary_markdown(zh, "zh")
    assert "依据：上期 20，变化 -5" in md and "行动：解决贬损者" in md


def test_executive_summary_all_met_and_few_results():
    met = [{**SCORECARD[4]}]
    got = st.executive_summary({"performance_review": {"scorecard": met}}, lang="en")
    assert got == [
        {
            "finding": "All 1 KPIs with a target are on target.",
            "evidence": "New customers",
            "action": "Keep the course and consider raising the targets for next period.",
        }
    ]
    assert st.executive_summary({}, [], None, "en") == []
    nothing = _matrix().assign(expected_impact=0.0)
    assert st.executive_summary({}, [], nothing, "en") == []
    first = [{**SCORECARD[0], "previous": None, "change": None}]
    got_first = st.executive_summary({}, first, None, "en")
    assert got_first[0]["evidence"] == "no previous period in the data to compare with"
    md = st.summary_markdown(got, "en")
    assert md.startswith("1. **All 1 KPIs") and "Action: Keep the course" in md


def test_load_results(tmp_path):
    book = _book(tmp_path, {})
    assert st.load_results(book) == {}
    (tmp_path / "results.json").write_text('{"classification": {"findings": ["x"]}}')
    assert st.load_results(book) == {"classification": {"findings": ["x"]}}
    (tmp_path / "results.json").write_text("not json")
    with pytest.raises(ValueError, match=r"cannot read the earlier steps' results in .*results"):
        st.load_results(book)
    (tmp_path / "results.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected the earlier steps' results"):
        st.load_results(book)


def test_lists_note():
    plan = _plan_with_pii()  # largest segment: at risk, 2 customers
    note = st.lists_note(plan, Path("x/actions.xlsx"), True, 1, "en")
    assert note == (
        "The customer list of every segment, with its action, is in `actions.xlsx` "
        "(5 sheets, names, e-mails and phones masked, the 1 highest-value customers "
        "of each segment)."
    )
    assert st.lists_note(plan, Path("actions.xlsx"), False, 2, "en").endswith("(5 sheets).")


# ---------------------------------------------------------------- next best offer, lists


def _basket_orders() -> tuple[pd.DataFrame, pd.Series]:
    """Two segments that buy differently: in X, A goes with B; in Y, A goes with D."""
    owns = {
        "x1": "AB", "x2": "AB", "x3": "AB", "x4": "AB", "x5": "A", "x8": "A", "x6": "C",
        "x7": "B", "y1": "AD", "y2": "AD", "y3": "AD", "y4": "AD", "y5": "A", "y6": "E",
    }  # fmt: skip
    rows = [(f"{c}-{p}", c, p) for c, ps in owns.items() for p in ps]
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "product"]).astype("string")
    orders["order_date"] = pd.Timestamp("2025-05-01")
    orders["amount"] = 10.0
    seg = pd.Series({c: c[0].upper() for c in owns}, dtype="string")
    return orders, seg


def test_offers_are_learnt_inside_each_segment_and_never_a_product_already_bought():
    from clientbook.steps import sales

    orders, seg = _basket_orders()
    got = sales.best_offers_by_segment(orders, seg).set_index("customer_id")
    # X: A 6 of 8 customers, B 5 of 8, both 4: A -> B confidence 4/6, lift (4/6)/(5/8);
    # B -> A confidence 4/5, lift (4/5)/(6/8). Y: A 5 of 6, D 4 of 6, both 4: A -> D 4/5.
    assert got["offer"].to_dict() == {"x5": "B", "x8": "B", "x7": "A", "y5": "D"}
    assert got.loc["x5", "because"] == "A" and got.loc["x5", "segment"] == "X"
    assert got.loc["x5", "confidence"] == pytest.approx(4 / 6)
    assert got.loc["x5", "lift"] == pytest.approx((4 / 6) / (5 / 8))
    assert got.loc["y5", "lift"] == pytest.approx((4 / 5) / (4 / 6))
    # nobody is offered what they own; x1..x4 own A and B, x6 / y6 have no rule
    owned = set(zip(orders["customer_id"], orders["product"], strict=True))
    assert not {(c, o) for c, o in got["offer"].items()} & owned
    nbo = sales.next_best_offer(orders, seg).set_index("segment")
    assert nbo["offer"].to_dict() == {"X": "B", "Y": "D"}  # the segments differ
    assert nbo.loc["X", "customers_offered"] == 2 and nbo.loc["X", "customers"] == 8


def test_plan_offers_per_segment_by_hand():
    orders, seg = _basket_orders()
    assigned = pd.DataFrame({"customer_id": seg.index.astype("string"), "plan_segment": seg.values,
                             "action": "x", "uplift": 0.1, "value": 10.0, "recency_days": 1,
                             "frequency": 1})  # fmt: skip
    offers = st.segment_offers(orders, assigned)
    m = st.strategy_matrix(assigned, offers).set_index("segment")
    assert m["offer"].to_dict() == {"X": "B", "Y": "D"}
    assert m["customers_offered"].to_dict() == {"X": 2, "Y": 1}


def _product_book(tmp_path) -> Book:
    rng = __import__("numpy").random.default_rng(3)
    rows, k = [], 0
    for c in range(60):
        for j in range(1 + c % 5):
            k += 1
            day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int((c * 37 + j * 53) % 540))
            product = ["tea", "cups", "pot", "honey", "cake"][int(rng.integers(0, 5))]
            rows.append((f"o{k}", f"{c:03d}", day, 20.0 + (c * 7) % 90, product))
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount",
                                         "product"])  # fmt: skip
    for col in ("order_id", "customer_id", "product"):
        orders[col] = orders[col].astype("string")
    customers = pd.DataFrame({"customer_id": pd.array(sorted(orders["customer_id"].unique()),
                                                      dtype="string")})  # fmt: skip
    return Book(customers=customers, orders=orders, as_of=pd.Timestamp("2025-07-01"),
                period=Period.parse("2025-Q2", "quarter"), period_freq="quarter",
                output_dir=tmp_path)  # fmt: skip


def test_each_list_holds_exactly_its_classification_segment(tmp_path):
    from clientbook.steps import classification as cls

    book = _product_book(tmp_path)
    plan = st.action_plan(book)
    truth = cls.classify(book.orders, book.customers, book.as_of)
    truth = truth.set_index("customer_id")["segment"]
    sheets = st.action_lists(plan, "en", mask=False)
    assert len(sheets) == truth.nunique()
    seen = set()
    for name, df in sheets.items():
        key = [k for k in cls.SEGMENTS if name == st.sheet_name(k, "en")]
        assert len(key) == 1
        ids = df["Customer ID"].tolist()
        assert (truth.reindex(ids) == key[0]).all(), name
        assert len(ids) == int((truth == key[0]).sum())  # everyone of the segment, no one else
        seen |= set(ids)
        bought = book.orders.groupby("customer_id")["product"].agg(set)
        for cid, offer in zip(df["Customer ID"], df["Next best offer"], strict=True):
            assert pd.isna(offer) or offer not in bought[cid]
    assert seen == set(truth.index)
