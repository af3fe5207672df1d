"""One set of numbers, end to end: a small demo run in English and in Chinese.

- every KPI value the index, the report's key figures and scorecard, and the PPTX show is its
  entry in the slice's results.json `metrics` map, formatted by the registry's unit;
- the same data give the same numbers in both languages;
- no nan, None, NaT or inf reaches any deliverable's visible text.
"""

import html
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.data import sample
from clientbook.present import i18n, results
from clientbook.run import runner
from visible_text import bad_words, html_text

REPO = Path(__file__).resolve().parents[1]


def _audit(tmp: Path, raw: Path, lang: str) -> Path:
    text = (REPO / "audits" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../outputs/sample/raw", str(raw))
    text = re.sub(r"^lang: .*$", f"lang: {lang}", text, flags=re.M)
    text = re.sub(r"^name: .*$", f"name: demo-{lang}", text, flags=re.M)
    text = re.sub(r"^outputs: .*$", "outputs: [html, slides, pptx]", text, flags=re.M)
    text = text.replace("  by: [region, period]\n", "  by: [period]\n  last_periods: 2\n")
    path = tmp / f"demo-{lang}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("metrics-run")
    raw = tmp / "raw"
    sample.generate(raw, customers=150, seed=7)
    # comments in both languages, so complaint detection has to go by each comment's own
    sample.generate(tmp / "raw-zh", customers=150, seed=7, lang="zh")
    surveys = pd.read_csv(raw / "surveys.csv", dtype=str, keep_default_na=False)
    zh = pd.read_csv(tmp / "raw-zh" / "surveys.csv", dtype=str, keep_default_na=False)
    zh_comments = [c for c in zh["comment"] if c]
    rows = surveys.index[::2][: len(zh_comments)]
    surveys.loc[rows, "comment"] = zh_comments[: len(rows)]
    surveys.to_csv(raw / "surveys.csv", index=False)
    out = {}
    for lang in ("en", "zh"):
        a = audit_mod.load(_audit(tmp, raw, lang))
        summary = runner.run(a, tmp / "outputs", jobs=2, show_progress=False)
        assert summary.failures == [] and summary.render_errors == [], summary.as_dict()
        out[lang] = (tmp / "outputs" / a.slug, a)
    return out


def _slices(root: Path) -> list[str]:
    return [s["id"] for s in json.loads((root / "run.json").read_text())["slices"]]


def _results(root: Path, sid: str) -> dict:
    return json.loads((root / "slices" / sid / "results.json").read_text(encoding="utf-8"))


def _cells(row_html: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, flags=re.S)
    ]


def _table_after(page: str, headline: str) -> list[list[str]]:
    """The rows (cells as text) of the first table after the headline `headline`."""
    i = page.find(html.escape(headline, quote=False))
    assert i >= 0, headline
    j = page.find("</table>", i)
    return [_cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page[i:j], flags=re.S)]


