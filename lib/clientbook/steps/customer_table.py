"""The per-slice customer table: every per-customer result, computed once per slice.

Classification (01), value (02), retention (06) and the action plan (08) all need the same
per-customer facts: segment, tier, behaviour, revenue, the BG/NBD + Gamma-Gamma forecast and
the churn risk. The first playbook of a slice that asks for them (`customer_table(book)`)
computes them and writes

- ``<slice>/derived/customers.parquet``: one row per customer with an order up to as_of;
- ``<slice>/derived/models.json``: the fitted models (parameters, fit diagnostics, the
  holdout check), whether the forecast is trusted and why not, the key below, and
  ``computed`` (how many times this folder's table was computed; 1 in a normal run).

Later playbooks read them. The files carry a key: a hash of the slice's orders and customers,
as_of, the classification / value / retention settings, the package version, the source of
the modules it is computed by, and the table's schema version. A table whose key differs
(another dataset, other settings, another version or code) is recomputed, never reused. A
playbook opened alone in JupyterLab computes what is missing.

Columns (customers.parquet):
- customer_id, region, channel, client_segment (the export's own segment column, if any);
- revenue, orders, first_order, last_order, margin: historical value to as_of (net of
  refunds; margin when cost is mapped), as `value.customer_value`;
- revenue_12m: revenue in the 12 months to the current period's end (the plan's value basis);
- recency_days, frequency, monetary, r, f, m, fm, rfm, rfm_first_order, rfm_last_order
  (first / last order with a positive amount), segment, tier, behaviour: the classification;
  persona_key: tier|behaviour|channel (named in the report's language when shown);
- p_alive, expected_purchases, expected_spend, clv: the forecast, empty (NA) unless trusted;
- churn_risk, churn_reasons: `churn.scores` (P(alive) blended in only when trusted);
- value_at_risk: churn_risk x revenue, THE value at risk (one definition:
  `churn.value_at_risk`);
- pv__*, risk__*: the forecast's and the churn score's working columns.

Customers with refunds only (no positive order) have revenue but no classification.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientbook.data.book import Book
from clientbook.steps import churn, classification, retention, value
from clientbook.steps.churn import value_at_risk

__all__ = ["CustomerTable", "customer_table", "value_at_risk"]

SCHEMA = 1
FOLDER = "derived"
TABLE = "customers.parquet"
MODELS = "models.json"
PV = "pv__"  # prefix of the forecast's working columns
RISK = "risk__"  # prefix of the churn score's working columns
CLASSIFICATION = ["first_order", "last_order", "frequency", "monetary", "recency_days",
                  "r", "f", "m", "fm", "rfm", "segment", "tier", "behaviour"]  # fmt: skip
# classification's first / last order count positive orders only; the value table's every line
RFM_DATES = {"first_order": "rfm_first_order", "last_order": "rfm_last_order"}
RISK_COLUMNS = [
    "purchases",
    "last_purchase",
    "days_since_last",
    "usual_interval_days",
    "overdue_ratio",
    "spend_trend",
    "p_alive",
    "risk",
    "reasons",
]  # churn.scores'
FORECAST = ["p_alive", "expected_purchases", "expected_spend", "clv"]


@dataclass
class CustomerTable:
    """What `customer_table` returns: the table, the model record, and where they are."""

    customers: pd.DataFrame  # see the module docstring; customer_id as a column
    models: dict[str, Any]  # models.json
    folder: Path | None = None
    reused: bool = False  # read from disk (True) or computed now (False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def trusted(self) -> bool:
        """Is the forecast shown? (fitted and passed every check of clv.diagnostics)"""
        return bool(self.models.get("forecast", {}).get("trusted"))

    @property
    def classified(self) -> pd.DataFrame:
        """The classification as `classification.classify` returns it (buying customers)."""
        c = self.customers[self.customers["segment"].notna()]
        attrs = [a for a in ("region", "channel") if a in c]
        c = c.rename(
            columns={
                **{v: k for k, v in RFM_DATES.items()},
                "first_order": "_f",
                "last_order": "_l",
            }
        )
        out = c[["customer_id", *CLASSIFICATION, *attrs]]
        return out.sort_values("customer_id", kind="mergesort").reset_index(drop=True)

    @property
    def value(self) -> pd.DataFrame:
        """The historical value table as `value.customer_value` returns it."""
        cols = ["revenue", "orders", "first_order", "last_order"]
        cols += [c for c in ("margin",) if c in self.customers]
        c = self.customers[self.customers["revenue"].notna()].set_index("customer_id")
        out = c[cols]
        for a, src in (("region", "region"), ("segment", "client_segment"), ("channel", "channel")):
            if src in c:
                out = out.assign(**{a: c[src]})
        return out.sort_values("revenue", ascending=False)

    def forecast(self) -> Any:
        """The value step's forecast: a PredictiveValue when trusted, else TooLittleData that
        says why (the same objects `value.forecast` returns)."""
        if "forecast" not in self._cache:
            self._cache["forecast"] = _forecast_from(self)
        return self._cache["forecast"]

    def holdout(self) -> Any:
        """The holdout check as `value.holdout_check` returns it."""
        if "holdout" not in self._cache:
            self._cache["holdout"] = _holdout_from(self.models.get("holdout") or {})
        return self._cache["holdout"]

    @property
    def churn(self) -> pd.DataFrame:
        """Churn risk per customer as `churn.scores` returns it (index customer_id)."""
        cols = [c for c in self.customers if c.startswith(RISK)]
        out = self.customers.set_index("customer_id")[cols]
        out = out.rename(columns={c: c[len(RISK) :] for c in cols})
        return out[out["risk"].notna()].sort_values("risk", ascending=False)

    def series(self, column: str) -> pd.Series:
        """One column indexed by customer_id."""
        return self.customers.set_index("customer_id")[column]


# ---------------------------------------------------------------- key and files


def _plain(cfg: Any) -> Any:
    """Settings as plain JSON-able data (a dict, or a settings model with model_dump)."""
    if hasattr(cfg, "model_dump"):
        cfg = cfg.model_dump()
    if isinstance(cfg, Mapping):
        return {str(k): _plain(v) for k, v in sorted(cfg.items(), key=lambda kv: str(kv[0]))}
    if isinstance(cfg, list | tuple):
        return [_plain(v) for v in cfg]
    return cfg if isinstance(cfg, str | int | float | bool) or cfg is None else str(cfg)


def _frame_hash(
    df: pd.DataFrame | None, columns: list[str], book: Book | None = None, table: str = ""
) -> str:
    """What a table of the slice holds: the digest of the dataset file it was cut from and how
    (plus its length, so a notebook that filtered `book.orders` in place is not served a stale
    table), or for a Book made in memory a hash of the frame's columns."""
    if df is None:
        return "none"
    if book is not None and table in book.data_digests and "slice" in book.data_digests:
        return f"{book.data_digests[table]}:{book.data_digests['slice']}:{len(df)}"
    cols = [c for c in columns if c in df]
    h = pd.util.hash_pandas_object(df[cols], index=False).to_numpy()
    return hashlib.sha256(h.tobytes() + ",".join(cols).encode()).hexdigest()[:16]


