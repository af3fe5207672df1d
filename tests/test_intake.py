"""Loaders on the encodings and formats clients send, and validation messages."""

from pathlib import Path

import pandas as pd
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.config.audit_file import Source
from clientbook.data import dataset, intake

ORDERS_MAP = {
    "order_id": "订单号",
    "customer_id": "客户编号",
    "order_date": "下单日期",
    "amount": "金额",
}


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
        pd.DataFrame(
            {
                "订单号": ["A1"],
                "客户编号": ["007"],
                "下单日期": [pd.Timestamp("2025-01-02")],
                "金额": [9.5],
            }
        ).to_excel(xw, sheet_name="Orders", index=False)
    df = _load(path, sheet="Orders")
    assert df["customer_id"].tolist() == ["007"]
    assert df["order_date"].tolist() == [pd.Timestamp("2025-01-02")]
    _, problems = intake.load_source(
        "orders", Source(path=path, sheet="Nope", columns=ORDERS_MAP), path
    )
    assert "no sheet named 'Nope'" in str(problems[0]) and "Orders" in str(problems[0])


def test_parquet(tmp_path):
    path = tmp_path / "o.parquet"
    pd.DataFrame(
        {
            "order_id": ["A1"],
            "customer_id": ["007"],
            "order_date": [pd.Timestamp("2025-01-02")],
            "amount": [3.0],
        }
    ).to_parquet(path)
    df, problems = intake.load_source("orders", Source(path=path), path)
    assert not problems and df["customer_id"].tolist() == ["007"]


def test_every_problem_named_with_file_column_rows_and_samples(tmp_path):
    text = (
        "订单号,客户编号,下单日期,金额\nA1,1,2025-01-01,10\nA2,2,not a date,x\n"
        "A3,3,2025-01-03,1.5\nA4,4,32/13/2025,oops\n"
    )
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
    text = (
        "order_id,customer_id,order_date,amount\n"
        "1,C1,2025-01-01,10\n1,C1,2025-01-01,10\n"  # duplicate row 3
        "2,,2025-01-02,5\n"  # missing customer id, row 4
        "3,C2,2030-01-01,7\n"  # future date, row 5
        "4,C9,2025-01-03,-4\n"
    )  # refund + orphan, row 6
    o = _write(tmp_path / "o.csv", text, "utf-8")
    c = _write(tmp_path / "c.csv", "customer_id,region\nC1,East\nC2,North\n", "utf-8")
    a = audit_mod.Audit(
        client="T",
        as_of="2025-06-30",
        sources={"orders": Source(path=o), "customers": Source(path=c)},
    )
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
    p.write_text(
        "client: X\nlang: fr\nsources:\n  orders: {path: o.csv, decimal: ';'}\n"
        "slicing: {by: [region], period: week}\nbranding: {primary_colour: red}\n",
        encoding="utf-8",
    )
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


# --- issue 13: dates are never guessed silently ------------------------------------------


def _orders_csv(tmp_path: Path, dates: list[str]) -> Path:
    lines = ["order_id,customer_id,order_date,amount"]
    lines += [f"O{i},C{i},{d},10" for i, d in enumerate(dates)]
    return _write(tmp_path / "o.csv", "\n".join(lines) + "\n", "utf-8")


def test_date_order_is_decided_by_a_field_above_12(tmp_path):
    # 08/11/2020 was read as 11 August while 25/11/2020 was read day-first
    path = _orders_csv(tmp_path, ["08/11/2020", "25/11/2020", "01/12/2020"])
    df, problems = intake.load_source("orders", Source(path=path), path)
    assert problems == []
    assert df["order_date"].tolist() == [
        pd.Timestamp("2020-11-08"),
        pd.Timestamp("2020-11-25"),
        pd.Timestamp("2020-12-01"),
    ]
    assert df.attrs["date_orders"][0]["order"] == "day-first"
    assert "'25/11/2020' (row 3)" in df.attrs["date_orders"][0]["how"]
    month_first = _orders_csv(tmp_path, ["12/25/2020", "01/02/2021"])
    df, _ = intake.load_source("orders", Source(path=month_first), month_first)
    assert df["order_date"].tolist() == [pd.Timestamp("2020-12-25"), pd.Timestamp("2021-01-02")]


def test_undecidable_date_order_is_an_error_naming_the_key(tmp_path):
    path = _orders_csv(tmp_path, ["05/01/2024", "03/02/2024", "11/12/2024"])
    _, problems = intake.load_source("orders", Source(path=path), path)
    text = str(problems[0])
    assert len(problems) == 1 and "column 'order_date'" in text
    assert "cannot tell day from month" in text and "dayfirst: true" in text
    assert "(3 row(s): 2, 3, 4)" in text and "'05/01/2024'" in text
    # the audit file decides: no error, day-first
    df, problems = intake.load_source("orders", Source(path=path, dayfirst=True), path)
    assert problems == [] and df["order_date"][0] == pd.Timestamp("2024-01-05")


def test_mixed_date_formats_are_an_error(tmp_path):
    path = _orders_csv(tmp_path, ["05/01/2024", "20240105", "13/01/2024"])
    _, problems = intake.load_source("orders", Source(path=path), path)
    text = str(problems[0])
    assert len(problems) == 1 and "mixes date formats" in text
    assert "row 3 '20240105'" in text and "day/month" in text


