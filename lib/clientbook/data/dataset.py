"""The normalized, validated dataset of one run, and the slices cut from it.

raw export (never modified) -> `build` -> outputs/<audit>/dataset/*.parquet + dataset.json
-> `load_slice` -> a `Book` per playbook run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from clientbook.config.audit_file import TABLES, Audit, unique_slugs
from clientbook.data import contract, fast, intake, validate
from clientbook.data.book import MANIFEST, Book, Period, period_labels, read_manifest
from clientbook.data.intake import ROW, DataError

UNKNOWN = "Unknown"
# The lead funnel's stages when the audit names none (settings `funnel_stages`); the sales step
# and the period cut read the same list.
FUNNEL_STAGES = ("lead", "qualified", "proposal", "negotiation", "won")


def funnel_stages(settings: dict[str, Any] | None) -> list[str]:
    """Funnel stages from the audit's settings (``funnel_stages``, or
    ``sales.funnel_stages``), else `FUNNEL_STAGES`."""
    settings = settings or {}
    scoped = settings.get("sales") if isinstance(settings.get("sales"), dict) else {}
    stages = scoped.get("funnel_stages") or settings.get("funnel_stages") or FUNNEL_STAGES
    return [str(s) for s in stages]


@dataclass(frozen=True)
class Slice:
    id: str  # all | region-<slug> | period-<label> | region-<slug>-period-<label>
    kind: str  # all | region | period | region_period
    value: str | None  # region name or period label (region_period: the period label)
    label: str  # what a consultant reads
    region: str | None = None  # region_period: the region name


def slide_charts(audit: Audit) -> bool:
    """Whether the playbooks draw each chart a second time for slides (no title, 16:9, 150+ dpi):
    only when the audit delivers slides or a deck. About half of a small slice's notebook time
    goes into drawing charts, so a run of reports only skips it."""
    return bool({"slides", "pptx"} & set(audit.outputs))


def default_as_of(audit: Audit) -> pd.Timestamp:
    return pd.Timestamp(audit.as_of) if audit.as_of else pd.Timestamp.now().normalize()


def read_tables(audit: Audit) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Every source read into its canonical table; raises DataError listing all problems."""
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, Any] = {}
    problems: list[intake.Problem] = []
    for table, source in audit.sources.items():
        path = audit.resolve(source.path)
        df, found = intake.load_source(table, source, path)
        problems += found
        tables[table] = df
        sources[table] = {
            "file": str(path),
            "rows": len(df),
            "dates": df.attrs.get("date_orders", []),
            "left_out": df.attrs.get("left_out", 0),
        }
    if problems:
        raise DataError(problems)
    return tables, sources


