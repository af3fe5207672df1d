"""Cross-slice comparison for the index page: every region's and period's scorecard side by
side, as a heatmap of KPI against target, so a consultant sees at a glance which region
needs attention.

Input is what the runner collects per slice: ``{slice_id: results}`` where results is the
slice's results.json (step -> {key: value}); the performance review step records
``scorecard`` as a list of {kpi, unit, better, actual, target, previous, change, vs_target,
status}. The HTML is a fragment with its own inline CSS and no scripts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from clientbook.present import i18n, style
from clientbook.steps.performance_review import JUDGED, KPIS, format_value, scorecard_from

COLUMNS = ["slice", "kpi", "unit", "actual", "target", "vs_target", "status"]
_FULL_AT = 0.3  # a KPI 30% ahead of (behind) target gets the full green (red)


def _num(v: Any) -> float:
    try:
        return math.nan if v is None else float(v)
    except (TypeError, ValueError):
        return math.nan


def scorecard_long(results_by_slice: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per slice and KPI (slices in the given order, KPIs in scorecard order)."""
    rows = []
    for slice_id, results in results_by_slice.items():
        for r in scorecard_from(results or {}):
            kpi = str(r.get("kpi"))
            unit = r.get("unit") or (KPIS[kpi].unit if kpi in KPIS else "")
            rows.append(
                {
                    "slice": slice_id,
                    "kpi": kpi,
                    "unit": unit,
                    "actual": _num(r.get("actual")),
                    "target": _num(r.get("target")),
                    "vs_target": _num(r.get("vs_target")),
                    "status": r.get("status") or "no_data",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def scorecard_matrix(
    results_by_slice: Mapping[str, Mapping[str, Any]], value: str = "vs_target"
) -> pd.DataFrame:
    """KPIs (rows) x slices (columns). Default values: distance to target as a share of the
    target, positive = better than target (NaN without a target); `value` may also be
    "actual", "target" or "status". KPIs no slice has a value for are left out."""
    long = scorecard_long(results_by_slice)
    slices = list(results_by_slice)
    if long.empty:
        return pd.DataFrame(columns=slices, dtype=float)
    has_value = long.groupby("kpi", sort=False)["actual"].apply(lambda s: s.notna().any())
    kpis = [k for k in dict.fromkeys(long["kpi"]) if has_value.get(k, False)]
    wide = (
        long.pivot_table(index="kpi", columns="slice", values=value, aggfunc="first", dropna=False)
        if value != "status"
        else long.pivot(index="kpi", columns="slice", values="status")
    )
    return wide.reindex(index=kpis, columns=slices).rename_axis(index="kpi", columns="slice")


def missed_count(rows: pd.DataFrame) -> tuple[int, int]:
    """(KPIs that missed their target, KPIs judged against a target) in scorecard rows."""
    judged = rows["status"].isin(list(JUDGED))
    return int((rows["status"] == "missed").sum()), int(judged.sum())


def slice_label(slice_id: str, lang: str) -> str:
    if slice_id == "all":
        return i18n.t("common.report.all", lang)
    kind, _, rest = slice_id.partition("-")
    if kind == "region":
        return rest.replace("-", " ").title()
    return rest or slice_id


def _mix(hex_colour: str, weight: float) -> str:
    """`hex_colour` blended with white; weight 0 = white, 1 = the colour itself."""
    c = hex_colour.lstrip("#")
    rgb = [int(c[i : i + 2], 16) for i in (0, 2, 4)]
    out = [round(255 + (x - 255) * weight) for x in rgb]
    return "#{:02x}{:02x}{:02x}".format(*out)


def cell_colour(status: str, vs_target: float) -> str:
    """Heatmap colour: green when met, red when missed, deeper the further from target;
    amber when near; light grey without a target, white without data."""
    strength = 0.0 if math.isnan(vs_target) else min(abs(vs_target) / _FULL_AT, 1.0)
    if status == "met":
        return _mix(style.GOOD, 0.25 + 0.55 * strength)
    if status == "missed":
        return _mix(style.BAD, 0.25 + 0.55 * strength)
    if status == "near":
        return _mix(style.NEAR, 0.45)
    if status == "uncertain":
        return _mix(style.GOOD, 0.15)
    if status in ("no_target", "too_few"):
        return "#f2f2f2"
    return "#ffffff"


_CSS = """
.cb-comparison{font-family:inherit;margin:1.5em 0}
.cb-comparison h2{font-size:1.25em;margin:0 0 .3em}
.cb-comparison p.cb-cmp-note{color:#555;margin:.2em 0 .8em;font-size:.92em}
.cb-comparison .cb-cmp-wrap{overflow-x:auto}
.cb-comparison table{border-collapse:collapse;font-size:.88em}
.cb-comparison th,.cb-comparison td{border:1px solid #fff;padding:.35em .6em;text-align:center;
white-space:nowrap;color:#222}
.cb-comparison thead th{background:#1f4e79;color:#fff;font-weight:600}
.cb-comparison thead tr.cb-cmp-groups th{background:#163a5a}
.cb-comparison tbody th{text-align:left;background:#f7f7f7;color:#222;font-weight:600}
.cb-comparison tbody th,.cb-comparison thead th:first-child{position:sticky;left:0;z-index:1}
.cb-comparison td.cb-no-target{color:#6b6b6b}
.cb-comparison tr.cb-cmp-total th,.cb-comparison tr.cb-cmp-total td{border-top:2px solid #1f4e79;
font-weight:600}
.cb-comparison .cb-cmp-legend{margin-top:.6em;font-size:.85em;color:#444}
.cb-comparison .cb-cmp-legend span{display:inline-block;padding:.15em .6em;margin-right:.4em;
border-radius:3px}
"""


def comparison_html(
    results_by_slice: Mapping[str, Mapping[str, Any]],
    lang: str = "en",
    labels: Mapping[str, str] | None = None,
    currency: str | None = None,
) -> str:
    """The heatmap as an HTML fragment (a <section> with its inline <style>), grouped into
    all / regions / periods. Each cell shows the actual; its tooltip the target and the
    distance to it. Empty string when no slice has a scorecard."""
    long = scorecard_long(results_by_slice)
    if long.empty or long["actual"].notna().sum() == 0:
        return ""
    kpis = scorecard_matrix(results_by_slice).index.tolist()
    cells = {(r.slice, r.kpi): r for r in long.itertuples(index=False)}
    groups: dict[str, list[str]] = {"all": [], "region": [], "period": []}
    for s in results_by_slice:
        kind = s.partition("-")[0]
        groups["region" if kind == "region" else "period" if kind == "period" else "all"].append(s)
    order = [s for g in ("all", "region", "period") for s in groups[g]]

    def tt(key: str, **fields: Any) -> str:
        return html.escape(i18n.t(f"performance.comparison.{key}", lang, **fields))

    def name(s: str) -> str:
        return html.escape((labels or {}).get(s) or slice_label(s, lang))

    out = [
        f"<section class='cb-comparison'><style>{_CSS}</style>",
        f"<h2>{tt('title')}</h2><p class='cb-cmp-note'>{tt('note')}</p>",
        "<div class='cb-cmp-wrap'><table><thead><tr class='cb-cmp-groups'><th></th>",
    ]
    for g in ("all", "region", "period"):
        if groups[g]:
            out.append(f"<th colspan='{len(groups[g])}'>{tt('group.' + g)}</th>")
    out.append(f"</tr><tr><th>{tt('kpi')}</th>")
    out.extend(f"<th>{name(s)}</th>" for s in order)
    out.append("</tr></thead><tbody>")
    for kpi in kpis:
        kpi_name = i18n.t(f"performance.kpi.{kpi}", lang) if kpi in KPIS else kpi
        out.append(f"<tr><th>{html.escape(kpi_name)}</th>")
        for s in order:
            r = cells.get((s, kpi))
            if r is None:
                out.append("<td style='background:#ffffff'>–</td>")
                continue
            shown = format_value(r.unit, r.actual, lang, currency)
            status_text = i18n.t(f"performance.status.{r.status}", lang)
            if math.isnan(r.target):
                tip = status_text
            else:
                gap = "" if math.isnan(r.vs_target) else f" ({r.vs_target * 100:+.0f}%)"
                tip = i18n.t(
                    "performance.comparison.tooltip",
                    lang,
                    status=status_text,
                    target=format_value(r.unit, r.target, lang, currency),
                    gap=gap,
                )
            cls = " class='cb-no-target'" if r.status in ("no_target", "too_few") else ""
            out.append(
                f"<td{cls} style='background:{cell_colour(r.status, r.vs_target)}' "
                f"title='{html.escape(tip, quote=True)}'>{html.escape(shown)}</td>"
            )
        out.append("</tr>")
    # the row a consultant reads first: how many targets each slice missed
    out.append(f"<tr class='cb-cmp-total'><th>{tt('missed_row')}</th>")
    for s in order:
        missed, judged = missed_count(long[long["slice"] == s])
        if judged == 0:
            out.append("<td style='background:#ffffff'>–</td>")
            continue
        colour = _mix(style.BAD, 0.15 + 0.65 * missed / judged) if missed else _mix(style.GOOD, 0.3)
        out.append(f"<td style='background:{colour}'>{missed}/{judged}</td>")
    out.append("</tr>")
    out.append("</tbody></table></div><div class='cb-cmp-legend'>")
    for status, vs in (
        ("met", 0.3),
        ("uncertain", 0.0),
        ("near", 0.0),
        ("missed", -0.3),
        ("too_few", math.nan),
        ("no_target", math.nan),
    ):
        label = html.escape(i18n.t(f"performance.status.{status}", lang))
        out.append(f"<span style='background:{cell_colour(status, vs)}'>{label}</span>")
    out.append("</div></section>")
    return "".join(out)
