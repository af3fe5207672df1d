"""End to end: a small audit run through kernels, reports rendered, failures isolated."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.config import resources
from clientbook.data.dataset import build
from clientbook.present import results, training
from clientbook.run import runner

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # end to end: kernels, renders
SLICES = {"all", "region-east", "region-north", "period-2025-Q1"}


def test_small_audit_end_to_end(small_audit, tmp_path):
    out = tmp_path / "outputs"
    a = audit_mod.load(small_audit)
    summary = runner.run(a, out, jobs=2, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    root = out / "small"
    run = json.loads((root / "run.json").read_text())
    assert {s["id"] for s in run["slices"]} == SLICES
    assert len(run["notebooks"]) == 8 and run["failures"] == []
    # where the time went outside the notebooks (bench/scale.py prints it)
    assert set(run["phases"]) == {"dataset", "render", "pdf", "index"}
    assert run["phases"]["render"] > 0 and run["phases"]["dataset"] > 0
    index = (root / "index.html").read_text()
    for sid in SLICES:
        assert f'href="slices/{sid}/report.html"' in index
        report = (root / "slices" / sid / "report.html").read_text()
        assert "Small Co." in report and "Customer classification" in report
        assert "Executive summary" in report and "Contents" in report
        assert "Champions" in report  # the segment table
        assert "Traceback" not in report and "playbook.start" not in report
        assert 'class="jp-CodeMirrorEditor' not in report  # no code cells
        assert "http://" not in report.replace("http://www.w3.org", "")
        res = json.loads((root / "slices" / sid / "results.json").read_text())
        assert {"data_audit", "classification"} <= set(res)
        assert res["classification"]["findings"]
        assert sum(r["customers"] for r in res["classification"]["segments"]) > 0
        executed = nbformat.read(
            root / "slices" / sid / "notebooks" / "01_classification.ipynb", as_version=4
        )
        # A client's executed notebooks hold no trainer notes, exercises or solutions.
        assert not [
            c for c in executed.cells if set(c.metadata.get("tags", [])) & training.TRAINING_TAGS
        ]
    east = json.loads((root / "slices/region-east/results.json").read_text())
    assert east["data_audit"]["kpis"]["customers"] == 12  # half of the 24 customers
    assert not (out / "small.new").exists()


FRAGILE = """
if slice_id == "region-north":
    raise ValueError("planted failure for the test")
