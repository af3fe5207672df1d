"""The wheel carries its resources: built from the repository's files, installed into a fresh
virtualenv outside the repository, it generates the sample and runs an audit there.

Fast and offline: the fresh venv gets this interpreter's dependencies through one `.pth`
file listing the current environment's site-packages, and the wheel is installed with
`--no-deps`. Python processes the `.pth` files of site-packages folders only, not of folders
a `.pth` line adds, so the project venv's editable-install `.pth` (which points at a
checkout's `lib/`) is not processed there: the test checks that `clientbook` and its
playbooks, templates and demo audit come from the fresh venv.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _repo_files() -> list[Path]:
    """The repository's files as a clone has them (tracked, plus new files not ignored)."""
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        return [Path(p) for p in out.decode().split("\0") if p and (REPO / p).is_file()]
    skip = {".git", ".venv", ".venv-lab", "outputs", "build", "__pycache__"}
    return [
        p.relative_to(REPO)
        for p in REPO.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(REPO).parts)
    ]


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that would put the repository on sys.path. Jupyter's
    data files (nbconvert's base templates) sit in the dependencies' prefix, not in
    site-packages, so a `.pth` cannot share them: JUPYTER_PATH points there instead (a full
    install puts them into the venv's own share/jupyter)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    shared = Path(sys.prefix) / "share" / "jupyter"
    return env | {"JUPYTER_PATH": str(shared)} | extra


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """A wheel built from a clean copy of the repository, installed into a fresh venv."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for rel in _repo_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    dist = tmp / "dist"
    env = _clean_env()
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, src],
        cwd=tmp,
        env=env,
    )
    (wheel,) = dist.glob("clientbook-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=env)
    py = venv / "bin" / "python"
    target = Path(
        _run(
            [py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp, env=env
        ).strip()
    )
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (target / "_clientbook_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    _run(
        [sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--quiet", wheel],
        cwd=tmp,
        env=env,
    )
    work = tmp / "work"  # outside the repository, and not the source copy either
    work.mkdir()
    return {
        "venv": venv,
        "py": py,
        "site": target,
        "work": work,
        "wheel": wheel,
        "deps": Path(deps[0]),
        "cache": tmp / "cache",
    }


def test_the_wheel_holds_the_playbooks_templates_assets_and_demo_audits(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for rel in (
        "playbooks/00_data_audit.ipynb",
        "playbooks/08_action_plan.ipynb",
        "templates/clientbook_report/index.html.j2",
        "templates/clientbook_slides/index.html.j2",
        "templates/clientbook_training/walkthrough.html.j2",
        "templates/clientbook_index/index.html.j2",
        "audits/demo.yaml",
        "audits/demo-zh.yaml",
    ):
        assert f"clientbook/_resources/{rel}" in names, rel
    assert "clientbook/deliver/assets/reveal/dist/reveal.js" in names
    assert "clientbook/present/messages/en/common.yaml" in names
    playbooks = [n for n in names if n.startswith("clientbook/_resources/playbooks/")]
    assert len(playbooks) == len(list((REPO / "playbooks").glob("[0-9][0-9]_*.ipynb")))


def test_clientbook_comes_from_the_fresh_venv_not_the_repository(installed):
    probe = """
import json, sys
import clientbook
from clientbook.config import resources
from jupyter_client.manager import KernelManager
print(json.dumps({
    "module": clientbook.__file__,
    "resources": str(resources.resources_root()),
    "playbooks": str(resources.playbooks_dir()),
    "demo": str(resources.demo_audit("en")),
    "path": sys.path,
    "editable_finders": [m for m in sys.modules if "__editable__" in m],
    "kernel": KernelManager(kernel_name="python3").format_kernel_cmd()[0],
}))
"""
    env = _clean_env()
    got = json.loads(_run([installed["py"], "-c", probe], cwd=installed["work"], env=env))
    site_dir = installed["site"].resolve()
    assert Path(got["module"]).resolve().is_relative_to(site_dir), got["module"]
    for key in ("resources", "playbooks", "demo"):
        assert Path(got[key]).resolve().is_relative_to(site_dir / "clientbook" / "_resources")
    assert got["editable_finders"] == []
    # The only sys.path entry holding a clientbook package is the fresh venv's site-packages:
    # an editable install's .pth in the dependency folder was not processed.
    holders = {
        str(Path(p).resolve())
        for p in got["path"]
        if p and (Path(p) / "clientbook" / "__init__.py").is_file()
    }
    assert holders == {str(site_dir)}
    assert str(installed["deps"]) in got["path"]  # the dependencies did come through the .pth
    # Notebooks run on a kernel of the fresh venv's interpreter, so they import the wheel too.
    assert Path(got["kernel"]).parent == installed["py"].parent


def test_a_pth_inside_a_pth_added_folder_is_not_processed(tmp_path):
    """What the isolation above rests on, shown with two marker folders."""
    outer, inner, marker = tmp_path / "outer", tmp_path / "inner", tmp_path / "marker"
    for d in (outer, inner, marker):
        d.mkdir()
    (outer / "a.pth").write_text(f"{inner}\n", encoding="utf-8")
    (inner / "b.pth").write_text(f"{marker}\n", encoding="utf-8")
    code = (
        f"import site, sys; site.addsitedir({str(outer)!r}); "
        f"print({str(inner)!r} in sys.path, {str(marker)!r} in sys.path)"
    )
    out = _run([sys.executable, "-c", code], cwd=tmp_path, env=_clean_env())
    assert out.split() == ["True", "False"]


def test_sample_and_run_in_the_fresh_venv_outside_the_repository(installed):
    work, bindir = installed["work"], installed["venv"] / "bin"
    env = _clean_env(CLIENTBOOK_CACHE=str(installed["cache"]))
    _run(
        [bindir / "clientbook", "sample", "raw", "--customers", "300", "--seed", "7"],
        cwd=work,
        env=env,
    )
    assert (work / "raw" / "orders.csv").is_file()
    assert list(installed["cache"].glob("sample-*-seed7-n300-*/dataset/dataset.json"))
    # The demo audit as the wheel ships it, pointed at this export; one slice, all playbooks.
    demo = Path(
        _run(
            [
                installed["py"],
                "-c",
                "from clientbook.config.resources import demo_audit; print(demo_audit('en'))",
            ],
            cwd=work,
            env=env,
        ).strip()
    )
    text = demo.read_text(encoding="utf-8").replace("../outputs/sample/raw/", f"{work / 'raw'}/")
    text = text.replace("by: [region, period]", "by: []")
    text = text.replace("outputs: [html, slides, pptx, pdf]", "outputs: [html, slides, pptx]")
    assert f"{work / 'raw'}/orders.csv" in text and "by: []" in text
    (work / "wheel.yaml").write_text(text, encoding="utf-8")
    _run(
        [bindir / "clientbook", "run", "wheel.yaml", "--jobs", "1", "--quiet", "--outputs", "out"],
        cwd=work,
        env=env,
        timeout=1200,
    )
    root = work / "out" / "demo"
    run = json.loads((root / "run.json").read_text(encoding="utf-8"))
    assert run["failures"] == []
    assert len(run["notebooks"]) == len(list((REPO / "playbooks").glob("[0-9][0-9]_*.ipynb")))
    report = (root / "slices" / "all" / "report.html").read_text(encoding="utf-8")
    assert "Demo Trading Co." in report and "Traceback" not in report
    assert (root / "index.html").is_file()
    assert (root / "slices" / "all" / "slides.html").is_file()
    assert (root / "slices" / "all" / "deck.pptx").is_file()
    assert (root / "assets" / "reveal" / "dist" / "reveal.js").is_file()
