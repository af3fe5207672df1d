"""Incremental runs: unchanged notebooks and deliverables reused, changed work re-run."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.run import cache, runner

REPO = Path(__file__).resolve().parents[1]
STEPS = "steps: [data_audit, classification, performance_review]"


def _run(audit_path: Path, out: Path, **kw) -> dict:
    runner.run(audit_mod.load(audit_path), out, jobs=2, show_progress=False, **kw)
    return json.loads((out / "small" / "run.json").read_text())


def _executed(run: dict) -> set[tuple[str, str]]:
    return {(n["slice_id"], n["step"]) for n in run["notebooks"] if not n["reused"]}


@pytest.mark.slow
def test_rerun_reuses_unchanged_work_and_reruns_what_reads_changed_targets(small_audit, tmp_path):
    small_audit.write_text(
        small_audit.read_text().replace("steps: [data_audit, classification]", STEPS)
    )
    out = tmp_path / "outputs"
    first = _run(small_audit, out)
    slices = {s["id"] for s in first["slices"]}
    assert first["failures"] == [] and first["render_errors"] == []
    assert first["reused"]["notebooks"] == 0 and first["reused"]["executed"] == 3 * len(slices)
    report = (out / "small/slices/all/report.html").read_bytes()
    results = (out / "small/slices/all/results.json").read_text()

    # Nothing changed: nothing runs, nothing renders, the outputs are the same.
    second = _run(small_audit, out)
    assert _executed(second) == set()
    assert second["reused"]["dataset"] is True
    assert set(second["reused"]["deliverables"]) == slices
    assert (out / "small/slices/all/report.html").read_bytes() == report
    assert (out / "small/slices/all/results.json").read_text() == results
    nb = nbformat.read(out / "small/slices/all/notebooks/01_classification.ipynb", as_version=4)
    assert any(c.get("outputs") for c in nb.cells)  # the executed notebook, outputs and all
    assert (out / "small/index.html").exists()

    # Only targets changed: only the steps that read targets run again, every slice re-renders.
    small_audit.write_text(small_audit.read_text() + "targets: {retention_rate: 0.6}\n")
    third = _run(small_audit, out)
    assert _executed(third) == {(s, "performance_review") for s in slices}
    assert third["reused"]["dataset"] is True
    assert third["reused"]["deliverables"] == []
    card = json.loads((out / "small/slices/all/results.json").read_text())
    target = {r["kpi"]: r.get("target") for r in card["performance_review"]["scorecard"]}
    assert target["retention_rate"] == pytest.approx(0.6)

    # --force: everything runs again.
    forced = _run(small_audit, out, force=True)
    assert forced["force"] is True and forced["reused"]["notebooks"] == 0
    assert len(_executed(forced)) == 3 * len(slices)


@pytest.mark.slow
def test_changed_data_reruns_everything_and_a_failed_notebook_is_never_reused(
    small_audit, tmp_path
):
    out = tmp_path / "outputs"
    _run(small_audit, out)
    orders = small_audit.parent / "export" / "orders.csv"
    lines = orders.read_text().splitlines()
    orders.write_text("\n".join(lines[:-1]) + "\n")  # one order line fewer
    second = _run(small_audit, out)
    assert second["reused"]["dataset"] is False and second["reused"]["notebooks"] == 0

    # A failing step is recorded as not ok and runs again next time.
    memo = json.loads((out / "small/cache/all.json").read_text())
    assert all(r["ok"] for r in memo["steps"].values())
    memo["steps"]["classification"]["ok"] = False
    (out / "small/cache/all.json").write_text(json.dumps(memo))
    third = _run(small_audit, out)
    assert _executed(third) == {("all", "classification")}


def test_run_leaves_the_callers_audit_unchanged(small_audit, tmp_path):
    a = audit_mod.load(small_audit)
    a.steps = ["data_audit"]
    before = a.model_dump()
    runner.run(a, tmp_path / "out", jobs=1, show_progress=False, mode="training")
    assert a.model_dump() == before and a.mode == "client"


def _code(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize(
    "playbook", sorted((REPO / "playbooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem
)
def test_every_playbook_declares_the_audit_keys_it_reads(playbook):
    step = audit_mod.step_name(playbook)
    assert step in cache.STEP_READS, f"add {step} to clientbook.run.cache.STEP_READS"
    code = _code(playbook)
    declared = cache.reads(step)
    if re.search(r"book\.settings|\bsettings\(", code):
        assert "settings" in declared
    if re.search(r"book_targets|perf\.scorecard\(|book\.targets|\[.targets.\]", code):
        assert "targets" in declared
    if "load_results" in code or "results.json" in code:
        assert "results" in declared


def test_keys_follow_what_a_step_reads(tmp_path):
    run = cache.RunCache(
        root=tmp_path,
        previous=None,
        code="c",
        base="b",
        audit_keys={"targets": "t1", "settings": "s1"},
    )
    pb = tmp_path / "01_x.ipynb"
    pb.write_text("{}")
    sc = run.for_slice("all")
    k_cls = sc.key("classification", pb, {})
    k_perf = sc.key("performance_review", pb, {})
    run.audit_keys["targets"] = "t2"
    assert sc.key("classification", pb, {}) == k_cls
    assert sc.key("performance_review", pb, {}) != k_perf
    # Earlier records matter only to a step that reads them.
    assert sc.key("classification", pb, {"value": 1}) == k_cls
    assert sc.key("action_plan", pb, {"value": 1}) != sc.key("action_plan", pb, {"value": 2})
    # A file written by an earlier step ties the later steps to that step's key.
    sc.producers["derived/customers.parquet"] = "k01"
    assert sc.key("classification", pb, {}) != k_cls


def _fake_run(root: Path, previous: Path | None, targets: str = "t1") -> cache.RunCache:
    return cache.RunCache(
        root=root,
        previous=previous,
        code="c",
        base="b",
        audit_keys={"targets": targets, "settings": "s1"},
        render="r",
    )


def test_a_reused_step_brings_the_files_it_wrote_and_deliverables_follow(tmp_path):
    from clientbook.config.audit_file import Audit

    audit = Audit(client="X", sources={"orders": {"path": "o.csv"}})
    pb = tmp_path / "06_retention.ipynb"
    pb.write_text("{}")
    nb_name = "06_retention.ipynb"

    def first_run(root: Path) -> None:
        sc = _fake_run(root, None).for_slice("all")
        out = root / "slices/all/notebooks" / nb_name
        out.parent.mkdir(parents=True)
        assert sc.reuse("retention", pb, out, {}) is None
        out.write_text("executed")  # what the kernel would write
        (root / "slices/all/derived").mkdir()
        (root / "slices/all/derived/customers.parquet").write_text("table v1")
        sc.end("retention", True, {"churn_rate": 0.2})
        assert sc.record["steps"]["retention"]["files"] == ["derived/customers.parquet"]
        assert not sc.reuse_deliverables([], audit)
        (root / "slices/all/report.html").write_text("report")
        sc.rendered([], [])
        assert sc.record["deliverables"]["files"] == ["report.html"]
        sc.save()
        # What a later step of this run would do to the file must not reach the cache.
        (root / "slices/all/derived/customers.parquet").write_text("changed later")

    run1 = tmp_path / "run1"
    first_run(run1)
    run2 = tmp_path / "run2"
    sc = _fake_run(run2, run1).for_slice("all")
    out = run2 / "slices/all/notebooks" / nb_name
    assert sc.reuse("retention", pb, out, {}) == {"churn_rate": 0.2}
    assert out.read_text() == "executed"
    assert (run2 / "slices/all/derived/customers.parquet").read_text() == "table v1"
    assert sc.reuse_deliverables([], audit)
    assert (run2 / "slices/all/report.html").read_text() == "report"
    assert sc.reused_steps == ["retention"]

    # Another failed step list (or a notebook that ran) means rendering again.
    sc2 = _fake_run(tmp_path / "run3", run1).for_slice("all")
    sc2.reuse("retention", pb, tmp_path / "run3/slices/all/notebooks" / nb_name, {})
    assert not sc2.reuse_deliverables(["value"], audit)


def _slide_charts(nb_path: Path) -> tuple[int, int]:
    """(charts, charts with a slide version) in an executed notebook."""
    nb = nbformat.read(nb_path, as_version=4)
    charts = [
        o.get("metadata", {}).get("clientbook", {})
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("clientbook", {}).get("kind") == "chart"
    ]
    return len(charts), sum(bool(m.get("slide_png")) for m in charts)


@pytest.mark.slow
def test_slide_charts_only_when_slides_are_delivered_and_a_switch_reruns(small_audit, tmp_path):
    """A run of reports only does not draw every chart a second time for slides; asking for
    slides later re-runs the notebooks (their charts lacked the slide version)."""
    out = tmp_path / "outputs"
    small_audit.write_text(small_audit.read_text() + "outputs: [html]\n")
    first = _run(small_audit, out)
    nb = out / "small/slices/all/notebooks/01_classification.ipynb"
    charts, slide = _slide_charts(nb)
    assert charts > 0 and slide == 0 and first["failures"] == []
    small_audit.write_text(
        small_audit.read_text().replace("outputs: [html]", "outputs: [html, slides]")
    )
    second = _run(small_audit, out)
    assert second["reused"]["dataset"] is True and second["reused"]["notebooks"] == 0
    assert _slide_charts(nb) == (charts, charts)
    assert (out / "small/slices/all/slides.html").exists()