def settings_used(book: Book) -> dict[str, Any]:
    """The settings the table depends on (classification, value, retention), resolved."""
    return {
        "classification": _plain((book.settings or {}).get("classification") or {}),
        "value": _plain(value.settings(book.settings)),
        "retention": _plain(retention.settings(book.settings)),
    }


def code_hash() -> str:
    """The source of the modules the table comes from: a development edit without a new
    version number still makes the stored table stale."""
    from clientbook import clv

    files = [Path(m.__file__) for m in (classification, value, churn, retention)]
    files += [Path(__file__), *sorted(Path(clv.__file__).parent.glob("*.py"))]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def table_key(book: Book) -> dict[str, Any]:
    """What the table was computed from; a stored table is reused only on an equal key."""
    from clientbook import __version__

    period_end = book.period.end.isoformat() if book.period is not None else None
    return {
        "schema": SCHEMA,
        "version": __version__,
        "code": code_hash(),
        "slice_id": book.slice_id,
        "as_of": pd.Timestamp(book.as_of).isoformat(),
        "period_end": period_end,
        "orders": _frame_hash(
            book.orders, ["customer_id", "order_id", "order_date", "amount", "cost"], book, "orders"
        ),
        "customers": _frame_hash(
            book.customers,
            ["customer_id", "region", "channel", "segment", "signup_date"],
            book,
            "customers",
        ),
        "settings": hashlib.sha256(
            json.dumps(settings_used(book), sort_keys=True, default=str).encode()
        ).hexdigest()[:16],
    }


def folder_of(book: Book) -> Path:
    return Path(book.output_dir) / FOLDER


