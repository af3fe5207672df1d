"""Recording a playbook's results so the runner, the index page and later steps can read them.

A notebook calls ``record("nps", 42.0)``; the value travels inside the executed notebook as a
display output with its own MIME type (the scrapbook idea), so it works the same in a
papermill run and in JupyterLab and needs no side files. The runner collects the records of
every notebook of a slice into ``results.json``.
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


def record(key: str, value: Any) -> None:
    """Record one named result of this playbook (a number, text, dict or small table)."""
    from IPython.display import display

    payload = {"key": key, "value": to_jsonable(value)}
    json.dumps(payload)  # fail here, in the notebook, if something is not serialisable
    display({MIME: payload}, raw=True)


def collect(nb: Any) -> dict[str, Any]:
    """All records of an executed notebook, in order (a later record of a key wins)."""
    out: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = o.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                out[payload["key"]] = payload["value"]
    return out
