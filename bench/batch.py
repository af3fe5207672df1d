"""Time the demo audit three ways and print the ratios.

1. `clientbook run audits/demo.yaml`: kernels reused per worker, rendering in-process.
2. The naive loop a user would write: for every slice and playbook, the papermill CLI, then
   `jupyter nbconvert --to html --no-input` CLI, one notebook at a time.
3. The limit: the same lib functions in one plain Python process, no kernels (each playbook's
   code cells executed in-process with display captured; charts still drawn to PNG).

4. A no-op re-run of (1): the same command on the same outputs, nothing changed, so every
   notebook and deliverable is reused from the previous run (`clientbook.run.cache`).

Targets (issue 16): (1) at least 20x faster than (2); (4) at most 2 s and at least 50x faster
than (1). (1) within 2x of (3) is the earlier goal.

    .venv/bin/python bench/batch.py [--audit audits/demo.yaml] [--naive-slices N]

The demo's export (outputs/sample/raw) is generated first when missing. Every figure is
printed with the machine's load average (the machine may be shared).

--naive-slices N times the naive loop on the first N slices only and scales it to all slices
(every notebook costs the same there: two fresh processes); the default runs all of them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def run_clientbook(audit: Path, out: Path) -> float:
    t = time.perf_counter()
    # HTML reports only, as the naive loop makes: like for like.
    subprocess.run(
        [
            str(BIN / "clientbook"),
            "run",
            str(audit),
            "--outputs",
            str(out),
            "--quiet",
            "--formats",
            "html",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def ensure_export(audit: Path) -> None:
    """The export the audit reads (the demo's sample client), generated when missing."""
    from clientbook.config import audit_file as audit_mod

    a = audit_mod.load(audit)
    raw = a.resolve(a.sources["orders"].path).parent
    if not (raw / "orders.csv").exists():
        subprocess.run(
            [str(BIN / "clientbook"), "sample", str(raw)], check=True, stdout=subprocess.DEVNULL
        )


def run_naive(
    audit_slug: str, built: Path, work: Path, limit: int | None
) -> tuple[float, int, int]:
    """papermill CLI + nbconvert CLI per notebook, on the dataset run (1) built."""
    from clientbook.config import audit_file as audit_mod
    from clientbook.config import resources
    from clientbook.data.book import read_manifest
    from clientbook.data.dataset import slices

    ds = work / "dataset"
    shutil.copytree(built / "dataset", ds)
    a = audit_mod.load(resources.demo_audit("zh" if audit_slug.endswith("-zh") else "en"))
    # Like for like: the playbooks exactly as run (1) executed them.
    playbooks = sorted((built / "playbooks").glob("*.ipynb"))
    plan = slices(read_manifest(ds))
    chosen = plan[:limit] if limit else plan
    t = time.perf_counter()
    for sl in chosen:
        d = work / "slices" / sl.id
        d.mkdir(parents=True)
        for pb in playbooks:
            out = d / pb.name
            subprocess.run(
                [
                    str(BIN / "papermill"),
                    str(pb),
                    str(out),
                    "-p",
                    "dataset_dir",
                    str(ds),
                    "-p",
                    "slice_id",
                    sl.id,
                    "-p",
                    "lang",
                    a.lang,
                    "-p",
                    "output_dir",
                    str(d),
                    "--no-progress-bar",
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                check=True,
                capture_output=True,
            )
    return time.perf_counter() - t, len(chosen), len(plan)


def run_plain(audit: Path, work: Path) -> float:
    """Each playbook's code executed in this process: lib calls, charts, no kernels."""
    import IPython.display
    import nbformat

    from clientbook.config import audit_file as audit_mod
    from clientbook.data import dataset
    from clientbook.run import runner

    shown: list[object] = []
    IPython.display.display = lambda *objs, **kw: shown.extend(objs)  # type: ignore[assignment]
    t = time.perf_counter()
    a = audit_mod.load(audit)
    manifest = dataset.build(a, work / "dataset")
    # What a client run executes: the playbooks without trainer notes, exercises, solutions.
    books = [
        (pb, nbformat.read(pb, as_version=4))
        for pb in runner.stage_playbooks(a.playbooks(), "client", work / "playbooks")
    ]
    for sl in dataset.slices(manifest):
        for _pb, nb in books:
            ns = {
                "dataset_dir": str(work / "dataset"),
                "slice_id": sl.id,
                "lang": a.lang,
                "output_dir": str(work / "slices" / sl.id),
            }
            for cell in nb.cells:
                if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                    exec(compile(cell.source, "<playbook>", "exec"), ns)  # noqa: S102
            shown.clear()
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--audit", default=None, help="default: the bundled demo audit")
    p.add_argument("--naive-slices", type=int, default=None)
    p.add_argument("--skip-plain", action="store_true", help="do not time (3)")
    args = p.parse_args()
    from clientbook.config import resources

    audit = Path(args.audit) if args.audit else resources.demo_audit("en")
    ensure_export(audit)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        t1 = run_clientbook(audit, tmp_path / "run")
        print(f"(1) clientbook run:        {t1:8.1f} s  ({load()})", flush=True)
        t4 = run_clientbook(audit, tmp_path / "run")
        print(f"(4) no-op re-run of (1):   {t4:8.1f} s  ({load()})", flush=True)
        t3 = None if args.skip_plain else run_plain(audit, tmp_path / "plain")
        if t3:
            print(f"(3) plain Python (limit):  {t3:8.1f} s  ({load()})", flush=True)
        t2, done, total = run_naive(
            audit.stem, tmp_path / "run" / audit.stem, tmp_path / "naive", args.naive_slices
        )
        if done < total:
            print(f"    naive loop timed on {done} of {total} slices: {t2:.1f} s, scaled")
            t2 = t2 * total / done
        print(f"(2) naive CLI loop:        {t2:8.1f} s  ({load()})", flush=True)
    print(f"(2)/(1) = {t2 / t1:5.1f}x  (target >= 20x)")
    print(f"(1)/(4) = {t1 / t4:5.1f}x  (no-op re-run; target >= 50x, and (4) <= 2 s)")
    if t3:
        print(f"(1)/(3) = {t1 / t3:5.2f}x  (earlier target <= 2x)")


if __name__ == "__main__":
    main()
