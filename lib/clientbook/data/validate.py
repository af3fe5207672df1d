"""Data-quality checks on the canonical tables.

Errors (unreadable values, missing columns) stop the run and are listed all at once by
`intake`. The checks here are *findings*: counted, located and reported in the data-audit
playbook; rows are kept or excluded as each finding states, never dropped silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from clientbook.data import fast
from clientbook.data.contract import (
    CSAT_SCALE,
    DATE_COLUMNS,
    ID_COLUMNS,
    NPS_RANGE,
    PLACEHOLDER_IDS,
    SCHEMAS,
)
from clientbook.data.intake import ROW

MAX_ROWS_KEPT = 20


@dataclass
class Finding:
    table: str
    file: str
    # refunds | duplicates | missing_ids | placeholder_ids | missing_values | future_dates |
    # orphans | duplicate_ids | out_of_range | negative_durations | non_positive_quantity |
    # conflicting_values | region_ties | several_regions
    check: str
    column: str | None
    count: int
    action: str  # kept | excluded | blanked (the value emptied, the row kept), + a note
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _text(v: object) -> str:
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def _finding(
    table: str,
    file: str,
    check: str,
    column: str | None,
    df: pd.DataFrame,
    mask: pd.Series,
    action: str,
    sample_col: str | None = None,
) -> Finding | None:
    n = int(mask.sum())
    if n == 0:
        return None
    hit = df[mask]
    col = sample_col or column
    samples = [_text(v) for v in hit[col].head(5)] if col and col in hit else []
    return Finding(
        table,
        file,
        check,
        column,
        n,
        action,
        [int(r) for r in hit[ROW].head(MAX_ROWS_KEPT)],
        samples,
    )


def _placeholder(s: pd.Series) -> pd.Series:
    return s.notna() & s.astype("string").str.strip().str.lower().isin(PLACEHOLDER_IDS)


def check_table(
    table: str,
    df: pd.DataFrame,
    file: str,
    as_of: pd.Timestamp,
    csat_scale: tuple[float, float] = CSAT_SCALE,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Findings for one table, and the table with excluded rows removed / bad values blanked."""
    found: list[Finding | None] = []
    keep = pd.Series(True, index=df.index)
    data_cols = [c for c in df.columns if c != ROW]

    id_col = ID_COLUMNS.get(table)
    must_have = [c for c in (id_col, "customer_id" if table == "orders" else None) if c]
    for c in must_have:
        if c in df:
            ph = _placeholder(df[c])
            found.append(_finding(table, file, "placeholder_ids", c, df, ph & keep, "excluded"))
            keep &= ~ph
            m = df[c].isna()
            found.append(_finding(table, file, "missing_ids", c, df, m & keep, "excluded", ROW))
            keep &= ~m
    if "customer_id" in df and "customer_id" not in must_have:
        ph = _placeholder(df["customer_id"])
        found.append(
            _finding(table, file, "placeholder_ids", "customer_id", df, ph, "blanked (no customer)")
        )
        df = df.assign(customer_id=df["customer_id"].mask(ph))
    for col in SCHEMAS[table]:
        if col.required and col.name not in must_have and col.name in df:
            m = df[col.name].isna() & keep
            found.append(_finding(table, file, "missing_values", col.name, df, m, "excluded", ROW))
            keep &= ~m

    dup = df.duplicated(subset=data_cols, keep="first")
    found.append(
        _finding(
            table,
            file,
            "duplicates",
            None,
            df,
            dup & keep,
            "excluded",
            id_col if id_col in df else None,
        )
    )
    keep &= ~dup

    date_col = DATE_COLUMNS.get(table)
    if date_col and date_col in df:
        fut = df[date_col] > as_of
        found.append(_finding(table, file, "future_dates", date_col, df, fut & keep, "excluded"))
        keep &= ~fut

    if table == "orders":
        found.append(
            _finding(table, file, "refunds", "amount", df, (df["amount"] < 0) & keep, "kept")
        )
        if "quantity" in df:
            q = (df["quantity"] <= 0) & (df["amount"] >= 0) & keep
            found.append(
                _finding(
                    table, file, "non_positive_quantity", "quantity", df, q, "blanked (line kept)"
                )
            )
            df = df.assign(quantity=df["quantity"].mask(q))
    if table == "surveys":
        for col, (lo, hi) in (("nps_score", NPS_RANGE), ("csat_score", csat_scale)):
            if col in df:
                out = (df[col] < lo) | (df[col] > hi)
                found.append(
                    _finding(
                        table,
                        file,
                        "out_of_range",
                        col,
                        df,
                        out & keep,
                        f"blanked (outside {lo:g}-{hi:g})",
                    )
                )
                df = df.assign(**{col: df[col].mask(out)})
    if table == "tickets" and "opened_at" in df:
        for col in ("first_response_at", "resolved_at"):
            if col in df:
                neg = (df[col] < df["opened_at"]) & keep
                found.append(
                    _finding(
                        table,
                        file,
                        "negative_durations",
                        col,
                        df,
                        neg,
                        "excluded (before opened_at)",
                    )
                )
                keep &= ~neg
    if table == "customers":
        dup_id = df["customer_id"].duplicated(keep="first") & keep
        found.append(_finding(table, file, "duplicate_ids", "customer_id", df, dup_id, "excluded"))
        keep &= ~dup_id
    return df[keep].reset_index(drop=True), [f for f in found if f is not None]


def collapse_customers(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Finding]]:
    """Customers read from a file with one row per order line: one row per customer.

    Each attribute takes the customer's most frequent value (ties: the first in the file);
    customers whose rows disagree are a `conflicting_values` finding per column, not
    duplicate ids.
    """
    found: list[Finding] = []
    valid = df[df["customer_id"].notna()]
    first = valid.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    out = first.copy()
    for col in [c for c in df.columns if c not in ("customer_id", ROW)]:
        vals = valid[["customer_id", col, ROW]].dropna(subset=[col])
        if vals.empty:
            continue
        counts = (
            vals.groupby(["customer_id", col], observed=True, sort=False)
            .agg(n=(ROW, "size"), first=(ROW, "min"))
            .reset_index()
            .sort_values(["customer_id", "n", "first"], ascending=[True, False, True])
        )
        distinct = counts.groupby("customer_id", observed=True)[col].size()
        best = counts.drop_duplicates("customer_id").set_index("customer_id")[col]
        out[col] = best.reindex(out.index)
        multi = distinct[distinct > 1].index
        if len(multi):
            hit = valid[valid["customer_id"].isin(multi)]
            found.append(
                Finding(
                    "customers",
                    file,
                    "conflicting_values",
                    col,
                    len(multi),
                    "kept (the customer's most frequent value)",
                    [int(r) for r in hit[ROW].head(MAX_ROWS_KEPT)],
                    [str(c) for c in multi[:5]],
                )
            )
    rest = df[df["customer_id"].isna()]
    return pd.concat([out.reset_index(), rest], ignore_index=True), found


def orphans(table: str, df: pd.DataFrame, file: str, known: pd.Series) -> Finding | None:
    """Rows whose customer_id is not a known customer (kept: the customer is derived)."""
    if "customer_id" not in df:
        return None
    m = df["customer_id"].notna() & ~fast.isin(df["customer_id"], known)
    action = "kept" if table == "orders" else "kept (no customer attributes)"
    return _finding(table, file, "orphans", "customer_id", df, m, action)
