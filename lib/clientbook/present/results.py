"""Recording a playbook's results so the runner, the index page and later steps can read them.

A notebook calls ``record("nps", 42.0)``; the value travels inside the executed notebook as a
display output with its own MIME type (the scrapbook idea), so it works the same in a
papermill run and in JupyterLab and needs no side files. The runner collects the records of
every notebook of a slice into ``results.json``.

KPIs are recorded with ``record_metric(book, "revenue", value, n=...)``: the key must be in the
metric registry (``clientbook.metrics.registry``), which gives the unit and scope; the book
gives the window. The runner collects them into ``results.json["metrics"]``: key ->
``{value, unit, scope, window: [start, end], window_label, n}``, and every deliverable shows
a KPI from there, labelled with `metric_label` and formatted with `format_metric`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

MIME = "application/vnd.clientbook.result+json"


def to_jsonable(value: Any) -> Any:
    """Plain JSON for the usual analysis values (DataFrames become lists of records)."""
    if isinstance(value, pd.DataFrame):
        df = value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
        return [{str(k): to_jsonable(v) for k, v in row.items()} for row in df.to_dict("records")]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


METRICS = "metrics"  # the key of the metrics map in results.json


def metric_entry(book: Any, key: str, value: Any, n: int | None = None) -> dict[str, Any]:
    """The `metrics` map entry of one KPI of `book`'s slice (see the module docstring)."""
    from clientbook.metrics.registry import get

    m = get(key)
    window = book.window(m.scope)
    return {
        "value": to_jsonable(value if not isinstance(value, np.generic) else value.item()),
        "unit": m.unit,
        "scope": m.scope,
        "window": [w.date().isoformat() for w in window] if window else None,
        "window_label": book.period.label if book.period is not None else None,
        "n": None if n is None else int(n),
    }


def record_metric(book: Any, key: str, value: Any, n: int | None = None) -> None:
    """Record one registered KPI of this slice (value, its sample size `n` where it has
    one). Returns nothing, so that a cell ending with it shows nothing."""
    from IPython.display import display

    entry = metric_entry(book, key, value, n)
    payload = {"key": key, "value": entry, "metric": True}
    json.dumps(payload)
    display({MIME: payload}, raw=True)


def record_metrics(book: Any, values: dict[str, Any]) -> None:
    """Record several KPIs: key -> value, or key -> (value, n)."""
    for key, v in values.items():
        value, n = v if isinstance(v, tuple) else (v, None)
        record_metric(book, key, value, n)


def record(key: str, value: Any) -> None:
    """Record one named result of this playbook (a number, text, dict or small table)."""
    from IPython.display import display

    payload = {"key": key, "value": to_jsonable(value)}
    json.dumps(payload)  # fail here, in the notebook, if something is not serialisable
    display({MIME: payload}, raw=True)


def collect(nb: Any, metrics: bool = False) -> dict[str, Any]:
    """All records of an executed notebook, in order (a later record of a key wins); with
    `metrics`, the KPIs recorded by `record_metric` instead."""
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = o.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                if bool(payload.get("metric")) == metrics:
                    out[payload["key"]] = payload["value"]
    return out


def collect_metrics(nb: Any) -> dict[str, Any]:
    """The KPIs an executed notebook recorded with `record_metric`: key -> entry."""
    return collect(nb, metrics=True)


def metric_label(
    key: str, entry: dict[str, Any] | None = None, lang: str | None = None, scoped: bool = True
) -> str:
    """The KPI's name in the report's language; with `entry` and `scoped`, its scope too:
    "Revenue in 2025-Q3", "Customers at 2025-Q3 end"."""
    from clientbook.metrics.registry import get
    from clientbook.present.i18n import t

    la = (lang,) if lang else ()
    m = get(key)
    label = t(m.label_key, *la)
    window = (entry or {}).get("window_label")
    if not scoped or not window:
        return label
    scope = t(f"metrics.scope.{m.scope}", *la, window=window)
    return t("metrics.scoped", *la, label=label, scope=scope)


def format_metric(key: str, value: Any, lang: str = "en", currency: str | None = None) -> str:
    """A KPI's value as every deliverable shows it (the registry's unit, one formatter)."""
    from clientbook.metrics.registry import get
    from clientbook.present.numbers import format_number

    if isinstance(value, dict):  # a metrics map entry
        value = value.get("value")
    return format_number(value, get(key).unit, lang=lang, currency=currency)


def metrics_of(results: dict[str, Any]) -> dict[str, Any]:
    """The metrics map of a slice's results.json ({} when it has none)."""
    m = results.get(METRICS) if isinstance(results, dict) else None
    return m if isinstance(m, dict) else {}


def key_figures(
    results: dict[str, Any], lang: str = "en", currency: str | None = None, keys: Any = None
) -> list[dict[str, str]]:
    """The slice's headline KPIs as every deliverable shows them: [{key, label, value}], the
    label with its scope ("Revenue in 2025-Q3"), the value formatted from the metrics map.
    Keys default to `clientbook.metrics.registry.HEADLINE`; those the slice lacks are left out."""
    from clientbook.metrics.registry import HEADLINE

    metrics = metrics_of(results)
    out = []
    for key in keys or HEADLINE:
        entry = metrics.get(key)
        if not isinstance(entry, dict) or entry.get("value") is None:
            continue  # not measured in this slice (e.g. no trusted forecast): not shown
        out.append(
            {
                "key": key,
                "label": metric_label(key, entry, lang),
                "value": format_metric(key, entry, lang, currency),
            }
        )
    return out


def window_label(results: dict[str, Any]) -> str | None:
    """The current period the slice's KPIs use ("2025-Q4"), from its metrics map."""
    for entry in metrics_of(results).values():
        if isinstance(entry, dict) and entry.get("window_label"):
            return str(entry["window_label"])
    return None