from clientbook.present import playbook
book = playbook.start(dataset_dir, slice_id, lang, output_dir)
playbook.say("classification.title")
"""


def test_one_failing_playbook_leaves_the_other_slices_rendered(small_audit, tmp_path):
    pb = tmp_path / "playbooks"
    pb.mkdir()
    shutil.copy(resources.playbooks_dir() / "00_data_audit.ipynb", pb)
    nb = nbformat.read(resources.playbooks_dir() / "00_data_audit.ipynb", as_version=4)
    nb.cells = [nb.cells[1], nbformat.v4.new_code_cell(FRAGILE)]
    nbformat.write(nb, pb / "01_fragile.ipynb")
    text = small_audit.read_text().replace(
        "steps: [data_audit, classification]", f"playbooks_dir: {pb}"
    )
    small_audit.write_text(text)
    out = tmp_path / "outputs"
    summary = runner.run(audit_mod.load(small_audit), out, jobs=2, show_progress=False)
    assert [(f.slice_id, f.step) for f in summary.failures] == [("region-north", "fragile")]
    assert "planted failure" in summary.failures[0].error
    root = out / "small"
    run = json.loads((root / "run.json").read_text())
    assert [f["slice_id"] for f in run["failures"]] == ["region-north"]
    for sid in SLICES:
        assert (root / "slices" / sid / "report.html").exists()
    kept = nbformat.read(root / "slices/region-north/notebooks/01_fragile.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in kept.cells for o in c.get("outputs", []))
    north = (root / "slices/region-north/report.html").read_text()
    assert "cb-failed" in north and "Traceback" not in north
    assert "Data audit" in north  # the step that worked is still in the report
    index = (root / "index.html").read_text()
    assert 'class="failed" data-slice="region-north"' in index


def test_earlier_outputs_survive_a_run_that_cannot_start(small_audit, tmp_path):
    out = tmp_path / "outputs"
    (out / "small").mkdir(parents=True)
    (out / "small" / "index.html").write_text("previous run")
    a = audit_mod.load(small_audit)
    a.sources["orders"].columns = {"order_date": "no such header"}
    try:
        runner.run(a, out, jobs=1, show_progress=False)
    except ValueError as e:
        assert "no such header" in str(e)
    assert (out / "small" / "index.html").read_text() == "previous run"
    assert not (out / "small.new").exists()


CHECK_CLEAN = nbformat.v4.new_code_cell(
    "assert 'leftover' not in dir(), 'namespace not cleared'\nleftover = 1"
)


def test_same_results_in_a_fresh_and_a_reused_kernel(small_audit, tmp_path):
    a = audit_mod.load(small_audit)
    ds = tmp_path / "run" / "dataset"
    build(a, ds)
    nb_dir = tmp_path / "run" / "slices" / "all" / "notebooks"
    nb_dir.mkdir(parents=True)
    params = {"dataset_dir": str(ds), "slice_id": "all", "lang": "en", "output_dir": ".."}
    probe = tmp_path / "99_probe.ipynb"
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    nb.cells = [CHECK_CLEAN]
    nbformat.write(nb, probe)
    classification = resources.playbooks_dir() / "01_classification.ipynb"

    fresh = runner.KernelWorker()
    try:
        first = results.collect(fresh.execute(classification, nb_dir / "a.ipynb", params))
    finally:
        fresh.shutdown()
    reused = runner.KernelWorker()
    try:
        reused.execute(probe, nb_dir / "p1.ipynb", {})
        reused.execute(
            resources.playbooks_dir() / "00_data_audit.ipynb",
            nb_dir / "b.ipynb",
            {**params, "slice_id": "region-east"},
        )
        reused.execute(probe, nb_dir / "p2.ipynb", {})  # fails if anything leaked
        second = results.collect(reused.execute(classification, nb_dir / "c.ipynb", params))
    finally:
        reused.shutdown()
    assert first == second and first["segments"]


def test_playbooks_are_committed_without_outputs():
    books = sorted((resources.playbooks_dir()).glob("*.ipynb"))
    assert books
    for path in books:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name
        tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
        assert any("parameters" in t for t in tags), f"{path.name} has no parameters cell"


def test_the_same_run_on_dask(small_audit, tmp_path):
    """Slices as Dask tasks on a local cluster give the same slices and results."""
    out = tmp_path / "outputs"
    summary = runner.run(
        audit_mod.load(small_audit), out, jobs=2, show_progress=False, dask="local"
    )
    assert summary.failures == [] and summary.render_errors == []
    root = out / "small"
    assert {s["id"] for s in json.loads((root / "run.json").read_text())["slices"]} == SLICES
    for sid in SLICES:
        assert "Customer classification" in (root / "slices" / sid / "report.html").read_text()
    east = json.loads((root / "slices/region-east/results.json").read_text())
    assert east["data_audit"]["kpis"]["customers"] == 12


def test_training_mode_run_adds_handbooks_and_keeps_client_reports_clean(small_audit, tmp_path):
    out = tmp_path / "outputs"
    summary = runner.run(
        audit_mod.load(small_audit), out, jobs=2, show_progress=False, mode="training"
    )
    assert summary.failures == [] and summary.render_errors == []
    root = out / "small"
    assert (root / "training" / "index.html").exists()
    for sid in SLICES:
        handbook = (root / "slices" / sid / "handbook.html").read_text()
        assert 'class="jp-CodeMirrorEditor' in handbook  # code visible
        assert "<details" in handbook  # solutions folded
        report = (root / "slices" / sid / "report.html").read_text()
        assert "playbook.start" not in report and "<details" not in report
        assert 'class="jp-CodeMirrorEditor' not in report


def test_training_mode_runs_every_playbook_on_an_export_without_optional_tables(
    small_audit, tmp_path
):
    """Exercises and solutions never fail a slice, also when surveys, tickets and leads are
    missing (the small export has orders and customers only)."""
    small_audit.write_text(
        small_audit.read_text().replace("steps: [data_audit, classification]\n", "")
    )
    out = tmp_path / "outputs"
    summary = runner.run(
        audit_mod.load(small_audit), out, jobs=2, show_progress=False, mode="training"
    )
    assert summary.failures == [] and summary.render_errors == []
    root = out / "small"
    playbooks = sorted((resources.playbooks_dir()).glob("[0-9][0-9]_*.ipynb"))
    assert len(json.loads((root / "run.json").read_text())["notebooks"]) == 4 * len(playbooks)
    # The run keeps the playbooks as it executed them: whole, in training mode.
    staged = nbformat.read(root / "playbooks" / "03_satisfaction.ipynb", as_version=4)
    assert (
        staged.cells
        == nbformat.read(resources.playbooks_dir() / "03_satisfaction.ipynb", as_version=4).cells
    )
    for sid in SLICES:
        nb = nbformat.read(
            root / "slices" / sid / "notebooks" / "03_satisfaction.ipynb", as_version=4
        )
        assert any("solution" in c.metadata.get("tags", []) for c in nb.cells)
        handbook = (root / "slices" / sid / "handbook.html").read_text()
        assert handbook.count('<details class="cb-solution">') >= 2 * len(playbooks)