def test_day_first_source_contradicted_by_values_is_reported(tmp_path):
    path = _orders_csv(tmp_path, ["12/25/2020", "01/02/2021"])
    _, problems = intake.load_source("orders", Source(path=path, dayfirst=True), path)
    assert "values that are not dates" in str(problems[0]) and "'12/25/2020'" in str(problems[0])


# --- issue 13 point 4: reading options ---------------------------------------------------


def test_whitespace_file_without_header_and_a_derived_order_id(tmp_path):
    sample = (Path(__file__).parent / "data" / "CDNOW_sample.txt").read_text().splitlines()[:6]
    path = _write(tmp_path / "cdnow.txt", "\n".join(sample) + "\n", "utf-8")
    src = Source(
        path=path,
        delimiter="whitespace",
        header="none",
        columns={"customer_id": 1, "order_date": 3, "quantity": 4, "amount": 5},
        derive={"order_id": ["customer_id", "order_date"]},
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas ParserWarning leaks
        df, problems = intake.load_source("orders", src, path)
    assert problems == []
    assert df["customer_id"].tolist()[:2] == ["00004", "00004"]
    assert df["order_date"][0] == pd.Timestamp("1997-01-01")
    assert df["order_id"][0] == "00004|1997-01-01"
    assert df["amount"][0] == 29.33 and df[intake.ROW].tolist()[0] == 1  # no header: row 1


def test_delimiter_values_are_validated():
    with pytest.raises(ValueError, match="delimiter 'whitespaces' is not one character"):
        Source(path="x", delimiter="whitespaces")
    assert Source(path="x", delimiter="tab").delimiter == "\t"
    assert Source(path="x", delimiter=" ").delimiter == "whitespace"


def test_title_rows_above_the_header_in_xlsx(tmp_path):
    path = tmp_path / "report.xlsx"
    body = pd.DataFrame(
        [
            ["Sales report 2025", None, None, None],
            [None, None, None, None],
            ["订单号", "客户编号", "下单日期", "金额"],
            ["A1", "007", "2025-01-02", "9.5"],
        ]
    )
    body.to_excel(path, index=False, header=False)
    df, problems = intake.load_source(
        "orders", Source(path=path, skip_rows=2, columns=ORDERS_MAP), path
    )
    assert problems == [] and df["customer_id"].tolist() == ["007"]
    assert df[intake.ROW].tolist() == [4]  # the row as Excel shows it
    same, _ = intake.load_source("orders", Source(path=path, header=3, columns=ORDERS_MAP), path)
    assert same["amount"].tolist() == [9.5]


def test_one_header_mapped_twice_is_an_error(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text(
        "client: X\nsources:\n  orders: {path: o.csv, columns: {order_id: date, "
        "order_date: date}}\n",
        encoding="utf-8",
    )
    with pytest.raises(audit_mod.AuditFileError, match="header 'date' is mapped twice"):
        audit_mod.load(p)


# --- issue 13 point 7 and issue 14 point 7: audit files and files that are not tables -----

AUDIT = "client: 演示\nsources:\n  orders: {path: o.csv, columns: {amount: 金额}}\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_audit_file_encodings(tmp_path, encoding):
    p = tmp_path / "a.yaml"
    p.write_bytes(AUDIT.encode(encoding))
    a = audit_mod.load(p)
    assert a.client == "演示" and a.sources["orders"].columns["amount"] == "金额"


def test_bad_audit_paths_give_one_line(tmp_path, capsys):
    from clientbook.run import cli

    (tmp_path / "folder").mkdir()
    (tmp_path / "img.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    cases = {
        "folder": "is a folder, not an audit file",
        "missing.yaml": "no such audit file",
        "img.yaml": "binary file",
    }
    for name, expected in cases.items():
        for command in ("validate", "run"):
            assert cli.main([command, str(tmp_path / name)]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and expected in err, err
            assert "Traceback" not in err


@pytest.mark.parametrize(
    "head,what",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a ZIP archive"),
        (b"\x1f\x8b\x08\x00\x00\x00", "a gzip archive"),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_files_that_are_not_text_tables_are_named(tmp_path, head, what):
    path = tmp_path / "orders.csv"
    path.write_bytes(head + bytes(200))
    _, problems = intake.load_source("orders", Source(path=path), path)
    assert len(problems) == 1
    text = str(problems[0])
    assert "this is not a text table" in text and what in text
    assert "codec" not in text and "required column" not in text


def test_xlsx_that_is_not_a_workbook_is_named(tmp_path):
    png = tmp_path / "orders.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    _, problems = intake.load_source("orders", Source(path=png), png)
    assert "not an XLSX workbook or a text table: the file is a PNG image" in str(problems[0])
    text = tmp_path / "orders2.xlsx"
    text.write_text("order_id,customer_id\n1,2\n", encoding="utf-8")
    _, problems = intake.load_source("orders", Source(path=text), text)
    assert "set format: csv" in str(problems[0])
    folder = tmp_path / "orders.csv"
    folder.mkdir()
    _, problems = intake.load_source("orders", Source(path=folder), folder)
    assert "is a folder, not a file" in str(problems[0])
