"""Range and logic checks, derived customers and region attribution (issue 13, points 3-5).

Each test is one observation of the issue, built as a small file with its expected finding.
"""

from pathlib import Path

import pandas as pd

from clientbook.config import audit_file as audit_mod
from clientbook.config.audit_file import Slicing, Source
from clientbook.data import dataset


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _findings(manifest: dict) -> dict[tuple[str, str | None], dict]:
    return {(f["check"], f["column"]): f for f in manifest["findings"]}


ORDERS = (
    "order_id,customer_id,order_date,amount,quantity\n"
    "1,C1,2025-01-01,10,1\n"  # row 2
    "2,NULL,2025-01-02,5,1\n"  # row 3: placeholder id
    "3,C2,2025-01-03,,1\n"  # row 4: blank amount
    "4,N/A,2025-01-04,7,1\n"  # row 5: placeholder id
    "5,C2,2025-01-05,8,0\n"  # row 6: zero quantity
    "6,0,2025-01-06,9,1\n"
)  # row 7: placeholder id '0'


def test_placeholder_ids_blank_amounts_and_quantities(tmp_path):
    a = audit_mod.Audit(
        client="T",
        as_of="2025-06-30",
        sources={"orders": Source(path=_csv(tmp_path / "o.csv", ORDERS))},
    )
    m = dataset.build(a, tmp_path / "ds")
    f = _findings(m)
    assert (
        f[("placeholder_ids", "customer_id")]["count"],
        f[("placeholder_ids", "customer_id")]["rows"],
    ) == (3, [3, 5, 7])
    assert f[("placeholder_ids", "customer_id")]["samples"] == ["NULL", "N/A", "0"]
    assert f[("missing_values", "amount")]["rows"] == [4]
    assert f[("missing_values", "amount")]["action"] == "excluded"
    assert f[("non_positive_quantity", "quantity")]["rows"] == [6]
    customers = pd.read_parquet(tmp_path / "ds" / "customers.parquet")
    assert sorted(customers["customer_id"]) == ["C1", "C2"]  # NULL is no customer
    orders = pd.read_parquet(tmp_path / "ds" / "orders.parquet")
    assert orders["amount"].notna().all() and len(orders) == 2
    assert (
        orders.set_index("order_id").loc["5", "quantity"]
        != orders.set_index("order_id").loc["5", "quantity"]
    )  # blanked (NaN), the line kept


def test_survey_scores_out_of_range_are_not_counted(tmp_path):
    o = _csv(tmp_path / "o.csv", "order_id,customer_id,order_date,amount\n1,C1,2025-01-01,10\n")
    s = _csv(
        tmp_path / "s.csv",
        "response_id,customer_id,survey_date,nps_score,csat_score\n"
        "R1,C1,2025-01-02,11,4\nR2,C1,2025-01-03,-1,5\nR3,C1,2025-01-04,9,6\n"
        "R4,C1,2025-01-05,10,1\n",
    )
    a = audit_mod.Audit(
        client="T",
        as_of="2025-06-30",
        sources={"orders": Source(path=o), "surveys": Source(path=s)},
    )
    m = dataset.build(a, tmp_path / "ds")
    f = _findings(m)
    assert f[("out_of_range", "nps_score")]["rows"] == [2, 3]
    assert f[("out_of_range", "nps_score")]["samples"] == ["11.0", "-1.0"]
    assert f[("out_of_range", "csat_score")]["rows"] == [4]
    surveys = pd.read_parquet(tmp_path / "ds" / "surveys.parquet")
    assert surveys["nps_score"].dropna().tolist() == [9.0, 10.0]
    assert surveys["csat_score"].dropna().tolist() == [4.0, 5.0, 1.0]
    # a declared 0-10 CSAT scale keeps the 6
    a.settings = {"csat_scale": [0, 10]}
    f = _findings(dataset.build(a, tmp_path / "ds"))
    assert ("out_of_range", "csat_score") not in f


def test_tickets_resolved_or_answered_before_opening(tmp_path):
    o = _csv(tmp_path / "o.csv", "order_id,customer_id,order_date,amount\n1,C1,2025-01-01,10\n")
    t = _csv(
        tmp_path / "t.csv",
        "ticket_id,customer_id,channel,opened_at,first_response_at,"
        "resolved_at\n"
        "T1,C1,phone,2025-01-02 10:00,2025-01-02 10:30,2025-01-02 12:00\n"
        "T2,C1,phone,2025-01-02 10:00,2025-01-02 10:30,2025-01-02 09:00\n"  # -60 min
        "T3,C1,chat,2025-01-03 10:00,2025-01-03 09:00,2025-01-03 11:00\n",
    )
    a = audit_mod.Audit(
        client="T",
        as_of="2025-06-30",
        sources={"orders": Source(path=o), "tickets": Source(path=t)},
    )
    m = dataset.build(a, tmp_path / "ds")
    f = _findings(m)
    assert f[("negative_durations", "resolved_at")]["rows"] == [3]
    assert f[("negative_durations", "first_response_at")]["rows"] == [4]
    tickets = pd.read_parquet(tmp_path / "ds" / "tickets.parquet")
    assert tickets["ticket_id"].tolist() == ["T1"]


