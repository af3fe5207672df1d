"""The one formatter: each unit as a reader expects it, and never a 'nan' in a deliverable."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from clientbook.present.numbers import MISSING, compact, format_change, format_number, money


@pytest.mark.parametrize(
    ("value", "unit", "kw", "expected"),
    [
        (1234, "count", {}, "1,234"),
        (0.1234, "rate", {}, "12.3%"),
        (29.4, "score", {}, "29"),
        (1_234_567, "money", {"currency": "USD"}, "$1.2M"),
        (35_400, "money", {"currency": "chf"}, "CHF 35.4k"),
        (-35_400, "money", {"currency": "EUR"}, "-€35.4k"),
        (920, "money", {}, "920"),
        (123_456, "money", {"lang": "zh", "currency": "CNY"}, "¥12.3万"),
        (345_000_000, "money", {"lang": "zh", "currency": "CNY"}, "¥3.5亿"),
        (2.25, "days", {}, "2.2 d"),
        (3.5, "hours", {"lang": "zh"}, "3.5 小时"),
        (1.856, "ratio", {}, "1.86"),
    ],
)
def test_units(value, unit, kw, expected):
    assert format_number(value, unit, **kw) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), math.inf, pd.NA, pd.NaT])
def test_missing_is_a_dash_never_nan(missing):
    assert format_number(missing, "money", currency="USD") == MISSING
    assert format_change(missing, "rate") == MISSING


def test_unknown_unit_is_an_error():
    with pytest.raises(ValueError, match="unknown unit"):
        format_number(1, "percentish")


def test_changes():
    assert format_change(0.021, "rate") == "+2.1 pp"
    assert format_change(-0.021, "rate", lang="zh") == "-2.1 个百分点"
    assert format_change(-1500, "money", currency="USD") == "-$1.5k"
    assert format_change(12, "count") == "+12"


def test_compact_and_exact():
    assert compact(999) == "999" and compact(1000) == "1.0k" and compact(2.5e9) == "2.5B"
    assert money(1234.5, exact=True, currency="GBP") == "£1,234.50"