def _scorecard_expected(res: dict, lang: str, currency: str | None) -> dict[str, str]:
    """KPI name in the report -> the actual as its metrics entry gives it."""
    metrics = results.metrics_of(res)
    out = {}
    for r in res["performance_review"]["scorecard"]:
        entry = metrics[r["metric"]]
        assert entry["value"] == pytest.approx(r["actual"], nan_ok=True) or (
            entry["value"] is None and r["actual"] is None
        )
        out[i18n.t(f"performance.kpi.{r['kpi']}", lang)] = results.format_metric(
            r["metric"], entry, lang, currency
        )
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_shown_kpi_is_its_metrics_entry(runs, lang):
    from pptx import Presentation

    from clientbook.deliver.report import index_columns

    root, audit = runs[lang]
    cur = audit.currency
    index = (root / "index.html").read_text(encoding="utf-8")
    rows = [{"results": _results(root, sid)} for sid in _slices(root)]
    keys = index_columns(rows)
    assert {"revenue", "buyers", "orders", "customers", "nps"} <= set(keys)
    checked = 0
    for sid in _slices(root):
        res = _results(root, sid)
        metrics = results.metrics_of(res)
        assert metrics, sid
        for _key, entry in metrics.items():
            assert set(entry) == {"value", "unit", "scope", "window", "window_label", "n"}
        want = {k: results.format_metric(k, metrics.get(k), lang, cur) for k in keys}
        # index: the slice's rows; the first lists its deliverables and status, the league
        # tables (KPI columns wrapped into several tables) follow, each row after its name
        rows_html = re.findall(
            rf'<tr[^>]*data-slice="{re.escape(sid)}"[^>]*>(.*?)</tr>', index, re.S
        )
        cells = [c for r in rows_html[1:] for c in _cells(r)[1:]]
        assert cells[0] == metrics["revenue"]["window_label"]
        assert dict(zip(keys, cells[1:], strict=True)) == want, sid
        # report: the key figures, then the scorecard
        report = (root / "slices" / sid / "report.html").read_text(encoding="utf-8")
        shown = dict(
            re.findall(
                r'<tr data-metric="([^"]+)"><th>.*?</th>'
                r'<td class="cb-num">(.*?)</td>',
                report,
            )
        )
        figures = results.key_figures(res, lang, cur)
        assert {k: html.unescape(v) for k, v in shown.items()} == {
            f["key"]: f["value"] for f in figures
        }
        assert all(shown[k] == html.escape(want[k], quote=False) for k in shown if k in want)
        for f in figures:  # the label says the scope: "Revenue in 2025-Q4"
            assert metrics[f["key"]]["window_label"] in f["label"]
        # the executive summary: a scorecard KPI it is about comes with its metrics value
        i = report.find('<section class="cb-summary"')
        items = [
            html_text(li)
            for li in re.findall(
                r"<li>(.*?)</li>", report[i : report.find("</section>", i)], flags=re.S
            )
        ]
        for r in res["performance_review"]["scorecard"]:
            entry = metrics[r["metric"]]
            name = i18n.t(f"performance.kpi.{r['kpi']}", lang)
            # an item about a KPI starts with its name ("CSAT ... missed its target: 72.6% ...")
            for item in (
                x for x in items if x.strip().startswith(name) and entry["value"] is not None
            ):
                shown_as = {results.format_metric(r["metric"], entry, lang, c) for c in (cur, None)}
                assert any(v in item for v in shown_as), (sid, item, shown_as)
                checked += 1
        card = _scorecard_expected(res, lang, cur)
        period = metrics["revenue"]["window_label"]
        table = _table_after(report, i18n.t("performance.headline.scorecard", lang, period=period))
        header, body = table[0], table[1:]
        actual = header.index(i18n.t("performance.col.actual", lang))
        assert {r[0]: r[actual] for r in body} == card, sid
        # the deck: key figures slides, and the scorecard slide
        deck = Presentation(str(root / "slices" / sid / "deck.pptx"))
        in_deck, deck_card = {}, {}
        for slide in deck.slides:
            title = slide.shapes.title.text if slide.shapes.title is not None else ""
            for shape in slide.shapes:
                if not getattr(shape, "has_table", False) or not shape.has_table:
                    continue
                rows_ = [[c.text for c in r.cells] for r in shape.table.rows]
                if title.startswith(i18n.t("metrics.key_figures", lang)):  # paginated
                    in_deck.update({r[0]: r[1] for r in rows_[1:]})
                elif title.startswith(
                    i18n.t("performance.headline.scorecard", lang, period=period)
                ):
                    deck_card = {r[0]: r[rows_[0].index(header[actual])] for r in rows_[1:]}
        assert in_deck == {f["label"]: f["value"] for f in figures}, sid
        assert deck_card == card, sid
        checked += len(figures) + len(card) + len(keys)
    assert checked > 50


def _numbers(node, out: list[float]) -> list[float]:
    if isinstance(node, bool):
        return out
    if isinstance(node, int | float):
        out.append(round(float(node), 9))
    elif isinstance(node, dict):
        for v in node.values():
            _numbers(v, out)
    elif isinstance(node, list):
        for v in node:
            _numbers(v, out)
    return out


def test_the_same_data_give_the_same_numbers_in_english_and_chinese(runs):
    en, zh = runs["en"][0], runs["zh"][0]
    assert _slices(en) == _slices(zh)
    compared = 0
    for sid in _slices(en):
        a, b = _results(en, sid), _results(zh, sid)
        assert set(a) == set(b)
        for step in a:
            assert set(a[step]) == set(b[step]), (sid, step)
            for key in a[step]:
                # rows may sort by a translated name: compare every number, order aside
                x, y = sorted(_numbers(a[step][key], [])), sorted(_numbers(b[step][key], []))
                assert len(x) == len(y) and all(
                    math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-9)
                    for p, q in zip(x, y, strict=True)
                ), (sid, step, key)
                compared += len(x)
    assert compared > 1000


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_nan_none_nat_or_inf_in_any_deliverable(runs, lang):
    root = runs[lang][0]
    files = {p.name for p in root.rglob("*") if p.suffix in (".html", ".pptx", ".xlsx")}
    assert {"index.html", "report.html", "slides.html", "deck.pptx", "actions.xlsx"} <= files
    assert bad_words(root) == []


def test_the_scan_finds_a_planted_nan(tmp_path):
    (tmp_path / "report.html").write_text("<p>needs nan</p><style>.nan{}</style>")
    (tmp_path / "index.html").write_text("<td>NaT</td><script>var None</script>")
    found = bad_words(tmp_path)
    assert len(found) == 2 and "needs nan" in found[1] and "NaT" in found[0]
    assert html_text("<style>nan</style><b>ok</b>").strip() == "ok"
