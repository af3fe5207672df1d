"""Training mode: every playbook runs top to bottom with its defaults (solutions in place, after
the exercises), the handbook shows code, exercises and folded solutions, and no client
deliverable shows any of them. `make lab` resolves to JupyterLab on playbooks/.

The playbooks run once, on one shared kernel, on the bundled sample client (the empty
`dataset_dir` default); the render tests reuse those executed notebooks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.config import resources
from clientbook.config.audit_file import step_name
from clientbook.data import dataset
from clientbook.deliver import handbook
from clientbook.deliver import report as render
from clientbook.present import i18n, training
from clientbook.present.playbook import sample_dataset
from clientbook.run.runner import KernelWorker

REPO = Path(__file__).resolve().parents[1]
PLAYBOOKS = sorted((resources.playbooks_dir()).glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in PLAYBOOKS]
CALL = re.compile(r"""training\.(intro|note|mistake|exercise)\(\s*["']([^"']+)["']""")


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


# ---- the playbooks as committed ---------------------------------------------------------


@pytest.mark.parametrize("stem", IDS)
def test_playbook_has_training_cells_exercises_and_solutions(stem):
    path = resources.playbooks_dir() / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    assert any("parameters" in tags(c) for c in cells)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in cells
        if c.cell_type == "code"
    ), "commit playbooks without outputs"
    code = "\n".join(c.source for c in cells if tags(c) & training.TRAINING_TAGS)
    assert f'training.intro("{step_name(path)}")' in code
    assert "training.mistake(" in code
    exercises = [i for i, c in enumerate(cells) if "exercise" in tags(c) and c.cell_type == "code"]
    assert len(exercises) >= 2, "a few exercises per playbook"
    for i in exercises:
        # question (markdown, exercise) -> cell to fill (code, exercise) -> answer (solution)
        assert cells[i - 1].cell_type == "markdown" and "exercise" in tags(cells[i - 1])
        assert "training.exercise(" in cells[i].source
        assert cells[i + 1].cell_type == "code" and tags(cells[i + 1]) == {"solution"}
    solutions = [c for c in cells if "solution" in tags(c)]
    assert len(solutions) == len(exercises)


def test_every_training_text_is_in_both_languages():
    used = set()
    for path in PLAYBOOKS:
        for c in nbformat.read(path, as_version=4).cells:
            for kind, key in CALL.findall(c.source):
                if kind == "intro":
                    used |= {f"training.{key}.{k}" for k in ("purpose", "decision", "charts")}
                elif kind in ("mistake", "exercise") and f".{kind}." not in key:
                    step, name = key.removeprefix("training.").split(".", 1)
                    used.add(f"training.{step}.{kind}.{name}")
                else:
                    used.add(key if key.startswith("training.") else f"training.{key}")
    assert used
    for lang in i18n.LANGS:
        missing = sorted(k for k in used if k not in i18n.catalogue(lang))
        assert not missing, f"{lang}: {missing}"
    en = {k for k in i18n.catalogue("en") if k.startswith("training.")}
    zh = {k for k in i18n.catalogue("zh") if k.startswith("training.")}
    assert en == zh
    for step in training.STAGES:
        assert f"training.{step}.purpose" in en and f"training.{step}.decision" in en


def test_client_notebook_drops_every_training_cell():
    nb = nbformat.read(PLAYBOOKS[0], as_version=4)
    kept = training.client_notebook(nb)
    assert not any(tags(c) & training.TRAINING_TAGS for c in kept.cells)
    assert len(kept.cells) == sum(1 for c in nb.cells if not tags(c) & training.TRAINING_TAGS)
    assert any(tags(c) & training.TRAINING_TAGS for c in nb.cells)  # the input is untouched


# ---- executed: top to bottom with defaults, solutions included ---------------------------


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every playbook executed once with papermill and no parameters, on one shared kernel:
    {playbook stem: executed notebook path, or the exception it raised}."""
    out = tmp_path_factory.mktemp("training-run") / "slices" / "all" / "notebooks"
    out.mkdir(parents=True)
    worker = KernelWorker()
    done: dict[str, Path | BaseException] = {}
    try:
        for path in PLAYBOOKS:
            try:
                worker.execute(path, out / path.name, {})
                done[path.stem] = out / path.name
            except Exception as exc:  # noqa: BLE001 - reported by the test of that playbook
                done[path.stem] = exc
    finally:
        worker.shutdown()
    return done


@pytest.mark.slow
@pytest.mark.parametrize("path", PLAYBOOKS, ids=IDS)
def test_playbook_runs_top_to_bottom_with_defaults_and_solutions(executed, path):
    result = executed[path.stem]
    if isinstance(result, BaseException):
        pytest.fail(f"{path.name} failed: {result}")
    nb = nbformat.read(result, as_version=4)
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        assert c.execution_count is not None, f"cell {c.id} did not run"
        assert not any(o.output_type == "error" for o in c.outputs), c.id
        if tags(c) & {"solution", "training"} or "training.exercise(" in c.source:
            assert c.outputs, f"{c.id} shows nothing"  # every answer and note is visible


@pytest.fixture(scope="module")
def run_root(executed, tmp_path_factory):
    """The executed playbooks laid out like a run's output folder."""
    ok = [p for p in executed.values() if isinstance(p, Path)]
    if not ok:
        pytest.skip("no playbook executed")
    root = ok[0].parents[3]
    (root / "dataset").mkdir(exist_ok=True)
    shutil.copy(sample_dataset() / "dataset.json", root / "dataset" / "dataset.json")
    return root


def _audit(mode: str):
    a = audit_mod.load(resources.demo_audit("en"))
    a.mode = mode
    return a


def _notebooks(root: Path) -> list[Path]:
    return [root / "slices" / "all" / "notebooks" / p.name for p in PLAYBOOKS]


def _training_texts() -> list[str]:
    """Texts that only a training cell shows (labels of notes, mistakes and exercises)."""
    return [
        i18n.t(f"training.label.{k}", "en")
        for k in ("note", "mistake", "exercise", "stage", "purpose", "decision")
    ]


@pytest.mark.slow
def test_handbook_shows_code_exercises_and_folded_solutions(run_root):
    a = _audit("training")
    nbs = _notebooks(run_root)
    out = handbook.render_handbook(run_root, "all", nbs, a, [])
    assert out == run_root / "slices" / "all" / "handbook.html"
    page = out.read_text(encoding="utf-8")
    assert 'class="jp-CodeMirrorEditor' in page  # code visible
    assert "playbook.start(" in re.sub(r"<[^>]+>", "", page)
    assert "injected-parameters" not in page
    executed = [nbformat.read(p, as_version=4) for p in nbs if p.exists()]
    solutions = [c for nb in executed for c in nb.cells if "solution" in tags(c)]
    exercises = [c for nb in executed for c in nb.cells if "exercise" in tags(c)]
    folded = re.findall(r'<details class="cb-solution">(.*?)</details>', page, flags=re.S)
    assert len(folded) == len(solutions) > 0
    # Each solution's code sits inside its own <details>, never outside.
    for block, cell in zip(folded, solutions, strict=True):
        first_name = re.findall(r"[A-Za-z_]\w+", cell.source)[0]
        assert first_name in re.sub(r"<[^>]+>", "", block)
    assert page.count('<div class="cb-exercise">') == len(exercises)
    assert i18n.t("training.label.exercise", "en") in page
    assert i18n.t("training.label.mistake", "en") in page
    for step in (step_name(p) for p in PLAYBOOKS):
        assert f'id="step-{step}"' in page
    from test_offline import remote_assets

    assert remote_assets(out) == []


@pytest.mark.slow
def test_handbook_in_chinese(run_root, tmp_path):
    a = _audit("training")
    a.lang = "zh"
    page = handbook.render_handbook(run_root, "all", _notebooks(run_root)[:1], a, []).read_text(
        encoding="utf-8"
    )
    assert i18n.t("training.handbook.title", "zh") in page
    assert i18n.t("training.label.solution", "zh") in page


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["client", "training"])
def test_client_report_has_no_code_exercise_or_solution(run_root, mode):
    """report.html, in either mode, is a client deliverable."""
    a = _audit(mode)
    manifest = json.loads((run_root / "dataset" / "dataset.json").read_text(encoding="utf-8"))
    sl = next(s for s in dataset.slices(manifest) if s.id == "all")
    render.render_slice(run_root, sl, _notebooks(run_root), a, [])
    page = (run_root / "slices" / "all" / "report.html").read_text(encoding="utf-8")
    assert 'class="jp-CodeMirrorEditor' not in page
    assert "playbook.start(" not in re.sub(r"<[^>]+>", "", page)
    assert "<details" not in page and "cb-solution" not in page
    for text in _training_texts():
        assert text not in page, text
    assert "练习" not in page  # the exercise headings


