"""`clientbook init`: sniffing, header mapping, presets, and init-then-validate/run."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from clientbook.config import audit_file as audit_mod
from clientbook.data import dataset, init, sample, sniff
from clientbook.data.contract import SCHEMAS
from clientbook.run import cli

REPO = Path(__file__).resolve().parents[1]
PRESETS = Path(__file__).parent / "data" / "presets"


def _effective(audit: audit_mod.Audit, table: str) -> dict[str, str]:
    """canonical column -> client header, counting unmapped columns read by their own name."""
    src = audit.sources[table]
    raw = pd.read_csv(
        audit.resolve(src.path), sep=None, engine="python", nrows=1, dtype=str, encoding="utf-8-sig"
    )
    headers = [h.strip() for h in raw.columns]
    out = {}
    for col in SCHEMAS[table]:
        h = src.columns.get(col.name) or (col.name if col.name in headers else None)
        if h:
            out[col.name] = h
    return out


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("export")
    sample.generate(d, customers=150, seed=3)
    return d


def test_init_on_the_sample_export_reproduces_the_demo_audit(sample_export, tmp_path):
    out = tmp_path / "audits" / "demo.yaml"
    assert cli.main(["init", str(sample_export), "-o", str(out), "--client", "Demo"]) == 0
    mine = audit_mod.load(out)
    demo = audit_mod.load(REPO / "audits" / "demo.yaml")
    for src in demo.sources.values():
        src.path = sample_export / Path(src.path).name  # the demo's files, here
    assert set(mine.sources) == set(demo.sources)
    for table in demo.sources:
        assert _effective(mine, table) == _effective(demo, table), table
    o = mine.sources["orders"]
    assert (o.decimal, o.dayfirst, o.delimiter) == (",", True, ";")
    prep = dataset.prepare(mine)  # and it reads
    assert len(prep.tables["orders"]) > 100


@pytest.mark.parametrize(
    "preset,tables,where",
    [
        ("salesforce", {"orders", "customers"}, ("Opportunity.csv", "StageName", {"Closed Won"})),
        ("hubspot", {"orders", "customers"}, ("all-deals.csv", "Deal Stage", {"Closed Won"})),
        ("zoho", {"orders", "customers"}, ("Deals_export.csv", "Stage", {"Closed Won"})),
        ("shopify", {"orders"}, None),
        (
            "woocommerce",
            {"orders"},
            ("wc-orders-report-export.csv", "Status", {"Completed", "Processing"}),
        ),
        ("fxiaoke", {"orders", "customers"}, ("销售订单.csv", "订单状态", {"已确认", "已完成"})),
    ],
)
def test_each_preset_fixture_gives_an_audit_that_validates(preset, tables, where, tmp_path, capsys):
    out = tmp_path / f"{preset}.yaml"
    assert cli.main(["init", str(PRESETS / preset), "--preset", preset, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "TODO required" not in text
    audit = audit_mod.load(out)
    assert set(audit.sources) == tables
    capsys.readouterr()
    assert cli.main(["validate", str(out)]) == 0
    printed = capsys.readouterr().out
    prep = dataset.prepare(audit)
    orders = prep.tables["orders"]
    if where:
        name, column, keep = where
        path = PRESETS / preset / name
        enc = "gb18030" if preset == "fxiaoke" else "utf-8"
        with path.open(encoding=enc, newline="") as fh:
            rows = list(csv.DictReader(fh))
        kept = [r for r in rows if r[column] in keep]
        assert prep.sources["orders"]["rows"] == len(kept)
        if preset == "fxiaoke":  # "1,760.00": thousands sniffed, not read as 1.76
            total = sum(float(r["订单金额"].replace(",", "")) for r in kept)
            assert orders["amount"].sum() == pytest.approx(total)
        assert f"{len(rows) - len(kept)} row(s) left out by sources.orders.where" in printed
    assert orders["amount"].gt(0).all() and orders["customer_id"].notna().all()
    if "customers" in tables:  # the orders' customers are the export's customers
        known = set(prep.tables["customers"]["customer_id"])
        assert set(orders["customer_id"]) <= known
        assert not [f for f in prep.findings if f.check == "orphans"]


def test_shopify_amount_is_quantity_times_line_price(tmp_path):
    out = tmp_path / "s.yaml"
    assert cli.main(["init", str(PRESETS / "shopify"), "--preset", "shopify", "-o", str(out)]) == 0
    audit = audit_mod.load(out)
    assert audit.currency == "CAD"  # from the export's Currency column
    raw = pd.read_csv(PRESETS / "shopify" / "orders_export_1.csv", dtype=str)
    expected = raw["Lineitem quantity"].astype(float) * raw["Lineitem price"].astype(float)
    prep = dataset.prepare(audit)
    assert prep.tables["orders"]["amount"].sum() == pytest.approx(expected.sum())


def test_a_preset_fixture_runs_end_to_end(tmp_path):
    from clientbook.run import runner

    out = tmp_path / "fx.yaml"
    assert (
        cli.main(
            [
                "init",
                str(PRESETS / "fxiaoke"),
                "--preset",
                "fxiaoke",
                "-o",
                str(out),
                "--client",
                "纷享客户",
                "--lang",
                "zh",
            ]
        )
        == 0
    )
    text = out.read_text(encoding="utf-8")
    text = text.replace(
        "outputs: [html]",
        'outputs: [html]\nsteps: [data_audit, classification]\nas_of: "2026-01-01"',
    )
    text = text.replace("by: [region, period]", "by: [region]")
    out.write_text(text, encoding="utf-8")
    summary = runner.run(audit_mod.load(out), tmp_path / "outputs", jobs=1, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    root = tmp_path / "outputs" / "fx"
    run = json.loads((root / "run.json").read_text())
    regions = {s["id"] for s in run["slices"]} - {"all"}
    assert len(regions) == 4  # 广东, 浙江, 江苏, 北京
    report = (root / "slices" / "all" / "report.html").read_text(encoding="utf-8")
    assert "纷享客户" in report and "Traceback" not in report


# --- sniffing ----------------------------------------------------------------------------


def test_sniff_whitespace_without_header():
    sn = sniff.sniff(Path(__file__).parent / "data" / "CDNOW_sample.txt")[0]
    assert sn.options["delimiter"].value == "whitespace"
    assert sn.options["header"].value == "none"
    assert sn.headers == ["1", "2", "3", "4", "5"]


def test_sniff_title_rows_decimal_comma_thousands_and_day_first(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        (
            "Umsatzbericht 2024\n\nKunde;Datum;Betrag\n"
            "K1;03/01/2024;1.234,50\nK2;25/01/2024;99,90\nK3;04/02/2024;12,00\n"
        ).encode("gb18030")
    )
    sn = sniff.sniff(path)[0]
    assert sn.options["skip_rows"].value == 2
    assert sn.headers == ["Kunde", "Datum", "Betrag"]
    assert sn.options["delimiter"].value == ";"
    assert sn.options["decimal"].value == ","
    assert sn.options["dayfirst"].value is True
    assert "'25/01/2024'" in sn.options["dayfirst"].why


def test_sniff_thousands_comma_and_undecidable_dates_become_a_todo(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        'order id,customer,date,amount\nA1,C1,01/02/2024,"1,200.00"\n'
        'A2,C2,03/04/2024,"2,500.50"\nA3,C1,05/06/2024,300.00\n',
        encoding="utf-8",
    )
    sn = sniff.sniff(path)[0]
    assert sn.options["thousands"].value == ","
    assert sn.options["dayfirst"].value is None and sn.options["dayfirst"].sure == "unknown"
    out = tmp_path / "a.yaml"
    assert cli.main(["init", str(path), "-o", str(out)]) == 0
    assert "dayfirst: TODO" in out.read_text()
    assert cli.main(["validate", str(out)]) == 2  # never a silent guess


def test_xlsx_title_rows_and_sheets(tmp_path):
    path = tmp_path / "crm.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame(
            [
                ["Orders export", None, None, None],
                ["订单号", "客户编号", "下单日期", "金额"],
                ["A1", "007", "2025-01-02", "9.5"],
                ["A2", "008", "2025-01-03", "3"],
            ]
        ).to_excel(xw, sheet_name="订单", index=False, header=False)
        pd.DataFrame({"客户编号": ["007", "008"], "区域": ["华东", "华北"]}).to_excel(
            xw, sheet_name="客户", index=False
        )
    plans, _ = init.plan_files([path])
    by_table = {p.table: p for p in plans}
    assert by_table["orders"].sniffed.sheet == "订单"
    assert by_table["orders"].sniffed.options["skip_rows"].value == 1
    assert {k: m.header for k, m in by_table["orders"].columns.items()} == {
        "order_id": "订单号",
        "customer_id": "客户编号",
        "order_date": "下单日期",
        "amount": "金额",
    }
    assert by_table["customers"].columns["region"].header == "区域"
    out = tmp_path / "a.yaml"
    text, _, _ = init.init([path], out)
    out.write_text(text, encoding="utf-8")
    prep = dataset.prepare(audit_mod.load(out))
    assert prep.tables["orders"]["customer_id"].tolist() == ["007", "008"]


def test_unmapped_required_columns_are_todo(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order no,customer,when,amount\nA1,C1,2025-01-01,3\n", encoding="utf-8")
    out = tmp_path / "a.yaml"
    assert cli.main(["init", str(path), "-o", str(out)]) == 0
    text = out.read_text()
    assert "order_date: TODO   # TODO required: one of: when" in text
    assert yaml.safe_load(text)["sources"]["orders"]["columns"]["order_date"] == "TODO"
    assert cli.main(["validate", str(out)]) == 2


def test_files_that_are_not_tables_are_left_out_and_named(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,order_date,amount\n1,C1,2025-01-01,3\n", encoding="utf-8"
    )
    (tmp_path / "customers.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    out = tmp_path / "a.yaml"
    assert cli.main(["init", str(tmp_path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "customers.csv: this is not a text table: the file is a PNG image" in printed
    assert set(audit_mod.load(out).sources) == {"orders"}


def test_init_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        cli.main(["init", "--help"])
    text = capsys.readouterr().out
    assert "example:" in text and "clientbook init exports/demo -o audits/acme.yaml" in text
    assert "--preset" in text
    assert cli.main(["init", "--list-presets"]) == 0
    listed = capsys.readouterr().out
    for name in ("salesforce", "hubspot", "zoho", "shopify", "woocommerce", "fxiaoke"):
        assert name in listed


def test_init_does_not_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "a.yaml"
    out.write_text("client: keep\n", encoding="utf-8")
    assert cli.main(["init", str(PRESETS / "shopify"), "-o", str(out)]) == 2
    assert out.read_text() == "client: keep\n"


def test_a_transaction_file_without_header_gets_positional_guesses(tmp_path, capsys):
    # CDNOW: customer, sample id, yyyymmdd, quantity, amount; aligned with spaces, no header
    out = tmp_path / "cdnow.yaml"
    assert (
        cli.main(["init", str(Path(__file__).parent / "data" / "CDNOW_sample.txt"), "-o", str(out)])
        == 0
    )
    src = audit_mod.load(out).sources["orders"]
    assert (src.delimiter, src.header) == ("whitespace", "none")
    assert src.columns == {"customer_id": "1", "order_date": "3", "amount": "5", "quantity": "4"}
    assert src.derive == {"order_id": ["customer_id", "order_date"]}
    assert "# guess: no order number" in out.read_text()
    capsys.readouterr()
    assert cli.main(["validate", str(out)]) == 0
    assert "6,919 rows" in capsys.readouterr().out
