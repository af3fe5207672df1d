"""Data-quality checks on the canonical tables.

Errors (unreadable values, missing columns) stop the run and are listed all at once by
`intake`. The checks here are *findings*: counted, located and reported in the data-audit
playbook; rows are kept or excluded as each finding states, never dropped silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from clientbook.data import fast
from clientbook.data.contract import DATE_COLUMNS, ID_COLUMNS
from clientbook.data.intake import ROW

MAX_ROWS_KEPT = 20


@dataclass
class Finding:
    table: str
    file: str
    check: str  # refunds | duplicates | missing_ids | future_dates | orphans | duplicate_ids
    column: str | None
    count: int
    action: str  # kept | excluded
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _text(v: object) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def _finding(table: str, file: str, check: str, column: str | None, df: pd.DataFrame,
             mask: pd.Series, action: str, sample_col: str | None = None) -> Finding | None:
    n = int(mask.sum())
    if n == 0:
        return None
    hit = df[mask]
    col = sample_col or column
    samples = [_text(v) for v in hit[col].head(5)] if col and col in hit else []
    return Finding(table, file, check, column, n, action,
                   [int(r) for r in hit[ROW].head(MAX_ROWS_KEPT)], samples)


def check_table(table: str, df: pd.DataFrame, file: str, as_of: pd.Timestamp
                ) -> tuple[pd.DataFrame, list[Finding]]:
    """Findings for one table, and the table with excluded rows removed."""
    found: list[Finding | None] = []
    keep = pd.Series(True, index=df.index)
    data_cols = [c for c in df.columns if c != ROW]

    id_col = ID_COLUMNS.get(table)
    must_have = [c for c in (id_col, "customer_id" if table == "orders" else None) if c]
    for c in must_have:
        if c in df:
            m = df[c].isna()
            found.append(_finding(table, file, "missing_ids", c, df, m, "excluded", ROW))
            keep &= ~m

    dup = df.duplicated(subset=data_cols, keep="first")
    found.append(_finding(table, file, "duplicates", None, df, dup & keep, "excluded",
                          id_col if id_col in df else None))
    keep &= ~dup

    date_col = DATE_COLUMNS.get(table)
    if date_col and date_col in df:
        fut = df[date_col] > as_of
        found.append(_finding(table, file, "future_dates", date_col, df, fut & keep, "excluded"))
        keep &= ~fut

    if table == "orders":
        found.append(_finding(table, file, "refunds", "amount", df, (df["amount"] < 0) & keep,
                              "kept"))
    if table == "customers":
        dup_id = df["customer_id"].duplicated(keep="first") & keep
        found.append(_finding(table, file, "duplicate_ids", "customer_id", df, dup_id,
                              "excluded"))
        keep &= ~dup_id
    return df[keep].reset_index(drop=True), [f for f in found if f is not None]


def orphans(table: str, df: pd.DataFrame, file: str, known: pd.Series) -> Finding | None:
    """Rows whose customer_id is not a known customer (kept: the customer is derived)."""
    if "customer_id" not in df:
        return None
    m = df["customer_id"].notna() & ~fast.isin(df["customer_id"], known)
    action = "kept" if table == "orders" else "kept (no customer attributes)"
    return _finding(table, file, "orphans", "customer_id", df, m, action)