def _read(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    try:
        models = json.loads((folder / MODELS).read_text(encoding="utf-8"))
        return pd.read_parquet(folder / TABLE), models
    except (OSError, ValueError):
        return None


def _write(folder: Path, table: pd.DataFrame, models: dict[str, Any]) -> None:
    """Both files written next to their final names, then renamed (never half a table)."""
    from clientbook.present.results import to_jsonable

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{TABLE}.{os.getpid()}.tmp"
    table.to_parquet(tmp, index=False)
    tmp.replace(folder / TABLE)
    tmp = folder / f".{MODELS}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(to_jsonable(models), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(folder / MODELS)


def customer_table(book: Book, write: bool = True) -> CustomerTable:
    """The slice's customer table: read from `book.output_dir/derived` when its key matches
    this book, else computed (and written when `write`)."""
    folder = folder_of(book)
    key = table_key(book)
    stored = _read(folder)
    if stored is not None and stored[1].get("key") == key:
        return CustomerTable(stored[0], stored[1], folder, reused=True)
    before = int(stored[1].get("computed", 0)) if stored is not None else 0
    table, models = compute(book)
    models = {"key": key, "computed": before + 1, **models}
    if write:
        _write(folder, table, models)
    return CustomerTable(table, models, folder if write else None, reused=False)


# ---------------------------------------------------------------- computing it


def _revenue_12m(book: Book) -> pd.Series:
    """Revenue in the 12 months up to the current period's end (not a later export date)."""
    o = book.orders
    end = min(book.as_of, book.period.end) if book.period is not None else book.as_of
    year = o[(o["order_date"] > end - pd.Timedelta(days=365)) & (o["order_date"] <= end)]
    return year.groupby(year["customer_id"].astype("string"))["amount"].sum()


def compute(book: Book) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Classification, historical value, the trusted-or-not forecast and churn risk, joined."""
    orders, as_of = book.orders, book.as_of
    cv = value.customer_value(orders, book.customers, as_of)
    table = cv.rename(columns={"segment": "client_segment"})
    table.index = table.index.astype("string")
    classified = classification.classify(orders, book.customers, as_of, book.settings)
    cls = classified.set_index(classified["customer_id"].astype("string"))[CLASSIFICATION]
    cls = cls.rename(columns=RFM_DATES)
    table = table.join(cls, how="outer")  # same rows as both (future-dated orders)
    persona = table["tier"] + "|" + table["behaviour"]
    if "channel" in table:
        persona = persona + "|" + table["channel"].astype("string").fillna("")
    table["persona_key"] = persona
    table["revenue_12m"] = _revenue_12m(book).reindex(table.index).fillna(0.0)

    cfg = value.settings(book.settings)
    n_buyers = int(len(table))
    if n_buyers:
        pv, hc = value.forecast(orders, as_of, cfg)
    else:
        pv = value.TooLittleData("value.too_little.customers", 0, 0, int(cfg["min_customers"]))
        hc = value.TooLittleData("value.too_little.holdout", 0, 0)
    trusted = isinstance(pv, value.PredictiveValue)
    for c in FORECAST:
        table[c] = np.nan
    if trusted:
        f = pv.customers
        f.index = f.index.astype("string")
        for c in FORECAST:
            table[c] = f[c].reindex(table.index)
        for c in f.columns:
            table[PV + c] = f[c].reindex(table.index)

    rcfg = retention.settings(book.settings)
    if n_buyers:
        risk = churn.scores(orders, as_of, pv.customers["p_alive"] if trusted else None, rcfg)
        risk.index = risk.index.astype("string")
        for c in risk.columns:
            table[RISK + c] = risk[c].reindex(table.index)
        table["churn_risk"] = table[RISK + "risk"]
        table["churn_reasons"] = table[RISK + "reasons"]
    else:
        for c in RISK_COLUMNS:
            table[RISK + c] = pd.Series(
                pd.NA if c == "reasons" else np.nan,
                index=table.index,
                dtype="string" if c == "reasons" else "float64",
            )
        table["churn_risk"] = np.nan
        table["churn_reasons"] = pd.Series(pd.NA, index=table.index, dtype="string")
    table["value_at_risk"] = value_at_risk(table["churn_risk"], table["revenue"])
    table = table.rename_axis("customer_id").reset_index()
    return table, {
        "forecast": _forecast_record(pv, cfg),
        "holdout": _holdout_record(hc),
        "customers": n_buyers,
        "classified": int(table["segment"].notna().sum()),
    }


def _forecast_record(pv: Any, cfg: Any) -> dict[str, Any]:
    base = {"settings": _plain(cfg)}
    if isinstance(pv, value.PredictiveValue):
        return base | {
            "trusted": True,
            "reason": None,
            "reasons": [],
            "n_customers": len(pv.customers),
            "n_repeat": int((pv.customers["frequency"] > 0).sum()),
            "models": value.fit_record(pv.bgnbd, pv.gamma_gamma),
            "checks": pv.trust.checks if pv.trust else {},
            "as_of": pv.as_of,
            "unit": pv.unit,
            "horizon_months": pv.horizon_months,
            "annual_discount_rate": pv.annual_discount_rate,
            "uses_margin": pv.uses_margin,
            "spend_frequency_corr": pv.spend_frequency_corr,
        }
    fitted = dict(pv.fitted)
    return base | {
        "trusted": False,
        "reason": pv.reason,
        "reasons": list(pv.reasons),
        "n_customers": pv.n_customers,
        "n_repeat": pv.n_repeat,
        "needed": pv.needed,
        "detail": pv.detail,
        "checks": fitted.pop("checks", {}),
        "models": fitted,
    }


def _holdout_record(hc: Any) -> dict[str, Any]:
    if isinstance(hc, value.HoldoutCheck):
        return {
            "ok": True,
            "calibration_end": hc.calibration_end,
            "holdout_end": hc.holdout_end,
            "actual_total": hc.actual_total,
            "predicted_total": hc.predicted_total,
            "error": hc.error,
            "by_frequency": hc.by_frequency.reset_index().to_dict("list"),
        }
    return {
        "ok": False,
        "reason": hc.reason,
        "n_customers": hc.n_customers,
        "n_repeat": hc.n_repeat,
        "needed": hc.needed,
        "reasons": list(hc.reasons),
    }


# ---------------------------------------------------------------- reading it back


def _forecast_from(table: CustomerTable) -> Any:
    from clientbook.clv import BetaGeoModel, GammaGammaModel
    from clientbook.clv.diagnostics import Trust
    from clientbook.clv.utils import FitInfo

    rec = table.models.get("forecast") or {}
    if not rec.get("trusted"):
        return value.TooLittleData(
            rec.get("reason") or "value.too_little.customers",
            int(rec.get("n_customers") or 0),
            int(rec.get("n_repeat") or 0),
            int(rec.get("needed") or 0),
            detail=str(rec.get("detail") or ""),
            reasons=tuple(rec.get("reasons") or ()),
            fitted=dict(rec.get("models") or {}),
        )
    models = []
    for cls_, name in ((BetaGeoModel, "bgnbd"), (GammaGammaModel, "gamma_gamma")):
        m = cls_()
        r = rec["models"][name]
        m.params_ = {k: float(v) for k, v in r["params"].items()}
        m.fit_info_ = FitInfo(
            bool(r["converged"]),
            float(r["log_likelihood"]),
            int(r["iterations"]),
            str(r["message"]),
        )
        models.append(m)
    cols = [c for c in table.customers if c.startswith(PV)]
    c = table.customers.set_index("customer_id")
    c = c[c[PV + "clv"].notna()][cols].rename(columns={k: k[len(PV) :] for k in cols})
    corr = rec.get("spend_frequency_corr")
    return value.PredictiveValue(
        customers=c.sort_values("clv", ascending=False),
        bgnbd=models[0],
        gamma_gamma=models[1],
        as_of=pd.Timestamp(rec["as_of"]),
        unit=str(rec["unit"]),
        horizon_months=int(rec["horizon_months"]),
        annual_discount_rate=float(rec["annual_discount_rate"]),
        uses_margin=bool(rec["uses_margin"]),
        spend_frequency_corr=float("nan") if corr is None else float(corr),
        trust=Trust(True, [], dict(rec.get("checks") or {})),
    )


def _holdout_from(rec: Mapping[str, Any]) -> Any:
    if not rec.get("ok"):
        return value.TooLittleData(
            rec.get("reason") or "value.too_little.holdout",
            int(rec.get("n_customers") or 0),
            int(rec.get("n_repeat") or 0),
            int(rec.get("needed") or 0),
            reasons=tuple(rec.get("reasons") or ()),
        )
    table = pd.DataFrame(rec["by_frequency"]).set_index("repeat_purchases")
    table.index.name = "repeat_purchases"
    return value.HoldoutCheck(
        by_frequency=table,
        calibration_end=pd.Timestamp(rec["calibration_end"]),
        holdout_end=pd.Timestamp(rec["holdout_end"]),
        actual_total=float(rec["actual_total"]),
        predicted_total=float(rec["predicted_total"]),
    )
