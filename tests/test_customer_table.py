"""The per-slice customer table: computed once, reused by the later steps, recomputed when
stale; and a forecast that cannot be trusted reaches no deliverable."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clientbook
from clientbook.clv import BetaGeoModel, GammaGammaModel
from clientbook.data.book import Book, Period
from clientbook.steps import classification, value
from clientbook.steps.customer_table import customer_table

AS_OF = pd.Timestamp("2025-04-01")


def _varied_orders(n: int = 120, seed: int = 5) -> pd.DataFrame:
    """A book drawn from the models themselves (each customer's own purchase rate, drop-out
    chance and mean spend), which BG/NBD + Gamma-Gamma fit well."""
    rng = np.random.default_rng(seed)
    rows, k = [], 0
    for c in range(n):
        day = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
        rate = rng.gamma(1.5, 1 / 60)  # purchases per day
        dropout = rng.beta(1.0, 5.0)
        spend = rng.gamma(3.0, 30.0)  # the customer's mean spend
        while day < AS_OF:
            k += 1
            rows.append((f"o{k}", f"c{c:03d}", day, float(rng.gamma(4.0, spend / 4.0)),
                         "East" if c % 2 else "North"))  # fmt: skip
            if rng.random() < dropout:
                break
            day += pd.Timedelta(days=int(rng.exponential(1 / rate)) + 1)
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount", "region"])
    return df.astype({"order_id": "string", "customer_id": "string", "region": "string"})


def _steady_orders(n: int = 80, every: int = 30) -> pd.DataFrame:
    """Every customer buys exactly every `every` days up to the export: a degenerate book for
    BG/NBD (nobody ever seems to drop out)."""
    rows, k = [], 0
    for c in range(n):
        day = AS_OF - pd.Timedelta(days=every * (4 + c % 20) - c % every)
        while day < AS_OF:
            k += 1
            rows.append((f"o{k}", f"c{c:03d}", day, 50.0 + (c % 7) * 10 + k % 3,
                         "East" if c % 2 else "North"))  # fmt: skip
            day += pd.Timedelta(days=every)
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount", "region"])
    return df.astype({"order_id": "string", "customer_id": "string", "region": "string"})


def _book(tmp_path: Path, orders: pd.DataFrame, settings: dict | None = None) -> Book:
    customers = orders.drop_duplicates("customer_id")[["customer_id", "region"]]
    return Book(customers=customers.reset_index(drop=True), orders=orders.drop(columns="region"),
                as_of=AS_OF, period=Period.parse("2025-Q1", "quarter"), period_freq="quarter",
                settings=settings or {}, output_dir=tmp_path / "slice")  # fmt: skip


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """Counts classifications and model fits, wherever they are called from."""
    calls: Counter = Counter()

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(classification, "classify", counting("classify", classification.classify))
    monkeypatch.setattr(value, "forecast", counting("forecast", value.forecast))
    monkeypatch.setattr(BetaGeoModel, "fit", counting("bgnbd", BetaGeoModel.fit))
    monkeypatch.setattr(GammaGammaModel, "fit", counting("gamma_gamma", GammaGammaModel.fit))
    return calls


def test_computed_once_then_read_and_recomputed_only_when_stale(tmp_path, counted, monkeypatch):
    book = _book(tmp_path, _varied_orders())
    first = customer_table(book)
    assert not first.reused and first.trusted
    # one classification, one forecast: BG/NBD + Gamma-Gamma on the calibration window (the
    # holdout check) and on the whole history
    once = {"classify": 1, "forecast": 1, "bgnbd": 2, "gamma_gamma": 2}
    assert counted == once
    for _ in range(3):  # value, retention and the action plan of the same slice
        again = customer_table(book)
        assert again.reused
    assert counted == once
    models = json.loads((tmp_path / "slice/derived/models.json").read_text())
    assert models["computed"] == 1 and models["forecast"]["trusted"] is True
    assert set(models["forecast"]["models"]) == {"bgnbd", "gamma_gamma"}
    # what is read back is what was computed
    pd.testing.assert_frame_equal(again.customers, first.customers, check_dtype=False)
    assert again.forecast().total_clv == pytest.approx(first.forecast().total_clv)
    assert again.holdout().error == pytest.approx(first.holdout().error)
    assert again.classified.equals(classification.classify(book.orders, book.customers, AS_OF))
    counted.clear()

    # other settings, another dataset, another package version: recomputed, never reused
    book.settings = {"classification": {"high_frequency_days": 30}}
    assert not customer_table(book).reused
    book.orders = book.orders.iloc[:-1]
    assert not customer_table(book).reused
    monkeypatch.setattr(clientbook, "__version__", "99.0")
    assert not customer_table(book).reused
    from clientbook.steps import customer_table as ct_mod

    monkeypatch.setattr(ct_mod, "code_hash", lambda: "edited")  # same version, other code
    assert not customer_table(book).reused
    assert customer_table(book).reused
    assert counted["classify"] == 4 and counted["forecast"] == 4
    models = json.loads((tmp_path / "slice/derived/models.json").read_text())
    assert models["computed"] == 5 and models["key"]["version"] == "99.0"
    # a damaged file is recomputed, not trusted
    (tmp_path / "slice/derived/models.json").write_text("{")
    assert not customer_table(book).reused


def test_value_at_risk_has_one_definition(tmp_path):
    from clientbook.steps import churn, retention

    ct = customer_table(_book(tmp_path, _varied_orders()))
    c = ct.customers.set_index("customer_id")
    assert np.allclose(c["value_at_risk"], c["churn_risk"] * c["revenue"].clip(lower=0))
    cfg = retention.settings({})
    win_back = churn.warning_list(ct.churn, ct.series("revenue"), None, cfg)
    assert np.allclose(win_back["value_at_risk"], c.loc[win_back.index, "value_at_risk"])
    n, var = churn.at_risk(ct.churn, ct.series("revenue"), 0.5)
    at_risk = c[c["churn_risk"] >= 0.5]
    assert n == len(at_risk) and var == pytest.approx(at_risk["value_at_risk"].sum())


def test_a_degenerate_fit_is_not_trusted_and_says_why(tmp_path):
    ct = customer_table(_book(tmp_path, _steady_orders()))
    assert not ct.trusted
    rec = ct.models["forecast"]
    assert rec["trusted"] is False and rec["reasons"]
    assert ct.customers[["p_alive", "expected_purchases", "clv"]].isna().all().all()
    pv = ct.forecast()
    assert not pv.ok and "not shown" in pv.message()
    assert ct.churn["p_alive"].isna().all()  # churn risk on rhythm alone


def test_a_slice_without_orders_gets_an_empty_table_that_reads_back(tmp_path):
    from clientbook.steps import action_plan

    book = _book(tmp_path, _varied_orders().iloc[:0])
    ct = customer_table(book)
    assert len(ct.customers) == 0 and not ct.trusted and ct.churn.empty
    assert "0 customers" in ct.forecast().message()
    again = customer_table(book)
    assert again.reused and again.churn.empty and again.classified.empty
    assert action_plan.action_plan(book).matrix.empty


def test_the_real_exports_degenerate_parameters_are_caught():
    from clientbook.clv.diagnostics import assess

    seen = {"r": 0.8, "alpha": 12.0, "a": 2e-5, "b": 94_913.0}  # the fit of issue 12
    verdict = assess(seen, {"p": 2.0, "q": 3.0, "gamma": 50.0})
    assert not verdict.trusted and {"edge", "never_dropout"} <= set(verdict.reasons)
    cdnow = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # published CDNOW fit
    assert assess(cdnow, {"p": 6.25, "q": 3.74, "gamma": 15.44}).trusted
    freq = pd.Series([0, 2, 3, 5])
    alive = assess(cdnow, None, frequency=freq, p_alive=pd.Series([1.0, 0.995, 0.999, 0.99]))
    assert alive.reasons == ["all_alive"]  # one-time buyers (always 1.0) are left out
    assert assess(cdnow, None, holdout_ratio=2.5).reasons == ["holdout"]
    assert assess(cdnow, None, holdout_ratio=0.45).reasons == ["holdout"]
    assert assess(cdnow, None, holdout_ratio=1.6).trusted
    assert assess(cdnow, None, holdout_failed=True).reasons == ["unstable"]


# ---------------------------------------------------------------- through the runner


STEPS = "[classification, value, retention, action_plan]"


def _audit(tmp_path: Path, orders: pd.DataFrame, steps: str = STEPS) -> Path:
    export = tmp_path / "export"
    export.mkdir()
    o = orders.rename(columns={"order_date": "date"})
    o.drop(columns="region").to_csv(export / "orders.csv", index=False, date_format="%Y-%m-%d")
    cust = o.drop_duplicates("customer_id")[["customer_id", "region"]]
    cust.assign(channel="Online").to_csv(export / "customers.csv", index=False)
    path = tmp_path / "steady.yaml"
    path.write_text(
        f"""client: Steady Co.
