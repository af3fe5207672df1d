"""actions.xlsx: one sheet per list, formatted, readable back, other steps' sheets kept."""

import pandas as pd
from openpyxl import load_workbook

from clientbook.deliver.xlsx import sheet_name, write_action_lists


def test_write_read_back_and_format(tmp_path):
    df = pd.DataFrame(
        {
            "Customer": ["007", "012"],
            "Value": [1200.5, 80.0],
            "Last purchase": pd.to_datetime(["2024-01-02", "2024-03-04"]),
            "备注": ["客户经理致电", None],
        }
    )
    path = write_action_lists(tmp_path / "slice" / "actions.xlsx", {"Win-back": df})
    back = pd.read_excel(path, sheet_name="Win-back", dtype={"Customer": str})
    assert back["Customer"].tolist() == ["007", "012"]  # leading zeros survive
    assert back["Value"].tolist() == [1200.5, 80.0]
    assert back["备注"].iloc[0] == "客户经理致电" and pd.isna(back["备注"].iloc[1])
    ws = load_workbook(path)["Win-back"]
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1])
    assert ws.column_dimensions["D"].width >= 12  # CJK text counts double
    assert [p.name for p in path.parent.iterdir()] == ["actions.xlsx"]  # no temp file left


def test_replaces_same_name_and_keeps_others(tmp_path):
    path = tmp_path / "actions.xlsx"
    write_action_lists(
        path, {"Win-back": pd.DataFrame({"a": [1]}), "Plan": pd.DataFrame({"b": [2]})}
    )
    write_action_lists(
        path, {"Win-back": pd.DataFrame({"a": [9, 8]}), "Cross-sell": pd.DataFrame({"c": [3]})}
    )
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "Win-back", "Plan", "Cross-sell"]  # summary first
    assert pd.read_excel(path, sheet_name="Win-back")["a"].tolist() == [9, 8]
    assert pd.read_excel(path, sheet_name="Plan")["b"].tolist() == [2]


def test_sheet_names_are_made_valid():
    assert sheet_name("At risk: top/value [2024]?") == "At risk- top-value -2024--"
    assert len(sheet_name("x" * 40)) == 31


def test_empty_list_still_writes_headers(tmp_path):
    path = write_action_lists(tmp_path / "a.xlsx", {"Win-back": pd.DataFrame(columns=["Rank"])})
    assert pd.read_excel(path, sheet_name="Win-back").columns.tolist() == ["Rank"]


def test_file_is_readable_by_others_like_any_deliverable(tmp_path):
    import os
    import stat

    path = write_action_lists(tmp_path / "a.xlsx", {"x": pd.DataFrame({"a": [1]})})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
