"""One formatter for every figure in every deliverable, driven by the figure's unit.

Units (the metric registry declares one per KPI): ``count`` (1,234), ``money`` (with the
audit's ISO currency: "USD 1.2M"; Chinese: "¥1.2万", "3.4亿"), ``rate`` (a share 0..1 shown as
12.3%), ``score`` (NPS-like points, 29), ``days`` / ``hours`` / ``minutes`` (durations),
``ratio`` (a plain number, 1.85), ``text``. A missing value (None, NaN, NaT, inf) is "–" and
never "nan": no deliverable shows a missing number as text.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MISSING = "–"
UNITS = ("count", "money", "rate", "score", "days", "hours", "minutes", "ratio", "text")
# Symbols read naturally in front of an amount; every other ISO code is written as a prefix.
_SYMBOL = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
_DURATION = {"days": ("d", "天"), "hours": ("h", "小时"), "minutes": ("min", "分钟")}


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        f = float(value)
    except (TypeError, ValueError):
        return False
    return math.isnan(f) or math.isinf(f)


def compact(x: float, lang: str = "en", digits: int = 1) -> str:
    """Large numbers shortened for a reader of `lang`: 1.2M / 35.4k, or 1.2万 / 3.4亿."""
    a = abs(x)
    if lang == "zh":
        if a >= 1e8:
            return f"{x / 1e8:.{digits}f}亿"
        if a >= 1e4:
            return f"{x / 1e4:.{digits}f}万"
        return f"{x:,.0f}"
    if a >= 1e9:
        return f"{x / 1e9:.{digits}f}B"
    if a >= 1e6:
        return f"{x / 1e6:.{digits}f}M"
    if a >= 1e3:
        return f"{x / 1e3:.{digits}f}k"
    return f"{x:,.0f}"


def money(x: float, lang: str = "en", currency: str | None = None, exact: bool = False) -> str:
    """An amount with its currency: "$1.2M", "EUR 35.4k", "¥1.2万"; `exact` gives 1,234.50."""
    body = f"{abs(x):,.2f}" if exact else compact(abs(x), lang)
    sign = "-" if x < 0 else ""
    if not currency:
        return sign + body
    code = currency.upper()
    sym = _SYMBOL.get(code)
    return f"{sign}{sym}{body}" if sym else f"{sign}{code} {body}"


def format_number(
    value: Any,
    unit: str,
    *,
    lang: str = "en",
    currency: str | None = None,
    digits: int | None = None,
) -> str:
    """The one way a figure becomes text in a report, index, slide, deck or spreadsheet label."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    if is_missing(value):
        return MISSING
    if unit == "text":
        return str(value)
    x = float(value)
    if unit == "count":
        return f"{x:,.0f}"
    if unit == "money":
        return money(x, lang, currency)
    if unit == "rate":
        return f"{x * 100:.{1 if digits is None else digits}f}%"
    if unit == "score":
        return f"{x:.{0 if digits is None else digits}f}"
    if unit in _DURATION:
        en, zh = _DURATION[unit]
        return f"{x:,.{1 if digits is None else digits}f} {zh if lang == 'zh' else en}"
    return f"{x:,.{2 if digits is None else digits}f}"


def format_change(change: Any, unit: str, *, lang: str = "en", currency: str | None = None) -> str:
    """A change between two values of `unit`: percentage points for rates, signed otherwise."""
    if is_missing(change):
        return MISSING
    c = float(change)
    sign = "+" if c >= 0 else "-"
    if unit == "rate":
        return f"{c * 100:+.1f} {'个百分点' if lang == 'zh' else 'pp'}"
    return sign + format_number(abs(c), unit, lang=lang, currency=currency)
