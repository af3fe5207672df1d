"""The sample client generator: deterministic, realistic, with the planted problems."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientbook.data import sample

pytestmark = pytest.mark.slow  # generates whole exports

N = 600  # small and fast; planted_counts(600) = 6 refunds and 3 of each other problem
AS_OF = pd.Timestamp("2026-01-01")
REGIONS_EN = [
    "East China",
    "North China",
    "South China",
    "Central China",
    "Southwest China",
    "Northwest China",
    "Northeast China",
]
REGIONS_ZH = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def export_en(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return sample.generate(tmp_path_factory.mktemp("en"), customers=N, seed=7, lang="en")


@pytest.fixture(scope="module")
def export_zh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return sample.generate(tmp_path_factory.mktemp("zh"), customers=N, seed=7, lang="zh")


def read_customers(files: dict[str, Path]) -> pd.DataFrame:
    return pd.read_csv(files["customers"], dtype=str, encoding="utf-8-sig", keep_default_na=False)


def read_orders(files: dict[str, Path]) -> pd.DataFrame:
    o = pd.read_csv(files["orders"], sep=";", decimal=",", dtype={"Order No": str, "Customer": str})
    o["date"] = pd.to_datetime(o["Order Date"], format="%d/%m/%Y")
    return o


def test_same_arguments_give_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    a = sample.generate(tmp_path / "a", customers=300, seed=3)
    b = sample.generate(tmp_path / "b", customers=300, seed=3)
    c = sample.generate(tmp_path / "c", customers=300, seed=4)
    assert list(a) == ["customers", "orders", "tickets", "surveys", "leads", "targets", "marketing"]
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert a["orders"].read_bytes() != c["orders"].read_bytes()
    assert a["surveys"].read_bytes() != c["surveys"].read_bytes()


def test_parquet_is_deterministic_too(tmp_path: Path) -> None:
    a = sample.generate(tmp_path / "a", customers=200, fmt="parquet")
    b = sample.generate(tmp_path / "b", customers=200, fmt="parquet")
    for name in a:
        assert a[name].suffix == ".parquet"
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_headers_encodings_and_delimiters(export_en: dict[str, Path]) -> None:
    raw = export_en["customers"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, like Excel saves it
    first = raw.decode("utf-8-sig").splitlines()[0]
    assert first == "客户编号,客户名称,区域,渠道,行业,注册日期,城市,电话,邮箱"
    order_lines = export_en["orders"].read_text(encoding="utf-8").splitlines()
    assert order_lines[0] == "Order No;Customer;Order Date;Product;Category;Qty;Net Amount;Cost"
    # Decimal comma and day-first dates: 'SO0000001;C000004;03/01/2024;...;699,00;488,35'
    assert re.fullmatch(
        r"SO\d{7};C\d{6};\d\d/\d\d/\d{4};[^;]+;[^;]+;\d+;-?\d+,\d\d;-?\d+,\d\d", order_lines[1]
    )
    expected = {
        "surveys": "response_id,customer_id,survey_date,nps,csat,comment,ticket_id",
        "tickets": "ticket_id,customer_id,channel,opened_at,first_response_at,resolved_at,"
        "contacts,reopened,category,priority",
        "leads": "lead_id,created_date,stage,status,closed_date,owner,region,source,amount,"
        "customer_id",
        "targets": "kpi,target,region,period",
        "marketing": "period,spend,region",
    }
    for name, header in expected.items():
        raw = export_en[name].read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), name
        assert raw.decode("utf-8").splitlines()[0] == header, name


def test_ids_keep_leading_zeros(export_en: dict[str, Path]) -> None:
    c = read_customers(export_en)
    assert c["客户编号"].iloc[0] == "C000001"
    assert c["客户编号"].str.fullmatch(r"C\d{6}").all()
    assert c["客户编号"].is_unique and len(c) == N
    o = read_orders(export_en)
    assert o["Order No"].str.fullmatch(r"SO\d{7}(-R)?").all()
    assert o["Customer"].dropna().str.fullmatch(r"C\d{6}").all()


def test_every_planted_problem_is_there_in_its_stated_count(export_en: dict[str, Path]) -> None:
    want = sample.planted_counts(N)
    assert want == {
        "refunds": 6,
        "duplicates": 3,
        "missing_customer": 3,
        "future_dates": 3,
        "orphans": 3,
    }
    c = read_customers(export_en)
    o = read_orders(export_en)
    assert o[["Qty", "Net Amount", "Cost"]].notna().all().all()  # nothing unparseable
    refunds = o[o["Net Amount"] < 0]
    assert len(refunds) == want["refunds"]
    assert refunds["Order No"].str.endswith("-R").all() and (refunds["Qty"] < 0).all()
    assert o.drop(columns="date").duplicated().sum() == want["duplicates"]
    assert o["Customer"].isna().sum() == want["missing_customer"]
    assert (o["date"] >= AS_OF).sum() == want["future_dates"]
    assert (o["date"] > AS_OF).sum() == want["future_dates"]  # strictly after the export date
    known = o["Customer"].isin(c["客户编号"])
    assert (o["Customer"].notna() & ~known).sum() == want["orphans"]
    # Each row carries one problem at most, so the counts above are exact.
    flags = pd.concat(
        [
            o["Net Amount"] < 0,
            o.drop(columns="date").duplicated(),
            o["Customer"].isna(),
            o["date"] >= AS_OF,
            o["Customer"].notna() & ~known,
        ],
        axis=1,
    )
    assert flags.sum(axis=1).max() == 1


def test_seven_unequal_regions_and_four_channels(export_en, export_zh) -> None:
    c = read_customers(export_en)
    sizes = c["区域"].value_counts()
    assert sorted(sizes.index) == sorted(REGIONS_EN)
    assert sizes.idxmax() == "East China" and sizes.max() > 2 * sizes.min()
    assert set(c["渠道"]) == {"Online store", "Retail store", "Key account", "Distributor"}
    z = read_customers(export_zh)
    assert sorted(z["区域"].unique()) == sorted(REGIONS_ZH)
    assert set(z["渠道"]) == {"线上商城", "门店", "大客户", "经销商"}
    # Same book in both languages: only the words change.
    assert (z["区域"].map(dict(zip(REGIONS_ZH, REGIONS_EN, strict=True))) == c["区域"]).all()


def test_two_years_of_orders_with_growth_and_a_q4_peak(export_en: dict[str, Path]) -> None:
    c = read_customers(export_en)
    o = read_orders(export_en)
    valid = o[(o["date"] < AS_OF) & (o["Net Amount"] > 0)]
    assert valid["date"].min() >= pd.Timestamp("2024-01-01")
    assert valid["date"].dt.to_period("M").nunique() == 24
    signup = pd.to_datetime(c["注册日期"], format="%Y-%m-%d")
    assert signup.min() >= pd.Timestamp("2024-01-01") and signup.max() < AS_OF
    assert signup.dt.to_period("M").nunique() == 24  # new customers every month
    new_per_year = signup.dt.year.value_counts()
    assert new_per_year[2025] > new_per_year[2024]
    by_q = valid.groupby(valid["date"].dt.quarter)["Net Amount"].sum()
    assert by_q.idxmax() == 4


def test_customers_behave_differently_by_region(export_en: dict[str, Path]) -> None:
    c = read_customers(export_en)
    o = read_orders(export_en)
    valid = o[(o["date"] < AS_OF) & (o["Net Amount"] > 0)].merge(
        c, left_on="Customer", right_on="客户编号"
    )
    per = valid.groupby("区域")["Net Amount"].sum() / c["区域"].value_counts()
    assert per["East China"] > per["Northeast China"]
    orders = valid.groupby("Customer")["Order No"].nunique()
    assert (orders == 1).mean() > 0.05 and orders.max() >= 10  # one-timers and regulars


def test_printer_buyers_buy_toner_lift_above_one_and_a_half(export_en) -> None:
    o = read_orders(export_en)
    baskets = o[o["Net Amount"] > 0].groupby("Order No")["Product"].agg(set)
    printer = baskets.map(lambda s: bool(s & {"Laser Printer", "Multifunction Printer"}))
    toner = baskets.map(lambda s: "Toner Cartridge" in s)
    lift = (printer & toner).mean() / (printer.mean() * toner.mean())
    assert lift > 1.5
    lines = o.groupby("Order No").size()
    assert lines.min() == 1 and lines.max() >= 4


def test_margins_differ_by_category(export_en: dict[str, Path]) -> None:
    o = read_orders(export_en)
    by = o.groupby("Category")[["Net Amount", "Cost"]].sum()
    margin = 1 - by["Cost"] / by["Net Amount"]
    assert len(margin) == 6
    assert margin["Ink & Toner"] > margin["Computers"] + 0.2


def test_survey_comments_in_the_run_language(export_en, export_zh) -> None:
    en = pd.read_csv(export_en["surveys"], dtype=str)
    zh = pd.read_csv(export_zh["surveys"], dtype=str)
    assert 0.2 < en["comment"].isna().mean() < 0.8  # some leave no comment
    assert not en["comment"].dropna().str.contains(CJK).any()
    assert en["comment"].dropna().str.contains(r"[a-z]{3}").all()
    assert zh["comment"].dropna().str.contains(CJK).all()
    nps = en["nps"].astype(int)
    csat = en["csat"].astype(int)
    assert nps.between(0, 10).all() and csat.between(1, 5).all()
    assert np.corrcoef(nps, csat)[0, 1] > 0.4
    # Detractors complain about delivery and service more than promoters praise them.
    text = en["comment"].fillna("").str.lower()
    slow = text.str.contains("slow|late|never answered|rude")
    assert slow[nps <= 6].mean() > slow[nps >= 9].mean() + 0.1


def test_satisfaction_follows_region_and_linked_tickets(export_en) -> None:
    c = read_customers(export_en)
    s = pd.read_csv(export_en["surveys"], dtype=str).merge(
        c, left_on="customer_id", right_on="客户编号"
    )
    score = s["nps"].astype(int)
    assert score[s["区域"] == "East China"].mean() > score[s["区域"] == "Northeast China"].mean()
    t = pd.read_csv(export_en["tickets"], dtype=str)
    assert s["ticket_id"].dropna().isin(t["ticket_id"]).all()
    assert s["survey_date"].max() < "2026-01-01"


def test_tickets_are_consistent(export_en: dict[str, Path]) -> None:
    t = pd.read_csv(export_en["tickets"], dtype=str)
    assert set(t["channel"]) == {"phone", "email", "chat", "social"}
    opened = pd.to_datetime(t["opened_at"], format="%Y-%m-%d %H:%M")
    first = pd.to_datetime(t["first_response_at"], format="%Y-%m-%d %H:%M")
    resolved = pd.to_datetime(t["resolved_at"], format="%Y-%m-%d %H:%M")
    assert (first.dropna() >= opened[first.notna()]).all()
    assert (resolved.dropna() > opened[resolved.notna()]).all()
    assert resolved.max() < AS_OF and opened.max() < AS_OF
    assert 0 < resolved.isna().sum() < 0.1 * len(t)  # a backlog, opened near the export date
    assert opened[resolved.isna()].min() >= AS_OF - pd.Timedelta(days=90)
    assert set(t["contacts"].astype(int)) <= {1, 2, 3, 4} and set(t["reopened"]) <= {"0", "1"}
    hours = (resolved - opened).dt.total_seconds() / 3600
    median = hours.groupby(t["channel"]).median()
    assert median["email"] > median["phone"]


def test_leads_link_won_deals_to_customers(export_en: dict[str, Path]) -> None:
    c = read_customers(export_en)
    ld = pd.read_csv(export_en["leads"], dtype=str)
    assert set(ld["stage"]) <= {"lead", "qualified", "proposal", "negotiation", "won"}
    assert set(ld["status"]) == {"open", "won", "lost"}
    won = ld[ld["status"] == "won"]
    assert (won["stage"] == "won").all() and won["customer_id"].isin(c["客户编号"]).all()
    assert ld.loc[ld["status"] != "won", "customer_id"].isna().all()
    assert ld.loc[ld["status"] == "open", "closed_date"].isna().all()
    assert 8 <= ld["owner"].nunique() <= 12
    closed = ld[ld["status"] != "open"]
    win_rate = (closed["status"] == "won").groupby(closed["owner"]).mean()
    assert win_rate.max() - win_rate.min() > 0.1


def test_targets_and_marketing(export_en: dict[str, Path]) -> None:
    tg = pd.read_csv(export_en["targets"], dtype={"region": str, "period": str})
    kpis = set(tg["kpi"])
    assert {
        "new_customers",
        "retention_rate",
        "repeat_rate",
        "nps",
        "csat",
        "complaint_rate",
        "sla_attainment",
        "revenue_per_customer",
    } <= kpis
    assert tg.loc[tg["kpi"] == "retention_rate", "target"].item() == 0.75
    assert tg["region"].notna().any() and tg["period"].notna().any()
    mk = pd.read_csv(export_en["marketing"], dtype=str)
    assert mk["period"].nunique() == 8 and mk["region"].nunique() == 7
    assert (mk["spend"].astype(float) > 0).all()


def test_parquet_uses_canonical_names_and_types(tmp_path: Path) -> None:
    files = sample.generate(tmp_path, customers=200, fmt="parquet")
    o = pd.read_parquet(files["orders"])
    assert list(o.columns) == [
        "order_id",
        "customer_id",
        "order_date",
        "product",
        "category",
        "quantity",
        "amount",
        "cost",
    ]
    assert pd.api.types.is_datetime64_any_dtype(o["order_date"])
    assert o["amount"].dtype == "float64" and (o["amount"] < 0).sum() == 5
    c = pd.read_parquet(files["customers"])
    assert list(c.columns) == [
        "customer_id",
        "name",
        "region",
        "channel",
        "industry",
        "signup_date",
        "city",
        "phone",
        "email",
    ]
    assert c["customer_id"].iloc[0] == "C000001"
    s = pd.read_parquet(files["surveys"])
    assert {"nps_score", "csat_score"} <= set(s.columns)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lang"):
        sample.generate(tmp_path, customers=50, lang="fr")
    with pytest.raises(ValueError, match="fmt"):
        sample.generate(tmp_path, customers=50, fmt="xlsx")


def test_small_helpers() -> None:
    assert sample._rank_within(np.array([0, 0, 1, 1, 1, 3])).tolist() == [0, 1, 0, 1, 2, 0]
    assert sample._distinct(np.array([5, 1, 5, 3, 1])).tolist() == [1, 3, 5]
    # Group 0 can only draw category 2, group 1 only category 0.
    table = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 0.0]])
    got = sample._pick(np.random.default_rng(0), table, np.array([0, 1, 0, 1]))
    assert got.tolist() == [2, 0, 2, 0]
    assert sample.export_date("2024-01-01", 24) == AS_OF


def test_seven_regions_asked_for_are_the_default_files(tmp_path: Path) -> None:
    a = sample.generate(tmp_path / "a", customers=300, seed=3)
    b = sample.generate(tmp_path / "b", customers=300, seed=3, regions=7)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_many_regions_split_the_seven_and_keep_their_behaviour(tmp_path: Path) -> None:
    files = sample.generate(tmp_path, customers=3000, seed=5, regions=50, fmt="parquet")
    cust = pd.read_parquet(files["customers"])
    names = sample.region_names("en", 50)
    assert len(names) == len(set(names)) == 50
    assert (
        names[0] == "East China 1"
        and names[7] == "East China 2"
        and names[6].startswith("Northeast China")
    )
    assert set(cust["region"]) == set(names)  # every region has customers
    by = cust.groupby("region").size()
    east = by[[n for n in names if n.startswith("East China")]].sum()
    northwest = by[[n for n in names if n.startswith("Northwest China")]].sum()
    assert east > 3 * northwest  # 30 % of the book against 5 %
    leads = pd.read_parquet(files["leads"])
    assert set(leads["region"]) <= set(names)
    linked = leads.dropna(subset=["customer_id"]).merge(
        cust[["customer_id", "region"]], on="customer_id", suffixes=("", "_c")
    )
    assert len(linked) > 0 and (linked["region"] == linked["region_c"]).all()
    mk = pd.read_parquet(files["marketing"])
    assert mk.groupby("period")["region"].nunique().eq(50).all()
    tg = pd.read_parquet(files["targets"])
    assert set(tg["region"].dropna()) - {""} <= set(names)


def test_fewer_regions_than_seven(tmp_path: Path) -> None:
    files = sample.generate(tmp_path, customers=400, seed=5, regions=3, fmt="parquet")
    assert set(pd.read_parquet(files["customers"])["region"]) == set(REGIONS_EN[:3])
    with pytest.raises(ValueError, match="regions"):
        sample.generate(tmp_path, customers=10, regions=0)


def test_cli_sample_regions(tmp_path: Path) -> None:
    from clientbook.run import cli

    assert (
        cli.main(
            ["sample", str(tmp_path), "--customers", "300", "--regions", "9", "--format", "parquet"]
        )
        == 0
    )
    assert pd.read_parquet(tmp_path / "customers.parquet")["region"].nunique() == 9


def parquet_audit(raw: Path, path: Path, as_of: str, slicing: str) -> Path:
    """An audit file over a Parquet sample (canonical names, so no column mapping)."""
    lines = [f"client: Big Co.\nname: big\nas_of: '{as_of}'\nsources:"]
    lines += [
        f"  {t}:\n    path: {raw / (t + '.parquet')}"
        for t in ("customers", "orders", "surveys", "tickets", "leads", "targets", "marketing")
    ]
    lines.append(f"slicing: {slicing}\noutputs: [html]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_region_period_slices_cut_both_ways(tmp_path: Path) -> None:
    from clientbook.config import audit_file
    from clientbook.data import dataset

    raw = tmp_path / "raw"
    sample.generate(raw, customers=900, seed=2, regions=9, months=3, fmt="parquet")
    a = audit_file.load(
        parquet_audit(
            raw,
            tmp_path / "big.yaml",
            "2024-04-01",
            "{by: [region, period, region_period], period: month}",
        )
    )
    manifest = dataset.build(a, tmp_path / "dataset")
    plan = dataset.slices(manifest)
    # the nine regions and "Unknown" (the planted orders of customers not in customers)
    assert len(manifest["regions"]) == 10 and len(manifest["periods"]) == 3
    assert len(plan) == 1 + 10 + 3 + 10 * 3 and len({s.id for s in plan}) == len(plan)
    cross = next(s for s in plan if s.kind == "region_period" and s.value == "2024-02")
    book = dataset.load_slice(tmp_path / "dataset", cross.id)
    assert book.region == cross.region and book.period.label == "2024-02"
    assert set(book.customers["region"]) == {cross.region}
    assert book.orders["order_date"].max() <= pd.Timestamp("2024-02-29 23:59:59")
    region = dataset.load_slice(tmp_path / "dataset", f"region-{cross.id.split('-period-')[0][7:]}")
    assert set(book.orders["customer_id"]) <= set(region.orders["customer_id"])
    assert len(book.orders) == (region.orders["order_date"] < pd.Timestamp("2024-03-01")).sum()


def test_fast_isin_matches_pandas() -> None:
    from clientbook.data import fast

    s = pd.Series(["C1", None, "C3", "C2", "C9", "C1"], dtype="str")
    known = pd.Series(["C1", "C2", None], dtype="str")
    assert fast.isin(s, known).tolist() == [True, False, False, True, False, True]
    assert fast.isin(s, ["C3"]).tolist() == [False, False, True, False, False, False]
    nums = pd.Series([1, 2, 3])
    assert fast.isin(nums, [2]).tolist() == [False, True, False]


def test_customer_region_is_the_most_frequent_in_orders() -> None:
    from clientbook.data import dataset

    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c"],
            "region": ["East", "West", "West", "North", "East", None],
            "order_date": pd.to_datetime(["2025-01-01"] * 6),
        }
    ).astype({"customer_id": "str"})
    mode = dataset._mode_by_customer(orders, "region")
    assert mode.to_dict() == {"a": "West", "b": "East"}  # tie: the smallest, as Series.mode
