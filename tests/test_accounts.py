"""The key-account archive: the right accounts, their history, service and owner, masked per
the privacy setting, escaped in accounts.html and written as a sheet of actions.xlsx."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from clientbook.data.book import Book, Period
from clientbook.deliver import accounts
from clientbook.present import i18n, style


def _s(values):
    return pd.array(values, dtype="string")


@pytest.fixture
def book(tmp_path):
    i18n.use("en")
    style.apply("en", currency="USD")
    customers = pd.DataFrame(
        {
            "customer_id": _s(["1", "2", "3"]),
            "name": _s(["<script>alert(1)</script> Ltd", "Bo Li", "Chen Jie"]),
            "email": _s(["alice@example.com", "bo@example.com", None]),
            "phone": _s(["13812345678", "13900001111", "13700002222"]),
            "region": _s(["East", "East", None]),
            "channel": _s(["online", "store", "online"]),
        }
    )
    rows = [  # (order, customer, date, amount, product)
        ("a", "1", "2025-01-10", 500.0, "desk"),
        ("b", "1", "2025-04-02", 300.0, "chair"),
        ("c", "1", "2025-05-20", 200.0, "desk"),
        ("d", "2", "2025-02-01", 90.0, "desk"),
        ("e", "2", "2025-06-01", 60.0, "chair"),
        ("f", "3", "2025-01-05", 40.0, "desk"),
        ("g", "3", "2025-03-01", 30.0, "lamp"),
    ]
    orders = pd.DataFrame(
        {
            "order_id": _s([r[0] for r in rows]),
            "customer_id": _s([r[1] for r in rows]),
            "order_date": pd.to_datetime([r[2] for r in rows]),
            "amount": [r[3] for r in rows],
            "product": _s([r[4] for r in rows]),
        }
    )
    surveys = pd.DataFrame(
        {
            "response_id": _s(["r1", "r2", "r3"]),
            "customer_id": _s(["1", "1", "2"]),
            "survey_date": pd.to_datetime(["2025-02-01", "2025-05-01", "2025-03-01"]),
            "nps_score": [6.0, 9.0, 3.0],
            "csat_score": [3.0, 5.0, 2.0],
        }
    )
    tickets = pd.DataFrame(
        {
            "ticket_id": _s(["t1", "t2", "t3"]),
            "customer_id": _s(["1", "1", "2"]),
            "channel": _s(["chat"] * 3),
            "opened_at": pd.to_datetime(["2025-05-01", "2025-06-20", "2025-03-01"]),
            "resolved_at": pd.to_datetime(["2025-05-02", None, "2025-03-02"]),
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": _s(["l1", "l2", "l3"]),
            "customer_id": _s(["1", "1", "2"]),
            "created_date": pd.to_datetime(["2024-12-01", "2025-03-01", "2025-01-01"]),
            "stage": _s(["won"] * 3),
            "status": _s(["won"] * 3),
            "owner": _s(["Ann", "Ben", "Cy"]),
        }
    )
    yield Book(
        customers=customers,
        orders=orders,
        surveys=surveys,
        tickets=tickets,
        leads=leads,
        as_of=pd.Timestamp("2025-07-01"),
        period=Period.parse("2025-Q2", "quarter"),
        period_freq="quarter",
        settings={},
        output_dir=tmp_path,
        manifest={"client": "Acme", "currency": "USD"},
    )
    style.use("en", None)


def test_top_accounts_with_history_service_and_owner(book):
    acc = accounts.key_accounts(book, top=2, mask=False)
    assert acc["customer_id"].tolist() == ["1", "2"]  # by value (revenue: no CLV this small)
    one = acc.iloc[0]
    assert one["orders"] == 3 and one["value"] == 1000.0
    assert str(one["last_order"])[:10] == "2025-05-20"
    # orders per quarter, the last ORDER_PERIODS quarters ending in 2025-Q2
    over = dict((p, (n, r)) for p, n, r in one["orders_over_time"])
    assert over["2025-Q1"] == (1, 500.0) and over["2025-Q2"] == (2, 500.0)
    assert over["2024-Q4"] == (0, 0.0) and len(over) == accounts.ORDER_PERIODS
    assert [p for p, _ in one["segment_history"]] == ["2025-Q1", "2025-Q2"]  # bought from Q1
    assert one["answers"] == 2 and one["nps"] == 9.0 and one["csat"] == 0.5
    assert one["tickets"] == 2 and one["open_tickets"] == 1  # t2 still open at as_of
    assert one["owner"] == "Ben"  # the latest lead's rep
    assert acc.iloc[1]["owner"] == "Cy" and acc.iloc[1]["open_tickets"] == 0
    assert one["name"].startswith("<script>")  # unmasked when mask_pii is false


def test_masked_by_default(book):
    acc = accounts.key_accounts(book, top=3)
    assert acc.loc[acc["customer_id"] == "2", "name"].item() == "B* L*"
    assert acc.loc[acc["customer_id"] == "2", "phone"].item() == "*******1111"
    assert acc.loc[acc["customer_id"] == "1", "email"].item() == "a***@example.com"


def test_history_text_keeps_changes_only():
    h = [("Q1", "Loyal"), ("Q2", "Loyal"), ("Q3", "Champions")]
    assert accounts.history_text(h) == "Q1: Loyal → Q3: Champions"
    assert accounts.history_text([]) == ""


def test_archive_html_escapes_and_sheet_is_written(book):
    acc = accounts.key_accounts(book, top=3, mask=False)
    page_path = accounts.write_archive(book, acc, masked=False)
    page = page_path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert page.count('class="card"') == 3
    assert "$1.0k" in page  # money through present.numbers with the run's currency
    assert "Ben" in page
    wb = load_workbook(book.output_dir / "actions.xlsx")
    assert wb.sheetnames == ["Summary", "Key accounts"]
    ws = wb["Key accounts"]
    heads = [c.value for c in ws[1]]
    assert heads[:3] == ["Customer", "Name", "E-mail"]
    assert heads.count("Owner") == 1  # the archive's owner is the working column
    value_col = heads.index("Revenue") + 1
    assert ws.cell(2, value_col).value == 1000 and ws.cell(2, value_col).number_format == '"$"#,##0'
    assert ws.cell(2, heads.index("Owner") + 1).value == "Ben"
    assert ws.cell(2, heads.index("Segment history") + 1).value.startswith("2025-Q1: ")


def test_masked_sheet_has_no_readable_contacts(book):
    acc = accounts.key_accounts(book, top=3, mask=True)
    accounts.write_archive(book, acc, masked=True)
    back = pd.read_excel(book.output_dir / "actions.xlsx", sheet_name="Key accounts", dtype=str)
    assert "13900001111" not in back.to_string() and "Bo Li" not in back.to_string()
    assert "(mask_pii)" in (book.output_dir / "accounts.html").read_text(encoding="utf-8")
