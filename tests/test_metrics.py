"""The metric registry, the results.json metrics map, and period slices that mean the period."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.data.book import Book, Period
from clientbook.data.dataset import build, load_slice
from clientbook.metrics import registry
from clientbook.present import i18n, numbers, results
from clientbook.steps import data_audit, sales
from clientbook.steps import performance_review as perf

REPO = Path(__file__).resolve().parents[1]
Q3 = Period.parse("2025-Q3", "quarter")
CUT = pd.Timestamp("2025-09-30 23:59:59")


# ---- the registry -----------------------------------------------------------------------


def test_units_are_the_formatters_units():
    assert registry.UNITS == numbers.UNITS
    for m in registry.METRICS.values():
        assert m.unit in numbers.UNITS and m.scope in registry.SCOPES


def test_every_metric_has_a_label_in_both_languages_and_labels_are_distinct():
    for lang in i18n.LANGS:
        labels = [i18n.t(m.label_key, lang) for m in registry.METRICS.values()]
        assert all(i18n.has(m.label_key, lang) for m in registry.METRICS.values()), lang
        assert len(set(labels)) == len(labels), lang  # two definitions never share a name


def test_distinct_definitions_have_distinct_keys():
    lapsed, churn = registry.get("lapsed_share"), registry.get("period_churn")
    assert lapsed.scope == "as_of" and churn.scope == "period"
    assert registry.get("complaint_share_comments").step == "satisfaction"
    assert registry.get("complaint_tickets_per_buyer").step == "performance_review"
    assert {"first_response_sla", "resolved_in_sla"} <= set(registry.METRICS)
    assert {"period_retention", "cohort_next_month_retention"} <= set(registry.METRICS)
    # every scorecard KPI reports as a registered metric with the registry's unit
    for name, kpi in perf.KPIS.items():
        assert kpi.unit == registry.get(registry.SCORECARD_KEYS[name]).unit
    with pytest.raises(KeyError, match="not in the registry"):
        registry.get("churn_rate")


def test_scorecard_names_are_the_registry_labels():
    for lang in i18n.LANGS:
        for name, key in registry.SCORECARD_KEYS.items():
            assert i18n.t(f"performance.kpi.{name}", lang) == i18n.t(f"metrics.label.{key}", lang)


def test_docs_metrics_md_is_current():
    assert (REPO / "docs" / "metrics.md").read_text(encoding="utf-8") == registry.docs_markdown()


def _book(**kw) -> Book:
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "3", "4"],
        "customer_id": ["A", "A", "B", "B", "C"],
        "order_date": pd.to_datetime(["2025-01-05", "2025-08-01", "2025-09-30", "2025-09-30",
                                      "2025-09-10"]),
        "amount": [100.0, 50.0, 80.0, -80.0, 20.0],
    })  # fmt: skip
    customers = pd.DataFrame({"customer_id": ["A", "B", "C", "D"]})
    args = dict(
        customers=customers,
        orders=orders,
        period=Q3,
        as_of=pd.Timestamp("2025-10-01"),
        manifest={"currency": "USD"},
    )
    args.update(kw)
    return Book(**args)


def test_metric_entry_windows_and_labels():
    b = _book()
    e = results.metric_entry(b, "revenue", 70.0, n=4)
    assert e == {
        "value": 70.0,
        "unit": "money",
        "scope": "period",
        "window": ["2025-07-01", "2025-09-30"],
        "window_label": "2025-Q3",
        "n": 4,
    }
    assert results.metric_entry(b, "revenue_to_date", 1.0)["window"] == ["2025-01-05", "2025-09-30"]
    assert results.metric_entry(b, "customers", 4)["window"] == ["2025-09-30", "2025-09-30"]
    assert results.metric_entry(b, "nps", float("nan"))["value"] is None
    assert results.metric_label("revenue", e, "en") == "Revenue in 2025-Q3"
    assert results.metric_label("customers", e, "en") == "Customers at 2025-Q3 end"
    assert results.metric_label("revenue_to_date", e, "zh") == "截至 2025-Q3 末累计收入"
    assert results.metric_label("revenue", e, "zh") == "2025-Q3 收入"
    assert results.format_metric("revenue", e, "en", "USD") == "$70"
    assert results.format_metric("nps", None) == numbers.MISSING


def test_data_audit_counts_the_window_and_not_refund_orders():
    m = data_audit.window_metrics(_book())
    # Q3: order 2 (A, 50), order 3 (B, +80 -80: a refunded order, not an order), order 4
    assert m["orders"][0] == 2 and m["buyers"][0] == 2
    assert m["revenue"][0] == pytest.approx(70.0)
    assert m["revenue_to_date"][0] == pytest.approx(170.0)
    assert m["customers"][0] == 4
    assert data_audit.headline_numbers(_book())["orders"] == 3  # to date: 1, 2, 4


# ---- period slices: the period, and nothing after it ------------------------------------


def _export(d: Path, cut: pd.Timestamp | None) -> None:
    """A client's export over 2025-Q1..2026-Q3; with `cut`, as it would have been exported
    at that instant (later rows absent, later answers, resolutions and closings not yet
    there: a lead won later was still at its stage before "won")."""
    rng = np.random.default_rng(3)
    d.mkdir(parents=True, exist_ok=True)
    start, days = pd.Timestamp("2025-01-01"), 637  # to 2026-09-29
    cust = pd.DataFrame(
        {"customer_id": [f"C{i:02d}" for i in range(40)], "region": ["East", "North"] * 20}
    )
    cust["signup_date"] = [start + pd.Timedelta(days=int(x)) for x in rng.integers(0, 500, 40)]
    rows = []
    for i, c in enumerate(cust.itertuples()):
        for k in range(1 + i % 5):
            day = c.signup_date + pd.Timedelta(days=int(rng.integers(0, 140)) * (k + 1) // 2)
            amount = float(rng.integers(20, 400))
            rows.append((f"O{i:02d}{k}", c.customer_id, day, amount))
            if k == 1 and i % 7 == 0:  # a refund: its own order, negative
                rows.append((f"R{i:02d}{k}", c.customer_id, day + pd.Timedelta(days=3), -amount))
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount"])
    n = 120
    opened = [start + pd.Timedelta(hours=int(h)) for h in rng.integers(0, days * 24, n)]
    tickets = pd.DataFrame({
        "ticket_id": [f"T{i:03d}" for i in range(n)],
        "customer_id": rng.choice(cust["customer_id"], n),
        "opened_at": opened, "channel": rng.choice(["email", "phone"], n),
        "category": rng.choice(["complaint", "question"], n),
    })  # fmt: skip
    tickets["first_response_at"] = tickets["opened_at"] + pd.to_timedelta(
        rng.integers(1, 60, n), unit="h"
    )
    tickets["resolved_at"] = tickets["first_response_at"] + pd.to_timedelta(
        rng.integers(1, 200, n), unit="h"
    )
    surveys = pd.DataFrame({
        "response_id": [f"S{i:03d}" for i in range(n)],
        "customer_id": rng.choice(cust["customer_id"], n),
        "survey_date": [start + pd.Timedelta(days=int(x)) for x in rng.integers(0, days, n)],
        "nps_score": rng.integers(0, 11, n), "csat_score": rng.integers(1, 6, n),
    })  # fmt: skip
    m = 80
    created = [start + pd.Timedelta(days=int(x)) for x in rng.integers(0, days - 70, m)]
    status = rng.choice(["won", "lost", "open"], m, p=[0.4, 0.4, 0.2])
    mid = rng.choice(["lead", "qualified", "proposal", "negotiation"], m)
    leads = pd.DataFrame({
        "lead_id": [f"L{i:03d}" for i in range(m)], "created_date": created,
        "stage": np.where(status == "won", "won", mid), "status": status,
        "closed_date": [c + pd.Timedelta(days=int(x)) if s != "open" else pd.NaT
                        for c, s, x in zip(created, status, rng.integers(5, 60, m), strict=True)],
        "amount": rng.integers(1000, 9000, m).astype(float),
    })  # fmt: skip
    if cut is not None:
        cust = cust[cust["signup_date"] <= cut]
        orders = orders[orders["order_date"] <= cut]
        surveys = surveys[surveys["survey_date"] <= cut]
        tickets = tickets[tickets["opened_at"] <= cut].copy()
        for col in ("first_response_at", "resolved_at"):
            tickets[col] = tickets[col].where(tickets[col] <= cut)
        leads = leads[leads["created_date"] <= cut].copy()
        later = leads["closed_date"] > cut
        # at the cut, a lead won later sat at the stage before "won"
        leads.loc[later & (leads["status"] == "won"), "stage"] = "negotiation"
        leads.loc[later, "status"] = "open"
        leads.loc[later, "closed_date"] = pd.NaT
    for name, df in (
        ("customers", cust),
        ("orders", orders),
        ("tickets", tickets),
        ("surveys", surveys),
        ("leads", leads),
    ):
        df.to_csv(d / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")


def _dataset(tmp: Path, name: str, cut: pd.Timestamp | None, as_of: str) -> Path:
    export = tmp / f"export-{name}"
    _export(export, cut)
    sources = "\n".join(
        f"  {t}:\n    path: {export / (t + '.csv')}"
        for t in ("customers", "orders", "tickets", "surveys", "leads")
    )
    path = tmp / f"{name}.yaml"
    path.write_text(
        f'client: Periods Co.\nname: {name}\nas_of: "{as_of}"\nsources:\n{sources}\n'
        "slicing: {by: [period], period: quarter}\n",
        encoding="utf-8",
    )
    out = tmp / f"dataset-{name}"
    build(audit_mod.load(path), out)
    return out


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("periods")
    return (_dataset(tmp, "q3", CUT, "2025-10-01"), _dataset(tmp, "later", None, "2026-10-01"))


_IDS = {
    "customers": "customer_id",
    "orders": "order_id",
    "tickets": "ticket_id",
    "surveys": "response_id",
    "leads": "lead_id",
}


def _sorted(df: pd.DataFrame, table: str) -> pd.DataFrame:
    key = [_IDS[table]] + (["amount"] if table == "orders" else [])
    return df.sort_values(key, ignore_index=True)[sorted(df.columns)]


def test_q3_slice_is_the_same_whether_the_export_ends_in_q3_or_a_year_later(datasets):
    early, late = (load_slice(d, "period-2025-Q3") for d in datasets)
    assert early.period == late.period == Q3 and early.as_of == late.as_of
    for table in _IDS:
        pd.testing.assert_frame_equal(
            _sorted(getattr(early, table), table),
            _sorted(getattr(late, table), table),
            check_dtype=False,
        )
    # and so is every figure computed from it
    assert data_audit.window_metrics(early) == data_audit.window_metrics(late)
    a, b = perf.scorecard(early), perf.scorecard(late)
    pd.testing.assert_frame_equal(a, b)
    assert sales.window_metrics(early.leads, Q3.start, Q3.end) == sales.window_metrics(
        late.leads, Q3.start, Q3.end
    )
    f1, f2 = (sales.funnel(x.leads) for x in (early, late))
    pd.testing.assert_frame_equal(f1, f2)


def test_leads_closed_after_the_cut_are_open_at_their_stage_before_won(datasets):
    late = load_slice(datasets[1], "period-2025-Q3")
    full = load_slice(datasets[1], "all").leads.set_index("lead_id")
    cut = late.leads.set_index("lead_id")
    later = full.index[(full["closed_date"] > CUT) & (full["created_date"] <= CUT)]
    assert len(later) > 0
    assert (cut.loc[later, "status"] == "open").all()
    assert cut.loc[later, "closed_date"].isna().all()
    assert not (cut.loc[later, "stage"] == "won").any()  # nobody has "won" before winning


def test_period_slice_revenue_buyers_orders_recomputed_from_the_order_lines(datasets):
    lines = pd.read_parquet(datasets[1] / "orders.parquet")
    inside = lines[(lines["order_date"] >= Q3.start) & (lines["order_date"] <= Q3.end)]
    per_order = (
        inside.groupby("order_id")[["amount"]]
        .sum()
        .join(inside.groupby("order_id")["customer_id"].first())
    )
    bought = per_order[per_order["amount"] > 0]
    m = data_audit.window_metrics(load_slice(datasets[1], "period-2025-Q3"))
    assert m["revenue"][0] == pytest.approx(inside["amount"].sum())
    assert m["orders"][0] == len(bought)
    assert m["buyers"][0] == bought["customer_id"].nunique()
    # the running total is a different, labelled figure
    assert m["revenue_to_date"][0] == pytest.approx(
        lines.loc[lines["order_date"] <= Q3.end, "amount"].sum()
    )
    assert m["revenue_to_date"][0] > m["revenue"][0]


def test_monthly_activity_does_not_count_refund_orders():
    m = data_audit.monthly_activity(_book().orders)
    sept = m.loc[pd.Timestamp("2025-09-01")]
    # September: order 3 (refunded in full) and order 4: one order, one buyer, 20 net
    assert sept["orders"] == 1 and sept["customers"] == 1 and sept["revenue"] == 20.0


def test_metric_records_travel_apart_from_the_steps_records():
    entry = results.metric_entry(_book(), "buyers", 2)
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"data": {results.MIME: {"key": "kpis", "value": {"buyers": 2}}}},
        {"data": {results.MIME: {"key": "buyers", "value": entry, "metric": True}}},
    ]}]}  # fmt: skip
    assert results.collect(nb) == {"kpis": {"buyers": 2}}
    assert results.collect_metrics(nb) == {"buyers": entry}
    figures = results.key_figures({"metrics": {"buyers": entry}}, "en")
    assert figures == [{"key": "buyers", "label": "Buying customers in 2025-Q3", "value": "2"}]
    assert results.window_label({"metrics": {"buyers": entry}}) == "2025-Q3"
