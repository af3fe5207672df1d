"""index.html as the landing page: headline messages, links to every deliverable that exists,
small slices marked, tables that fit the width (measured in Chromium), data escaped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clientbook.config.audit_file import Audit
from clientbook.deliver import pdf, report
from clientbook.metrics.registry import get
from clientbook.present import i18n, style


@pytest.fixture(autouse=True)
def _reset():
    yield
    i18n.use("en")
    style.use("en", None)


REGIONS = ["North", "South", "East", "West", "Central", "Coast", "Hills", "<b>Unknown</b>"]


@dataclass
class Summary:
    slices: list[dict] = field(default_factory=list)
    notebooks: list = field(default_factory=list)
    failures: list = field(default_factory=list)


def _results(customers: int, i: int) -> dict:
    kpis = {"customers": customers, "revenue": 1_234_567.0 + i}
    out = {
        "data_audit": {"kpis": kpis},
        "classification": {"kpis": {"champions_share": 0.12, "a_tier_revenue_share": 0.8}},
        "value": {"kpis": {"clv_per_customer": 812.5}},
        "satisfaction": {"kpis": {"nps": 31.0, "csat_rate": 0.85}},
        "service": {"kpis": {"resolution_attainment": 0.91}},
        "sales": {"kpis": {"win_rate": 0.23}},
        "retention": {"kpis": {"repeat_rate": 0.41, "churn_rate": 0.18, "value_at_risk": 45_000.0}},
    }
    # the metrics map the index reads (registry key -> entry), as the runner writes it
    values = {
        "customers": customers,
        "revenue": kpis["revenue"],
        "champions_share": 0.12,
        "clv_per_customer": 812.5,
        "nps": 31.0,
        "csat": 0.85,
        "resolved_in_sla": 0.91,
        "win_rate": 0.23,
        "repeat_rate": 0.41,
        "lapsed_share": 0.18,
        "value_at_risk": 45_000.0,
    }
    out["metrics"] = {
        k: {
            "value": v,
            "unit": get(k).unit,
            "scope": get(k).scope,
            "window": ["2025-10-01", "2025-12-31"],
            "window_label": "2025-Q4",
            "n": None,
        }
        for k, v in values.items()
    }
    out["performance_review"] = {
        "scorecard": [
            {
                "kpi": "retention_rate",
                "unit": "rate",
                "actual": 0.7 + i / 100,
                "target": 0.75,
                "previous": 0.7,
                "status": "near",
                "vs_target": -0.02,
            }
        ]
    }
    return out


def _book(tmp_path: Path, lang: str = "en", periods: int = 8) -> tuple[Path, Audit, Summary]:
    root = tmp_path / "out"
    summary = Summary()
    slices = [("all", "all", "All customers", 400)]
    slices += [
        (f"region-r{i}", "region", r, 5 if "Unknown" in r else 60 + i)
        for i, r in enumerate(REGIONS)
    ]
    slices += [(f"period-2025-Q{q}", "period", f"2025-Q{q}", 100) for q in range(1, periods + 1)]
    for i, (sid, kind, label, n) in enumerate(slices):
        d = root / "slices" / sid
        d.mkdir(parents=True)
        res = _results(n, i)
        if sid == "all":
            res["action_plan"] = {
                "executive_summary": [
                    {
                        "finding": f"Finding {k} <script>x</script>",
                        "evidence": f"evidence {k}",
                        "action": f"action {k}",
                    }
                    for k in range(1, 8)
                ]
            }
        (d / "results.json").write_text(json.dumps(res), encoding="utf-8")
        (d / "report.html").write_text("<html></html>", encoding="utf-8")
        if sid == "all":
            for name in ("slides.html", "deck.pptx", "report.pdf", "actions.xlsx", "accounts.html"):
                (d / name).write_bytes(b"x")
        summary.slices.append({"id": sid, "kind": kind, "label": label, "failed_steps": []})
    audit = Audit(
        client="Acme <Ltd>",
        lang=lang,
        sources={"orders": {"path": "o.csv"}},
        settings={"min_slice_customers": 30},
    )
    return root, audit, summary


def test_links_headlines_small_slices_and_escaping(tmp_path):
    root, audit, summary = _book(tmp_path)
    page = report.render_index(root, audit, {"as_of": "2025-12-31"}, summary).read_text()
    # every deliverable that exists is linked, and only those
    for name in (
        "report.html",
        "slides.html",
        "deck.pptx",
        "report.pdf",
        "actions.xlsx",
        "accounts.html",
    ):
        assert f'href="slices/all/{name}"' in page
    assert 'href="slices/region-r0/slides.html"' not in page
    assert 'href="slices/region-r0/report.html"' in page
    # five headline messages from the all slice's executive summary, ranked, escaped
    assert page.count("<li><b>Finding") == 5
    assert "Finding 5" in page and "Finding 6" not in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    # the 5-customer region is marked as too small, the others are not
    import re

    small = set(re.findall(r'data-slice="([^"]+)" data-small="5"', page))
    assert small == {"region-r7"}
    assert i18n.t("common.index.small", n=5) in page
    assert "&lt;b&gt;Unknown&lt;/b&gt;" in page and "<b>Unknown</b>" not in page
    assert "Acme &lt;Ltd&gt;" in page


def test_slice_links_follow_the_files(tmp_path):
    d = tmp_path / "slices" / "all"
    d.mkdir(parents=True)
    (d / "report.html").write_text("x")
    (d / "actions.xlsx").write_bytes(b"x")
    i18n.use("en")
    assert [x["href"] for x in report.slice_links(tmp_path, "all")] == [
        "slices/all/report.html",
        "slices/all/actions.xlsx",
    ]


def test_headlines_fall_back_to_findings():
    res = {"data_audit": {"findings": ["a", "b", "c"]}, "value": {"findings": ["d"]}}
    assert [h["finding"] for h in report.headlines(res)] == ["a", "b", "d"]


def test_chinese_index_labels(tmp_path):
    root, audit, summary = _book(tmp_path, lang="zh")
    page = report.render_index(root, audit, {"as_of": "2025-12-31"}, summary).read_text()
    i18n.use("zh")
    assert i18n.t("common.index.headlines") in page and i18n.t("common.index.link.accounts") in page
    i18n.use("en")


CHROMIUM = pdf.find_chromium()


@pytest.mark.skipif(CHROMIUM is None, reason=f"no system Chromium: {pdf.INSTALL_HINT}")
def test_nothing_is_wider_than_the_page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    root, audit, summary = _book(tmp_path, periods=12)
    path = report.render_index(root, audit, {"as_of": "2025-12-31"}, summary)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=pdf.LAUNCH_ARGS, headless=True)
        page = b.new_page(viewport={"width": 1280, "height": 800})
        page.goto(path.resolve().as_uri(), wait_until="load")
        body_width = page.evaluate("document.body.clientWidth")
        widest = page.evaluate("""() => {
            const out = [];
            for (const el of document.querySelectorAll('table, section, div, ol')) {
                const r = el.getBoundingClientRect();
                out.push([el.tagName + '.' + el.className, Math.ceil(r.right), el.scrollWidth,
                          el.clientWidth]);
            }
            return out;
        }""")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        b.close()
    assert scroll <= 1280
    right = (1280 + body_width) / 2 + 1
    too_wide = [w for w in widest if w[1] > right or (w[3] and w[2] > w[3] + 1)]
    assert not too_wide, too_wide


def test_money_in_the_audits_currency(tmp_path):
    root, audit, summary = _book(tmp_path, lang="zh")
    page = report.render_index(
        root, audit, {"as_of": "2025-12-31", "currency": "CNY"}, summary
    ).read_text()
    assert "¥123.5万" in page  # revenue 1,234,567 of the all slice


def test_wrapped_tables_are_even():
    assert report._chunks(list(range(9)), 8) == [[0, 1, 2, 3, 4], [5, 6, 7, 8]]
    assert report._chunks(list(range(12)), 6) == [list(range(6)), list(range(6, 12))]
    assert report._chunks(list(range(3)), 8) == [[0, 1, 2]]
    assert report._chunks([], 8) == [[]]