name: steady
as_of: "{AS_OF.date()}"
sources:
  orders:
    path: {export / "orders.csv"}
    columns: {{order_date: date}}
  customers:
    path: {export / "customers.csv"}
slicing: {{by: [], period: quarter}}  # one slice: all
steps: {steps}
""",
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, orders: pd.DataFrame, steps: str = STEPS) -> Path:
    from clientbook.config import audit_file as audit_mod
    from clientbook.run import runner

    out = tmp_path / "outputs"
    summary = runner.run(audit_mod.load(_audit(tmp_path, orders, steps)), out, jobs=2,
                         show_progress=False)  # fmt: skip
    assert summary.failures == [] and summary.render_errors == []
    return out / "steady"


def test_a_slice_run_classifies_and_fits_once(tmp_path):
    import nbformat

    steps = "[classification, value, sales, retention, action_plan]"
    root = _run(tmp_path, _varied_orders(n=150), steps)
    for sid in ("all",):
        models = json.loads((root / "slices" / sid / "derived/models.json").read_text())
        # 01 computed the table; 02, 05, 06 and 08 read it (a recomputation would count 2+)
        assert models["computed"] == 1, sid
        assert (root / "slices" / sid / "derived/customers.parquet").exists()
        # and no playbook classifies, fits or scores churn on its own
        for nb in (root / "slices" / sid / "notebooks").glob("*.ipynb"):
            code = "\n".join(c.source for c in nbformat.read(nb, as_version=4).cells
                             if c.cell_type == "code")  # fmt: skip
            for own in (
                "cls.classify(",
                "value.forecast(",
                "value.predict(",
                "churn.scores(",
                "BetaGeoModel",
                "GammaGammaModel",
            ):
                assert own not in code, (nb.name, own)
    res = json.loads((root / "slices/all/results.json").read_text())
    models = json.loads((root / "slices/all/derived/models.json").read_text())
    assert res["value"]["kpis"]["forecast"] is models["forecast"]["trusted"] is True
    table = pd.read_parquet(root / "slices/all/derived/customers.parquet")
    assert res["value"]["kpis"]["clv_total"] == pytest.approx(table["clv"].sum())
    at_risk = table[table["churn_risk"] >= 0.5]
    var = at_risk["value_at_risk"].sum()
    assert res["retention"]["kpis"]["value_at_risk"] == pytest.approx(var)


def test_a_degenerate_forecast_reaches_no_deliverable(tmp_path):
    root = _run(tmp_path, _steady_orders())
    models = json.loads((root / "slices/all/derived/models.json").read_text())
    assert models["forecast"]["trusted"] is False and models["forecast"]["reasons"]
    res = json.loads((root / "slices/all/results.json").read_text())
    v = res["value"]["kpis"]
    assert v["forecast"] is False and v["forecast_checks_failed"]
    assert not {"clv_total", "clv_per_customer", "active_share", "expected_purchases"} & set(v)
    assert "not shown" in v["forecast_note"]
    assert any("cannot be trusted" in f for f in res["value"]["findings"])
    plan = res["action_plan"]["action_plan"]
    assert plan and all(r["value_at_stake"] is not None for r in plan)
    report = (root / "slices/all/report.html").read_text()
    for forecast in (
        "Predicted value by customer decile",
        "highest predicted value",
        "expected to bring in",
        "Forecast check",
        "predicted lifetime value",
    ):
        assert forecast not in report
    assert "the fit cannot be trusted" in report  # 02 says why
    assert "no trusted purchase model" in report  # 06 says why
    assert "not a CLV forecast" in report  # 08 says why
    index = (root / "index.html").read_text()
    assert "CLV per customer" not in index


def test_a_loaded_slice_is_keyed_on_its_dataset_files_not_rehashed(tmp_path):
    """A slice loaded from a built dataset is keyed on the digests of the dataset's files (no
    1.5 s frame hash per notebook at 3.4M lines), so the key follows the files' content: a copy
    of the same dataset keeps the key, a changed orders file or another slice changes it."""
    import shutil

    from clientbook.data.dataset import load_slice
    from clientbook.present.playbook import sample_dataset
    from clientbook.steps.customer_table import table_key

    src = sample_dataset()
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    key = table_key(load_slice(src, "all", tmp_path / "a"))
    assert table_key(load_slice(copy, "all", tmp_path / "b")) == key
    region = load_slice(copy, "all", tmp_path / "b").manifest["regions"][0]["slug"]
    assert (
        table_key(load_slice(copy, f"region-{region}", tmp_path / "c"))["orders"] != key["orders"]
    )
    orders = pd.read_parquet(copy / "orders.parquet")
    orders.loc[0, "amount"] = float(orders.loc[0, "amount"]) + 1.0
    orders.to_parquet(copy / "orders.parquet", index=False)
    changed = table_key(load_slice(copy, "all", tmp_path / "d"))
    assert changed["orders"] != key["orders"] and changed["customers"] == key["customers"]
    # A Book made in memory has no files: its frames are hashed, and an edit shows.
    book = load_slice(copy, "all", tmp_path / "e")
    mem = Book(customers=book.customers, orders=book.orders, as_of=book.as_of, output_dir=tmp_path)
    edited = book.orders.copy()
    edited.loc[1, "amount"] = float(edited.loc[1, "amount"]) + 1.0
    mem2 = Book(customers=book.customers, orders=edited, as_of=book.as_of, output_dir=tmp_path)
    assert table_key(mem)["orders"] != table_key(mem2)["orders"]
