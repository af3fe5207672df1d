"""The slice of a client's book that one playbook run looks at.

A `Book` is what every playbook works on: the canonical tables (see docs/data-contract.md),
already filtered to one slice, plus the dates that frame the slice. Lib functions take the
DataFrames they need (``book.orders``, ...) or the whole `Book`; they never read files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "dataset.json"


@dataclass(frozen=True)
class Period:
    """A calendar period: month, quarter or year."""

    label: str  # "2025-07", "2025-Q3", "2025"
    start: pd.Timestamp
    end: pd.Timestamp  # inclusive: last instant of the period

    @classmethod
    def of(cls, when: pd.Timestamp, freq: str) -> Period:
        p = pd.Period(when, freq=_PANDAS_FREQ[freq])
        return cls(period_label(p, freq), p.start_time, p.end_time)

    @classmethod
    def parse(cls, label: str, freq: str) -> Period:
        text = label.replace("-Q", "Q") if freq == "quarter" else label
        p = pd.Period(text, freq=_PANDAS_FREQ[freq])
        return cls(period_label(p, freq), p.start_time, p.end_time)

    def previous(self, freq: str) -> Period:
        return Period.of(self.start - pd.Timedelta(days=1), freq)


_PANDAS_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


def period_label(p: pd.Period, freq: str) -> str:
    if freq == "month":
        return f"{p.year}-{p.month:02d}"
    if freq == "quarter":
        return f"{p.year}-Q{p.quarter}"
    return f"{p.year}"


def period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """Period label per date, e.g. '2025-Q3' for quarter."""
    p = dates.dt.to_period(_PANDAS_FREQ[freq])
    if freq == "month":
        return p.dt.strftime("%Y-%m").astype("string")
    if freq == "quarter":
        return (p.dt.year.astype(str) + "-Q" + p.dt.quarter.astype(str)).astype("string")
    return p.dt.year.astype(str).astype("string")


def rows_between(
    df: pd.DataFrame, column: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The rows of `df` whose `column` (a date) lies between `start` and `end`, inclusive."""
    d = pd.to_datetime(df[column])
    return df[(d >= start) & (d <= end)]


@dataclass
class Book:
    """One slice of the client's book, ready for analysis."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    surveys: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    leads: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    marketing: pd.DataFrame | None = None
    slice_id: str = "all"
    slice_label: str = "All customers"
    as_of: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.now().normalize())
    period: Period | None = None  # the "current" window: last period, or the slice's period
    period_freq: str = "quarter"
    region: str | None = None  # set on region slices
    manifest: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # the audit's analysis settings
    output_dir: Path = field(default_factory=lambda: Path("outputs/lab/all"))
    lang: str = "en"
    # {table: digest of the dataset file the slice was cut from, "slice": how it was cut};
    # empty for a Book made in memory (then derived tables hash the frames themselves).
    data_digests: dict[str, str] = field(default_factory=dict)

    @property
    def previous_period(self) -> Period | None:
        return self.period.previous(self.period_freq) if self.period else None

    def has(self, table: str) -> bool:
        df = getattr(self, table)
        return df is not None and len(df) > 0

    def window(self, scope: str = "period") -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The dates a figure of `scope` covers (first and last day, inclusive).

        `period`: the current period (a period slice's own; for `all` and region slices the
        last period in the data). `to_date`: from the first order to the period's end.
        `as_of`: the period's last day (a state at the window end). None without a period.
        """
        if self.period is None:
            return None
        end = self.period.end.normalize()
        if scope == "period":
            return self.period.start.normalize(), end
        if scope == "to_date":
            first = self.orders["order_date"].min() if len(self.orders) else pd.NaT
            return (end if pd.isna(first) else min(first.normalize(), end)), end
        if scope == "as_of":
            return end, end
        raise ValueError(f"unknown scope {scope!r}")


def read_manifest(dataset_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(dataset_dir) / MANIFEST).read_text(encoding="utf-8"))