@pytest.mark.slow
def test_client_combine_drops_training_cells(run_root):
    nbs = _notebooks(run_root)
    try:
        combined = render.combine(nbs, [], "client")
    except (TypeError, AttributeError):  # combine takes (step, notebook) pairs
        combined = render.combine(render.read_notebooks(nbs), [], "client")
    text = json.dumps(combined)
    for t in _training_texts():
        assert t not in text, t
    assert not any(tags(c) & training.TRAINING_TAGS for c in combined.cells)


@pytest.mark.slow
def test_training_index_walks_the_steps_in_order(run_root):
    a = _audit("training")
    manifest = json.loads((run_root / "dataset" / "dataset.json").read_text(encoding="utf-8"))
    nbs = _notebooks(run_root)
    handbook.render_handbook(run_root, "all", nbs, a, [])
    summary = {
        "slices": [{"id": "all", "kind": "all", "label": "", "failed_steps": []}],
        "notebooks": [
            {
                "slice_id": "all",
                "step": step_name(p),
                "ok": p.exists(),
                "notebook": f"slices/all/notebooks/{p.name}",
            }
            for p in reversed(nbs)
        ],
    }
    out = handbook.render_training_index(run_root, a, manifest, summary)
    assert out == run_root / "training" / "index.html"
    page = out.read_text(encoding="utf-8")
    positions = [page.index(f'id="step-{step_name(p)}"') for p in nbs]
    assert positions == sorted(positions)  # method order, whatever the summary's order
    for p in nbs:
        step = step_name(p)
        assert f'href="../slices/all/handbook.html#step-{step}"' in page
        assert f'href="../slices/all/notebooks/{p.name}"' in page
        assert i18n.t(f"training.{step}.purpose", "en")[:30].replace("'", "&#39;") in page