def _mode_by_customer(orders: pd.DataFrame, col: str) -> pd.Series:
    """Each customer's most frequent `col` in orders (ties: the smallest value, as
    `Series.mode` sorts), vectorised: one count per (customer, value), no Python per group."""
    counts = (
        orders.dropna(subset=[col])
        .groupby(["customer_id", col], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    counts = counts.sort_values(
        ["customer_id", "n", col], ascending=[True, False, True], kind="stable"
    )
    first = counts.drop_duplicates("customer_id")
    return first.set_index("customer_id")[col]


def _region_of_customers(
    orders: pd.DataFrame, file: str
) -> tuple[pd.Series, list[validate.Finding]]:
    """Each customer's region from their orders: the region with most order lines; a tie goes
    to the region with the larger sales, then the alphabetically first. Ties and customers who
    buy in several regions are findings (the attribution is a choice: slicing.region_from)."""
    o = orders.dropna(subset=["region"])
    if o.empty:
        return pd.Series(dtype="string"), []
    g = (
        o.groupby(["customer_id", "region"], observed=True)
        .agg(lines=("region", "size"), sales=("amount", "sum"))
        .reset_index()
    )
    g = g.sort_values(
        ["customer_id", "lines", "sales", "region"], ascending=[True, False, False, True]
    )
    best = g.drop_duplicates("customer_id").set_index("customer_id")["region"]
    top = g.groupby("customer_id", observed=True)["lines"].transform("max")
    tied = g[g["lines"] == top].groupby("customer_id", observed=True)["region"].agg(list)
    tied = tied[tied.map(len) > 1]
    found: list[validate.Finding] = []
    n_regions = g.groupby("customer_id", observed=True).size()
    several = n_regions[n_regions > 1]
    if len(several):
        found.append(
            validate.Finding(
                "orders",
                file,
                "several_regions",
                "region",
                len(several),
                f"kept ({len(several) / len(n_regions):.0%} of customers; each counted in one "
                "region; slicing.region_from: order counts each region's own orders)",
                [],
                [str(c) for c in several.index[:5]],
            )
        )
    if len(tied):
        found.append(
            validate.Finding(
                "orders",
                file,
                "region_ties",
                "region",
                len(tied),
                "kept (tie resolved: the region with the larger sales, then the first by name)",
                [],
                [f"{c}: {' / '.join(map(str, r))} -> {best[c]}" for c, r in tied.head(5).items()],
            )
        )
    return best, found


def _derive_customers(
    orders: pd.DataFrame, customers: pd.DataFrame | None, file: str = ""
) -> tuple[pd.DataFrame, list[validate.Finding]]:
    """Customers as the book knows them: the customers table plus anyone seen in orders.

    Region, channel and segment of a customer only seen in orders: the most frequent value of
    their orders (region ties are reported, see `_region_of_customers`).
    """
    findings: list[validate.Finding] = []
    first = orders.groupby("customer_id", observed=True)["order_date"].min().rename("first_order")
    seen = first.reset_index()
    known = (
        customers["customer_id"]
        if customers is not None and not customers.empty
        else pd.Series(dtype="string")
    )
    for col in ("region", "channel", "segment"):
        if col not in orders:
            continue
        if col == "region":
            new = orders[~orders["customer_id"].isin(known)]
            mode, findings = _region_of_customers(new, file)
        else:
            mode = _mode_by_customer(orders, col)
        mode = mode.rename(col).rename_axis("customer_id").reset_index()
        seen = seen.merge(mode, on="customer_id", how="left")
    if customers is None or customers.empty:
        out = seen.rename(columns={"first_order": "signup_date"})
    else:
        extra = seen[~fast.isin(seen["customer_id"], customers["customer_id"])]
        out = pd.concat(
            [customers.drop(columns=[ROW], errors="ignore"), extra.drop(columns=["first_order"])],
            ignore_index=True,
        )
        out = out.merge(seen[["customer_id", "first_order"]], on="customer_id", how="left")
        if "signup_date" not in out:
            out["signup_date"] = pd.NaT
        out["signup_date"] = out["signup_date"].fillna(out["first_order"])
        out = out.drop(columns=["first_order"])
    for col in ("region", "channel"):
        if col not in out:
            out[col] = UNKNOWN
        out[col] = out[col].astype("string").fillna(UNKNOWN)
    out["customer_id"] = out["customer_id"].astype("string")
    return out.reset_index(drop=True), findings


def _same_file(audit: Audit, a: str, b: str) -> bool:
    sa, sb = audit.sources.get(a), audit.sources.get(b)
    return bool(
        sa
        and sb
        and audit.resolve(sa.path) == audit.resolve(sb.path)
        and (sa.sheet or 0) == (sb.sheet or 0)
    )


@dataclass
class Prepared:
    """The export read, checked and normalized, before anything is written."""

    tables: dict[str, pd.DataFrame]
    findings: list[validate.Finding]
    sources: dict[str, Any]
    as_of: pd.Timestamp


def prepare(audit: Audit) -> Prepared:
    """Read and check every source; raises DataError (every problem at once) when unusable."""
    tables, sources = read_tables(audit)
    as_of = default_as_of(audit)
    findings: list[validate.Finding] = []
    if audit.slicing.region_from == "order" and "region" not in tables["orders"]:
        raise DataError(
            [
                intake.Problem(
                    sources["orders"]["file"],
                    "slicing.region_from: order needs the orders' region "
                    "(map it: sources.orders.columns.region)",
                )
            ]
        )
    if "customers" in tables and _same_file(audit, "customers", "orders"):
        # customers read from the order file: one row per customer, not duplicate ids
        tables["customers"], found = validate.collapse_customers(
            tables["customers"], sources["customers"]["file"]
        )
        findings += found
    scale = audit.analysis.satisfaction.csat_scale
    clean: dict[str, pd.DataFrame] = {}
    for table, df in tables.items():
        kept, found = validate.check_table(
            table, df, sources[table]["file"], as_of, csat_scale=(float(scale[0]), float(scale[1]))
        )
        clean[table], findings = kept, findings + found
    if clean["orders"].empty:
        raise DataError([intake.Problem(sources["orders"]["file"], "no usable order rows")])
    known = clean["customers"]["customer_id"] if "customers" in clean else None
    if known is not None:
        for table in ("orders", "surveys", "tickets"):
            if table in clean:
                f = validate.orphans(table, clean[table], sources[table]["file"], known)
                findings += [f] if f else []
    clean["customers"], found = _derive_customers(
        clean["orders"], clean.get("customers"), sources["orders"]["file"]
    )
    findings += found
    if audit.slicing.region_from == "order":
        o = clean["orders"]
        clean["orders"] = o.assign(region=o["region"].astype("string").fillna(UNKNOWN))
    for f in findings:  # name the column as the client's file does
        header = audit.sources[f.table].columns.get(f.column or "")
        if header:
            f.column = f"{header} ({f.column})"
    return Prepared(clean, findings, sources, as_of)


def build(audit: Audit, out_dir: Path) -> dict[str, Any]:
    """Read, validate and normalize the export into `out_dir` (written whole, then moved in).

    Returns the manifest. Raises DataError (every problem at once) when data is unusable.
    """
    prep = prepare(audit)
    clean, findings, sources, as_of = prep.tables, prep.findings, prep.sources, prep.as_of
    orders, customers = clean["orders"], clean["customers"]
    freq = audit.slicing.period
    labels = sorted(period_labels(orders["order_date"], freq).unique())
    if audit.slicing.last_periods:
        labels = labels[-audit.slicing.last_periods :]
    shared = None
    if audit.slicing.region_from == "order":  # customers buying in the region
        regions = (
            orders.groupby("region", observed=True)["customer_id"]
            .nunique()
            .sort_values(ascending=False)
        )
        pairs = orders[["customer_id", "region"]].drop_duplicates()
        multi = pairs["customer_id"].map(pairs["customer_id"].value_counts()) > 1
        shared = pairs[multi].groupby("region", observed=True).size()
    else:
        regions = customers.groupby("region", observed=True).size().sort_values(ascending=False)
    slugs = unique_slugs([str(r) for r in regions.index])
    manifest = {
        "client": audit.client,
        "audit": audit.name,
        "lang": audit.lang,
        "currency": audit.currency,
        "slide_charts": slide_charts(audit),
        "as_of": as_of.isoformat(),
        "period_freq": freq,
        "periods": labels,
        "regions": [
            {
                "name": r,
                "slug": slugs[str(r)],
                "customers": int(n),
                **({"shared": int(shared.get(r, 0))} if shared is not None else {}),
            }
            for r, n in regions.items()
        ],
        "region_from": audit.slicing.region_from,
        "tables": {},
        "sources": sources,
        "findings": [f.as_dict() for f in findings],
        "targets": audit.targets,
        "settings": audit.settings,
        "slicing": audit.slicing.by,
    }
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for table, df in clean.items():
        df.to_parquet(tmp / f"{table}.parquet", index=False)
        manifest["tables"][table] = len(df)
    (tmp / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return manifest


def slices(manifest: dict[str, Any]) -> list[Slice]:
    """`all`, then every region (largest first), then every period (oldest first)."""
    out = [Slice("all", "all", None, "All customers")]
    if "region" in manifest["slicing"]:
        # Ids from the names, distinct and bounded whatever the names (the label keeps the
        # name as the client wrote it).
        slugs = unique_slugs([r["name"] for r in manifest["regions"]])
        out += [
            Slice(f"region-{slugs[r['name']]}", "region", r["name"], r["name"])
            for r in manifest["regions"]
        ]
    if "period" in manifest["slicing"]:
        out += [Slice(f"period-{p}", "period", p, p) for p in manifest["periods"]]
    if "region_period" in manifest["slicing"]:
        out += [
            Slice(
                f"region-{r['slug']}-period-{p}",
                "region_period",
                p,
                f"{r['name']} · {p}",
                region=r["name"],
            )
            for r in manifest["regions"]
            for p in manifest["periods"]
        ]
    return out


@lru_cache(maxsize=4)
def _tables(dataset_dir: str, stamp: float) -> dict[str, pd.DataFrame]:
    # Cached per kernel: a reused kernel reads the dataset once, not once per notebook.
    d = Path(dataset_dir)
    return {
        t: pd.read_parquet(d / f"{t}.parquet").drop(columns=[ROW], errors="ignore")
        for t in TABLES
        if (d / f"{t}.parquet").exists()
    }


@lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    # Keyed on size and mtime too, so a rebuilt file is read again; its bytes decide the digest,
    # so a dataset copied or linked into a new run keeps the digest of its content.
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def table_digests(dataset_dir: str | Path) -> dict[str, str]:
    """{table: digest of its Parquet file's bytes} for the tables of a built dataset.

    What a slice's derived tables are keyed on: hashing the loaded frames instead cost ~1.5 s
    per notebook at 3.4M order lines; a file's digest is computed once per kernel."""
    d = Path(dataset_dir).resolve()
    out = {}
    for t in TABLES:
        p = d / f"{t}.parquet"
        if p.exists():
            st = p.stat()
            out[t] = _file_digest(str(p), st.st_size, st.st_mtime_ns)
    return out


def load_tables(dataset_dir: str | Path) -> dict[str, pd.DataFrame]:
    d = Path(dataset_dir).resolve()
    stamp = (d / MANIFEST).stat().st_mtime
    # Shallow copies: with copy-on-write a notebook's edits never reach the cache.
    return {t: df.copy(deep=False) for t, df in _tables(str(d), stamp).items()}


def _cut_at(
    df: pd.DataFrame, table: str, end: pd.Timestamp, stages: list[str] | None = None
) -> pd.DataFrame:
    """The table as it stood at `end`: later rows gone, later events not yet happened.

    A lead closed after `end` was open at `end`: its status is "open", its close date
    unknown, and its stage at most the one before the last (a lead won later had not reached
    "won" yet; the funnel's stage history is not in the export, so a stage it reached after
    `end` cannot be told from one it held before, except the last).
    """
    date_col = contract.DATE_COLUMNS.get(table)
    if table == "customers":
        return df[df["signup_date"].isna() | (df["signup_date"] <= end)]
    if date_col is None:
        return df
    df = df[df[date_col] <= end]
    if table == "tickets":
        df = df.assign(
            **{
                c: df[c].where(df[c] <= end)
                for c in ("first_response_at", "resolved_at")
                if c in df
            }
        )
    if table == "leads" and "closed_date" in df:
        later = (df["closed_date"] > end).fillna(False)
        stages = stages or list(FUNNEL_STAGES)
        stage = df["stage"].astype("string")
        final = stage.str.strip().str.lower() == stages[-1].lower()
        capped = stage.mask(
            later & final.fillna(False), stages[-2] if len(stages) > 1 else stages[0]
        )
        df = df.assign(
            closed_date=df["closed_date"].where(~later),
            status=df["status"].where(~later, "open"),
            stage=capped,
        )
    return df


def _in_region(df: pd.DataFrame, table: str, region: str, ids: pd.Series) -> pd.DataFrame:
    if table in ("targets", "marketing"):
        return df[df["region"].isna() | (df["region"] == region)] if "region" in df else df
    if table == "leads" and "region" in df:
        return df[df["region"] == region]
    if "customer_id" in df:
        return df[fast.isin(df["customer_id"], ids)]
    return df


def load_slice(
    dataset_dir: str | Path, slice_id: str = "all", output_dir: str | Path | None = None
) -> Book:
    """The Book for one slice of a built dataset."""
    manifest = read_manifest(dataset_dir)
    tables = load_tables(dataset_dir)
    by_id = {
        s.id: s for s in slices({**manifest, "slicing": ["region", "period", "region_period"]})
    }
    if slice_id not in by_id:
        raise KeyError(f"unknown slice {slice_id!r}; slices are: {', '.join(by_id)}")
    sl = by_id[slice_id]
    freq = manifest["period_freq"]
    as_of = pd.Timestamp(manifest["as_of"])
    period = Period.parse(manifest["periods"][-1], freq)
    region = None
    if sl.kind in ("region", "region_period"):
        region = sl.region or sl.value
        cust = tables["customers"]
        ids = cust.loc[cust["region"] == region, "customer_id"]
        if manifest.get("region_from") == "order":  # the region's own order lines
            own = tables["orders"][tables["orders"]["region"] == region]
            ids = own["customer_id"].drop_duplicates()
            tables = {**tables, "orders": own}
        tables = {
            t: df
            if t == "orders" and manifest.get("region_from") == "order"
            else _in_region(df, t, region, ids)
            for t, df in tables.items()
        }
    if sl.kind in ("period", "region_period"):
        period = Period.parse(sl.value, freq)
        as_of = min(as_of, period.end.normalize() + pd.Timedelta(days=1))
        stages = funnel_stages(manifest.get("settings"))
        tables = {t: _cut_at(df, t, period.end, stages) for t, df in tables.items()}
    tables = {t: df.reset_index(drop=True) for t, df in tables.items()}
    out = Path(output_dir) if output_dir else Path(dataset_dir).parent / "lab" / slice_id
    return Book(
        customers=tables["customers"],
        orders=tables["orders"],
        surveys=tables.get("surveys"),
        tickets=tables.get("tickets"),
        leads=tables.get("leads"),
        targets=tables.get("targets"),
        marketing=tables.get("marketing"),
        slice_id=slice_id,
        slice_label=sl.label,
        as_of=as_of,
        period=period,
        period_freq=freq,
        region=region,
        manifest=manifest,
        settings={"targets": manifest.get("targets", {}), **manifest.get("settings", {})},
        output_dir=out,
        lang=manifest.get("lang", "en"),
        data_digests={
            **table_digests(dataset_dir),
            "slice": f"{slice_id}|{manifest.get('region_from')}|{manifest.get('as_of')}",
        },
    )
