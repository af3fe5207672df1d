"""actions.xlsx as a working file: number formats by unit, working columns, summary sheet."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from clientbook.deliver.xlsx import column_units, excel_format, write_action_lists
from clientbook.present import i18n, style


@pytest.fixture
def win_back():
    i18n.use("en")
    return pd.DataFrame(
        {
            i18n.t("churn.column.rank"): [1, 2, 3],
            i18n.t("churn.column.customer"): ["007", "012", "020"],
            i18n.t("churn.column.value"): [1200, 800, 50],
            i18n.t("churn.column.risk"): [0.91, 0.5, 0.12],
            i18n.t("churn.column.last_purchase"): pd.to_datetime(
                ["2025-01-02", "2025-02-03", "2025-03-04"]
            ),
            "Why": ["a", "b", "c"],
        }
    )


def _col(ws, header):
    heads = [c.value for c in ws[1]]
    return heads.index(header) + 1


def test_number_formats_by_unit(tmp_path, win_back):
    path = write_action_lists(tmp_path / "a.xlsx", {"Win-back": win_back}, currency="USD")
    ws = load_workbook(path)["Win-back"]
    assert ws.cell(2, _col(ws, i18n.t("churn.column.value"))).number_format == '"$"#,##0'
    assert ws.cell(3, _col(ws, "Risk score")).number_format == "0.0%"
    assert ws.cell(2, _col(ws, "Last purchase")).number_format == "yyyy-mm-dd"
    assert ws.cell(2, _col(ws, "Rank")).number_format == "#,##0"
    assert ws.cell(2, _col(ws, "Why")).number_format == "General"
    # the values stay numbers (formats only change how they read)
    assert ws.cell(3, _col(ws, "Risk score")).value == 0.5


def test_currency_formats():
    assert excel_format("money", "CNY") == '"¥"#,##0'
    assert excel_format("money", "CHF") == '"CHF "#,##0'
    assert excel_format("money", None) == "#,##0"
    assert excel_format("text") is None


def test_units_from_catalogue_in_chinese_and_explicit(win_back):
    i18n.use("zh")
    try:
        df = pd.DataFrame({i18n.t("churn.column.value"): [1.0], "x": [2], "y": [0.5]})
        units = column_units(df, {"y": "rate"})
        assert units == {i18n.t("churn.column.value"): "money", "x": "count", "y": "rate"}
    finally:
        i18n.use("en")


def test_customer_lists_get_working_columns(tmp_path, win_back):
    path = write_action_lists(
        tmp_path / "a.xlsx", {"Win-back": win_back, "Notes": pd.DataFrame({"a": [1]})}
    )
    wb = load_workbook(path)
    ws = wb["Win-back"]
    heads = [c.value for c in ws[1]]
    assert heads[-4:] == ["Owner", "Status", "Due date", "Note"]
    assert [ws.cell(r, _col(ws, "Status")).value for r in (2, 3, 4)] == ["Open"] * 3
    assert ws.cell(2, _col(ws, "Due date")).number_format == "yyyy-mm-dd"
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == '"Open,In progress,Done,No answer"'
    col = ws.cell(1, _col(ws, "Status")).column_letter
    assert str(dv[0].sqref) == f"{col}2:{col}4"
    assert [c.value for c in wb["Notes"][1]] == ["a"]  # not a customer list: left as is


def test_summary_lists_every_sheet_with_size_and_value_and_no_formula(tmp_path, win_back):
    path = tmp_path / "a.xlsx"
    write_action_lists(path, {"Win-back": win_back}, currency="EUR")
    plan = pd.DataFrame(
        {i18n.t("strategy.col.customer_id"): ["1", "2"], i18n.t("strategy.col.value"): [10.5, 20.0]}
    )
    write_action_lists(path, {"Champions": plan}, currency="EUR")  # a later step adds a list
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "Win-back", "Champions"]
    ws = wb["Summary"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4, max_row=5)]
    assert rows[0][:3] == ["Win-back", 3, 2050]
    assert rows[1][:3] == ["Champions", 2, 30.5]
    assert all(c.data_type != "f" for s in wb.worksheets for r in s.iter_rows() for c in r)
    assert ws.cell(4, 3).number_format == '"€"#,##0'
    assert (
        ws.cell(4, 1).hyperlink.location == "'Win-back'!A1"
        or ws.cell(4, 1).hyperlink.target == "#'Win-back'!A1"
    )


def test_currency_defaults_to_the_runs(tmp_path, win_back):
    style.apply("en", currency="GBP")
    try:
        path = write_action_lists(tmp_path / "a.xlsx", {"Win-back": win_back})
    finally:
        style.apply("en")
    ws = load_workbook(path)["Win-back"]
    assert ws.cell(2, _col(ws, i18n.t("churn.column.value"))).number_format == '"£"#,##0'


def test_unknown_in_the_readers_language(tmp_path):
    i18n.use("zh")
    try:
        df = pd.DataFrame(
            {
                i18n.t("churn.column.customer"): ["1", "2"],
                i18n.t("churn.column.region"): pd.array(["Unknown", "华东"], dtype="string"),
            }
        )
        path = write_action_lists(tmp_path / "a.xlsx", {"x": df})
        back = pd.read_excel(path, sheet_name="x", dtype=str)
        assert back[i18n.t("churn.column.region")].tolist() == ["未知", "华东"]
    finally:
        i18n.use("en")
