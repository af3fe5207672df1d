"""Every table and chart label goes through present.numbers: the run's currency and language,
dates as dates, no <NA> or nan, the dataset's Unknown in the reader's language."""

from __future__ import annotations

import pandas as pd
import pytest

from clientbook.present import i18n, playbook, style


@pytest.fixture(autouse=True)
def _reset():
    yield
    i18n.use("en")
    style.use("en", None)


def test_style_money_and_pct_follow_the_run():
    style.use("en", "USD")
    assert style.money(1_234_567) == "$1.2M" and style.money(-35_400) == "-$35.4k"
    assert style.money(float("nan")) == "–"
    assert style.pct(0.1234) == "12%" and style.pct(0.1234, 1) == "12.3%"
    style.use("zh", "CNY")
    assert style.money(123_456) == "¥12.3万" and style.money(345_000_000) == "¥3.5亿"
    style.use("en", None)
    assert style.money(35_400) == "35.4k"


def test_format_table_by_column_kind():
    style.use("en", "EUR")
    df = pd.DataFrame(
        {
            "segment": ["A", "B"],
            "share": [0.1234, None],
            "revenue": [1_500_000.0, 980.0],
            "customers": [34700, 3005],
            "avg": [33970.8, 2.25],
            "first": pd.to_datetime(["2025-11-06", "2025-01-02"]),
        }
    )
    out = playbook.format_table(df, percent=["share"], money=["revenue"])
    assert out["share"].tolist() == ["12.3%", ""]
    assert out["revenue"].tolist() == ["€1.5M", "€980"]
    assert out["customers"].tolist() == ["34,700", "3,005"]
    assert out["avg"].tolist() == ["33,970.8", "2.2"]  # digits=1 (banker's rounding of 2.25)
    assert out["first"].tolist() == ["2025-11-06", "2025-01-02"]
    assert out["segment"].tolist() == ["A", "B"]


def test_shown_tables_read_as_text_for_people():
    i18n.use("zh")
    df = pd.DataFrame(
        {
            "region": pd.array(["Unknown", None, "华东"], dtype="string"),
            "last": pd.to_datetime(["2025-11-06", None, "2025-11-07"]),
        }
    )
    shown = playbook._dates_as_text(df)
    assert shown["region"].tolist() == ["未知", "", "华东"]
    assert shown["last"].tolist() == ["2025-11-06", "", "2025-11-07"]