# ---- make lab ----------------------------------------------------------------------------


def test_make_lab_resolves_to_jupyterlab_on_the_playbooks():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -B: what `make lab` does from scratch, whether or not an earlier `make lab` left its
    # environment behind (then a plain -n prints no install step); no flags from an outer make
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "-n", "-B", "lab"], cwd=REPO, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"pip install .*\.\[lab\]", done.stdout)
    assert "jupyter lab playbooks/" in done.stdout
    # JupyterLab runs from its own environment: the project's .venv (the runs) stays free of it
    assert re.search(r"^\.venv-lab/bin/jupyter lab playbooks/", done.stdout, re.M), done.stdout
    assert not re.search(r"^\.venv/bin/pip install .*\[lab\]", done.stdout, re.M)


def test_lab_extra_declares_jupyterlab():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    lab = meta["project"]["optional-dependencies"]["lab"]
    assert any(re.match(r"jupyterlab\b", req) for req in lab)


def _lab_plan(tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """What `pip install .[lab]` resolves to in an empty environment: name -> version.
    `--ignore-installed` plans every requirement as if nothing were installed, so the answer
    is the same whether or not an earlier `make lab` put jupyterlab into this environment."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "-e",
            f"{REPO}[lab]",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    plan = json.loads(report.read_text(encoding="utf-8"))
    return {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in plan["install"]}


@pytest.mark.slow
@pytest.mark.parametrize("jupyterlab_installed", [False, True])
def test_lab_extra_installs(tmp_path, jupyterlab_installed):
    """pip resolves the `lab` extra against the package index, without installing it, to a
    JupyterLab that satisfies the extra's bound, next to the runtime (papermill, ipykernel):
    also when a jupyterlab is already installed (issue 17: the plan then left it out)."""
    from packaging.requirements import Requirement

    env = dict(os.environ)
    if jupyterlab_installed:  # a jupyterlab distribution pip sees as installed
        fake = tmp_path / "site"
        info = fake / "jupyterlab-4.9.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: jupyterlab\nVersion: 4.9.0\n", encoding="utf-8"
        )
        (info / "INSTALLER").write_text("pip\n", encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(fake), env.get("PYTHONPATH")]))
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import importlib.metadata as m; print(m.version('jupyterlab'))",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.stdout.strip() == "4.9.0"  # the check below runs with it installed
    plan = _lab_plan(tmp_path, env)
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = next(
        Requirement(r)
        for r in meta["project"]["optional-dependencies"]["lab"]
        if Requirement(r).name == "jupyterlab"
    )
    assert "jupyterlab" in plan, sorted(plan)
    assert wanted.specifier.contains(plan["jupyterlab"]), plan["jupyterlab"]
    assert {"clientbook", "papermill", "ipykernel"} <= set(plan)