RETAIL = (
    "Order ID;Customer ID;Order Date;Segment;Region;Sales;Profit\n"
    "A1;C1;2025-01-05;Consumer;West;100,5;20,5\n"
    "A1;C1;2025-01-05;Consumer;West;50;-5\n"
    "A2;C1;2025-02-05;Consumer;East;30;3\n"
    "A3;C2;2025-01-07;Corporate;East;80;8\n"
    "A4;C3;2025-01-08;Home Office;West;40;4\n"
    "A5;C3;2025-01-09;Home Office;East;40;4\n"
)
RETAIL_MAP = {
    "order_id": "Order ID",
    "customer_id": "Customer ID",
    "order_date": "Order Date",
    "amount": "Sales",
    "profit": "Profit",
    "segment": "Segment",
    "region": "Region",
}


def _retail(tmp_path: Path, **slicing) -> audit_mod.Audit:
    path = _csv(tmp_path / "superstore.csv", RETAIL)
    orders = Source(path=path, decimal=",", columns=RETAIL_MAP, derive={"cost": "amount - profit"})
    customers = Source(
        path=path, decimal=",", columns={"customer_id": "Customer ID", "segment": "Segment"}
    )
    return audit_mod.Audit(
        client="T",
        as_of="2025-06-30",
        slicing=Slicing(**slicing),
        sources={"orders": orders, "customers": customers},
    )


def test_profit_segment_and_customers_from_the_order_file(tmp_path):
    m = dataset.build(_retail(tmp_path), tmp_path / "ds")
    checks = {f["check"] for f in m["findings"]}
    assert "duplicate_ids" not in checks and "duplicates" not in checks
    orders = pd.read_parquet(tmp_path / "ds" / "orders.parquet")
    assert orders["cost"].tolist() == [80.0, 55.0, 27.0, 72.0, 36.0, 36.0]
    customers = pd.read_parquet(tmp_path / "ds" / "customers.parquet").set_index("customer_id")
    assert len(customers) == 3
    assert customers["segment"].to_dict() == {
        "C1": "Consumer",
        "C2": "Corporate",
        "C3": "Home Office",
    }


def test_region_ties_are_reported_with_their_resolution(tmp_path):
    a = _retail(tmp_path)
    del a.sources["customers"]
    m = dataset.build(a, tmp_path / "ds")
    f = _findings(m)
    ties = f[("region_ties", "Region (region)")]
    # C3 has one line in West and one in East at equal sales: the first by name wins
    assert ties["count"] == 1 and ties["samples"] == ["C3: East / West -> East"]
    several = f[("several_regions", "Region (region)")]
    assert several["count"] == 2 and "region_from: order" in several["action"]
    customers = pd.read_parquet(tmp_path / "ds" / "customers.parquet").set_index("customer_id")
    assert customers.loc["C1", "region"] == "West"  # 2 lines in West, 1 in East


def test_region_from_order_slices_hold_the_regions_own_sales(tmp_path):
    a = _retail(tmp_path, region_from="order")
    m = dataset.build(a, tmp_path / "ds")
    assert {r["name"]: r["customers"] for r in m["regions"]} == {"East": 3, "West": 2}
    east = dataset.load_slice(tmp_path / "ds", "region-east")
    west = dataset.load_slice(tmp_path / "ds", "region-west")
    assert east.orders["amount"].sum() == 30 + 80 + 40  # East's own lines, nothing else
    assert west.orders["amount"].sum() == 100.5 + 50 + 40
    assert sorted(east.customers["customer_id"]) == ["C1", "C2", "C3"]
    # by customer, the same customers' East lines would have been counted in West
    b = dataset.build(_retail(tmp_path), tmp_path / "ds2")
    west_c = dataset.load_slice(tmp_path / "ds2", "region-west")
    assert b["region_from"] == "customer" and west_c.orders["amount"].sum() != 190.5


def test_region_from_order_needs_an_order_region(tmp_path):
    o = _csv(tmp_path / "o.csv", "order_id,customer_id,order_date,amount\n1,C1,2025-01-01,10\n")
    a = audit_mod.Audit(
        client="T", slicing=Slicing(region_from="order"), sources={"orders": Source(path=o)}
    )
    try:
        dataset.prepare(a)
    except dataset.DataError as e:
        assert "region_from: order needs the orders' region" in str(e)
    else:
        raise AssertionError("no error")


def test_the_data_audit_shows_the_new_findings_and_the_region_note(tmp_path):
    from clientbook.present import i18n
    from clientbook.steps import data_audit

    a = _retail(tmp_path, region_from="order")
    del a.sources["customers"]
    dataset.build(a, tmp_path / "ds")
    east = dataset.load_slice(tmp_path / "ds", "region-east")
    i18n.use("en")
    table = data_audit.findings_table(east.manifest)
    ties = table[table["check"] == "Region tie (customer's orders split evenly)"]
    assert ties["action"].tolist() == [
        "kept (tie resolved: the region with the larger sales, then the first by name)"
    ]
    assert ties["examples"].tolist() == ["C3: East / West -> East"]
    note = data_audit.region_note(east)
    assert "orders placed in East" in note and "2 of its 3 customers" in note
    assert data_audit.region_note(dataset.load_slice(tmp_path / "ds", "all")) is None
    i18n.use("zh")
    try:
        assert "3 位客户中有 2" in data_audit.region_note(east)
    finally:
        i18n.use("en")
