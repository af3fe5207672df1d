"""Time training mode on an existing run's outputs.

1. What the training cells cost at execution: every playbook run on the sample client
   (slice `all`, one reused kernel) as committed, and as `training.client_notebook` strips it
   (no training, exercise or solution cells). Best of `--repeat`.
2. Rendering: one handbook per slice (`handbook.render_handbook`) and the training index.

    .venv/bin/python bench/training.py [--run outputs/demo] [--audit audits/demo.yaml]

The run folder must hold executed notebooks (`clientbook run audits/demo.yaml` first; run it
with `--mode training` after the playbooks gained their training cells).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import nbformat

from clientbook.config import audit_file as audit_mod
from clientbook.config import resources
from clientbook.deliver import handbook
from clientbook.present import training
from clientbook.run.runner import KernelWorker

REPO = Path(__file__).resolve().parents[1]


def execution(repeat: int) -> None:
    worker = KernelWorker()
    tmp = Path(tempfile.mkdtemp(prefix="bench-training-"))
    try:
        for pb in sorted((resources.playbooks_dir()).glob("[0-9][0-9]_*.ipynb")):
            full = nbformat.read(pb, as_version=4)
            stripped = training.client_notebook(full)
            stripped_path = tmp / f"client-{pb.name}"
            nbformat.write(stripped, stripped_path)
            try:
                worker.execute(pb, tmp / pb.name, {})  # warm: imports, sample data, fonts
            except Exception as exc:  # noqa: BLE001 - a playbook in the works is skipped
                print(f"{pb.stem:24s} failed: {str(exc).strip().splitlines()[-1][:80]}")
                continue
            best = {}
            for name, path in (("with training cells", pb), ("client cells only", stripped_path)):
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    worker.execute(path, tmp / f"out-{pb.name}", {})
                    times.append(time.perf_counter() - t0)
                best[name] = min(times)
            extra = best["with training cells"] - best["client cells only"]
            n = len(full.cells) - len(stripped.cells)
            print(
                f"{pb.stem:24s} {best['client cells only']:6.2f} s client, "
                f"{best['with training cells']:6.2f} s with {n} training cells "
                f"(+{extra:5.2f} s)"
            )
    finally:
        worker.shutdown()


def rendering(run: Path, audit_path: Path) -> None:
    a = audit_mod.load(audit_path)
    summary = json.loads((run / "run.json").read_text(encoding="utf-8"))
    manifest = json.loads((run / "dataset" / "dataset.json").read_text(encoding="utf-8"))
    files = sorted({Path(n["notebook"]).name for n in summary["notebooks"]})
    times, sizes = [], []
    for s in summary["slices"]:
        nbs = [run / "slices" / s["id"] / "notebooks" / f for f in files]
        t0 = time.perf_counter()
        out = handbook.render_handbook(run, s["id"], nbs, a, s["failed_steps"])
        times.append(time.perf_counter() - t0)
        sizes.append(out.stat().st_size)
    t0 = time.perf_counter()
    handbook.render_training_index(run, a, manifest, summary)
    index = time.perf_counter() - t0
    rest = sorted(times[1:] or times)
    print(
        f"handbooks: {len(times)} slices x {len(files)} playbooks, first {times[0]:.2f} s "
        f"(builds the exporter), then median {rest[len(rest) // 2]:.2f} s per slice, "
        f"{sum(times):.1f} s in all, {max(sizes) / 1e6:.1f} MB largest"
    )
    print(f"training index: {index * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, default=REPO / "outputs" / "demo")
    ap.add_argument("--audit", type=Path, default=resources.demo_audit("en"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    execution(args.repeat)
    rendering(args.run, args.audit)


if __name__ == "__main__":
    main()
