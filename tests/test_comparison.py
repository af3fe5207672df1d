"""Cross-slice scorecard comparison: the matrix and the HTML heatmap."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import pytest

from clientbook.deliver import comparison as cmp
from clientbook.present import style


def _rec(kpi, actual, target, vs, status, unit="rate"):
    return {
        "kpi": kpi,
        "unit": unit,
        "better": "higher",
        "actual": actual,
        "target": target,
        "previous": None,
        "change": None,
        "vs_target": vs,
        "status": status,
    }


RESULTS = {
    "all": {
        "classification": {"findings": ["x"]},
        # another step's table under the same key is not the KPI scorecard
        "satisfaction": {"scorecard": [{"segment": "champions", "nps": 40.0}]},
        "performance_review": {
            "scorecard": [
                _rec("retention_rate", 0.72, 0.6, 0.2, "met"),
                _rec("nps", 10.0, 20.0, -0.5, "missed", "points"),
                _rec("csat", 0.8, None, None, "no_target"),
                _rec("acquisition_cost", None, None, None, "no_data", "money"),
            ]
        },
    },
    "period-2025-Q3": {
        "performance_review": {
            "scorecard": [
                _rec("retention_rate", None, 0.6, None, "no_data"),
            ]
        }
    },
    "region-east-china": {
        "performance_review": {
            "scorecard": [
                _rec("retention_rate", 0.42, 0.6, -0.3, "missed"),
                _rec("nps", 19.5, 20.0, -0.025, "near", "points"),
            ]
        }
    },
    "region-north-china": {},  # failed slice: no results
}


def test_scorecard_matrix():
    m = cmp.scorecard_matrix(RESULTS)
    assert list(m.columns) == ["all", "period-2025-Q3", "region-east-china", "region-north-china"]
    # acquisition_cost has no value in any slice and is left out
    assert list(m.index) == ["retention_rate", "nps", "csat"]
    assert m.loc["retention_rate", "all"] == pytest.approx(0.2)
    assert m.loc["retention_rate", "region-east-china"] == pytest.approx(-0.3)
    assert math.isnan(m.loc["csat", "all"])
    assert math.isnan(m.loc["nps", "region-north-china"])
    status = cmp.scorecard_matrix(RESULTS, "status")
    assert status.loc["nps", "region-east-china"] == "near"
    assert status.loc["retention_rate", "period-2025-Q3"] == "no_data"
    actual = cmp.scorecard_matrix(RESULTS, "actual")
    assert actual.loc["nps", "all"] == 10.0
    assert cmp.scorecard_matrix({}).empty


def test_cell_colours():
    assert cmp._mix("#000000", 0.5) == "#808080"
    assert cmp._mix("#c62828", 0.0) == "#ffffff"
    full_red = cmp._mix(style.BAD, 0.8)
    assert cmp.cell_colour("missed", -0.3) == full_red  # exactly at full strength
    assert cmp.cell_colour("missed", -0.9) == full_red  # capped
    assert cmp.cell_colour("missed", -0.15) == cmp._mix(style.BAD, 0.25 + 0.55 * 0.5)
    assert cmp.cell_colour("met", 0.0) == cmp._mix(style.GOOD, 0.25)
    assert cmp.cell_colour("no_target", math.nan) == "#f2f2f2"
    assert cmp.cell_colour("no_data", math.nan) == "#ffffff"


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[tuple[dict, str]]] = []
        self.tags: list[str] = []
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = dict(attrs)
            self.rows[-1].append((self._cell, ""))

    def handle_data(self, data):
        if self._cell is not None and self.rows and self.rows[-1]:
            attrs, text = self.rows[-1][-1]
            self.rows[-1][-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None


def test_comparison_html():
    page = cmp.comparison_html(RESULTS, "en", labels={"region-north-china": "North China"})
    assert "<script" not in page.lower() and "http" not in page
    p = _Cells()
    p.feed(page)
    assert "style" in p.tags
    groups, header, *body = p.rows
    assert [(a.get("colspan"), t) for a, t in groups[1:]] == [
        ("1", "All"),
        ("2", "Regions"),
        ("1", "Periods"),
    ]
    # columns are grouped: all, regions, periods
    assert [t for _, t in header] == [
        "KPI",
        "All customers",
        "East China",
        "North China",
        "2025-Q3",
    ]
    assert [t for _, t in body[0]] == ["Period-to-period retention", "72.0%", "42.0%", "–", "–"]
    east = body[0][2][0]
    assert east["style"] == f"background:{cmp.cell_colour('missed', -0.3)}"
    assert east["title"] == "missed: target 60.0% (-30%)"
    assert body[1][1][0]["title"] == "missed: target 20 (-50%)"
    assert body[2][1][0] == {
        "class": "cb-no-target",
        "style": "background:#f2f2f2",
        "title": "no target",
    }
    kpis, total = body[:3], body[3]
    assert all(len(r) == 5 for r in body)
    # all: retention met, NPS missed (CSAT has no target); East: retention missed, NPS near
    assert [t for _, t in total] == ["Targets missed", "1/2", "1/2", "–", "–"]
    assert total[1][0]["style"] == f"background:{cmp._mix(style.BAD, 0.15 + 0.65 * 0.5)}"
    assert len(kpis) == 3


def test_comparison_html_zh_and_empty():
    page = cmp.comparison_html(RESULTS, "zh")
    assert "各区域与各期间记分卡" in page and "期间留存率（较上期）" in page
    assert cmp.comparison_html({}, "en") == ""
    assert cmp.comparison_html({"all": {}, "region-x": {"a": {"findings": []}}}, "en") == ""
