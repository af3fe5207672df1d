"""Loaders on the encodings and formats clients send, and validation messages."""

from pathlib import Path

import pandas as pd
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.config.audit_file import Source
from clientbook.data import dataset, intake

ORDERS_MAP = {"order_id": "订单号", "customer_id": "客户编号", "order_date": "下单日期",
              "amount": "金额"}


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _load(path: Path, **kw):
    df, problems = intake.load_source("orders", Source(path=path, columns=ORDERS_MAP, **kw), path)
    assert problems == [], [str(p) for p in problems]
    return df


TEXT = "订单号,客户编号,下单日期,金额\nA1,007,2025-03-04,12.5\nA2,010,2025-03-05,-3\n"


def test_utf8_bom_and_leading_zeros(tmp_path):
    raw = _write(tmp_path / "o.csv", TEXT, "utf-8-sig")
    before = raw.read_bytes()
    df = _load(raw)
    assert df["customer_id"].tolist() == ["007", "010"]  # IDs stay strings
    assert df["amount"].tolist() == [12.5, -3.0]
    assert df["order_date"].tolist() == [pd.Timestamp("2025-03-04"), pd.Timestamp("2025-03-05")]
    assert raw.read_bytes() == before  # raw file untouched


def test_gbk_is_detected(tmp_path):
    df = _load(_write(tmp_path / "o.csv", TEXT, "gbk"))
    assert df["order_id"].tolist() == ["A1", "A2"]
    assert intake.decode(TEXT.encode("gbk"))[1] == "gb18030"


def test_semicolon_decimal_comma_and_day_first(tmp_path):
    text = "订单号;客户编号;下单日期;金额\nA1;007;04/03/2025;1.234,50\nA2;008;31/12/2024;-0,75\n"
    df = _load(_write(tmp_path / "o.csv", text, "utf-8"), decimal=",", dayfirst=True)
    assert df["amount"].tolist() == [1234.5, -0.75]
    assert df["order_date"].tolist() == [pd.Timestamp("2025-03-04"), pd.Timestamp("2024-12-31")]


def test_xlsx_sheet_by_name(tmp_path):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"x": [1]}).to_excel(xw, sheet_name="Notes", index=False)
        pd.DataFrame({"订单号": ["A1"], "客户编号": ["007"],
                      "下单日期": [pd.Timestamp("2025-01-02")], "金额": [9.5]}
                     ).to_excel(xw, sheet_name="Orders", index=False)
    df = _load(path, sheet="Orders")
    assert df["customer_id"].tolist() == ["007"]
    assert df["order_date"].tolist() == [pd.Timestamp("2025-01-02")]
    _, problems = intake.load_source("orders", Source(path=path, sheet="Nope",
                                                      columns=ORDERS_MAP), path)
    assert "no sheet named 'Nope'" in str(problems[0]) and "Orders" in str(problems[0])


def test_parquet(tmp_path):
    path = tmp_path / "o.parquet"
    pd.DataFrame({"order_id": ["A1"], "customer_id": ["007"],
                  "order_date": [pd.Timestamp("2025-01-02")], "amount": [3.0]}).to_parquet(path)
    df, problems = intake.load_source("orders", Source(path=path), path)
    assert not problems and df["customer_id"].tolist() == ["007"]


def test_every_problem_named_with_file_column_rows_and_samples(tmp_path):
    text = ("订单号,客户编号,下单日期,金额\nA1,1,2025-01-01,10\nA2,2,not a date,x\n"
            "A3,3,2025-01-03,1.5\nA4,4,32/13/2025,oops\n")
    path = _write(tmp_path / "bad.csv", text, "utf-8")
    with pytest.raises(intake.DataError) as err:
        a = audit_mod.Audit(client="T", sources={"orders": Source(path=path, columns=ORDERS_MAP)})
        dataset.read_tables(a)
    msg = str(err.value)
    assert "2 problem(s)" in msg  # both columns, not just the first
    assert "bad.csv, column '下单日期': values that are not dates" in msg
    assert "(2 row(s): 3, 5)" in msg and "'not a date'" in msg
    assert "column '金额': values that are not numbers" in msg and "'oops'" in msg


def test_missing_mapped_header_lists_the_headers(tmp_path):
    path = _write(tmp_path / "o.csv", TEXT, "utf-8")
    cols = {**ORDERS_MAP, "amount": "Amount"}
    _, problems = intake.load_source("orders", Source(path=path, columns=cols), path)
    text = " ".join(str(p) for p in problems)
    assert "mapped header 'Amount'" in text and "金额" in text


def test_findings_are_counted_not_dropped_silently(tmp_path):
    text = ("order_id,customer_id,order_date,amount\n"
            "1,C1,2025-01-01,10\n1,C1,2025-01-01,10\n"    # duplicate row 3
            "2,,2025-01-02,5\n"                          # missing customer id, row 4
            "3,C2,2030-01-01,7\n"                        # future date, row 5
            "4,C9,2025-01-03,-4\n")                      # refund + orphan, row 6
    o = _write(tmp_path / "o.csv", text, "utf-8")
    c = _write(tmp_path / "c.csv", "customer_id,region\nC1,East\nC2,North\n", "utf-8")
    a = audit_mod.Audit(client="T", as_of="2025-06-30",
                        sources={"orders": Source(path=o), "customers": Source(path=c)})
    manifest = dataset.build(a, tmp_path / "ds")
    found = {(f["check"]): (f["count"], f["rows"], f["action"]) for f in manifest["findings"]}
    assert found["duplicates"] == (1, [3], "excluded")
    assert found["missing_ids"] == (1, [4], "excluded")
    assert found["future_dates"] == (1, [5], "excluded")
    assert found["refunds"] == (1, [6], "kept")
    assert found["orphans"] == (1, [6], "kept")
    orders = pd.read_parquet(tmp_path / "ds" / "orders.parquet")
    assert len(orders) == 2  # rows 2 and 6
    customers = pd.read_parquet(tmp_path / "ds" / "customers.parquet")
    assert customers.set_index("customer_id").loc["C9", "region"] == "Unknown"


def test_audit_file_errors_name_the_key(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("client: X\nlang: fr\nsources:\n  orders: {path: o.csv, decimal: ';'}\n"
                 "slicing: {by: [region], period: week}\nbranding: {primary_colour: red}\n",
                 encoding="utf-8")
    with pytest.raises(audit_mod.AuditFileError) as err:
        audit_mod.load(p)
    msg = str(err.value)
    for key in ("lang", "sources.orders.decimal", "slicing.period", "branding.primary_colour"):
        assert f"  - {key}:" in msg, msg
    assert "unknown key" in msg and "'fr'" in msg


def test_audit_file_requires_orders(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text("client: X\nsources:\n  customers: {path: c.csv}\n", encoding="utf-8")
    with pytest.raises(audit_mod.AuditFileError, match="an 'orders' source is required"):
        audit_mod.load(p)
