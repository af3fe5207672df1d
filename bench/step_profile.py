"""Where a playbook's time goes: each code cell timed, and the slowest functions under cProfile.

    .venv/bin/python bench/step_profile.py DATASET_DIR [--slice all] [--steps retention,action_plan]
        [--top 25] [--lang en]

DATASET_DIR is a built dataset (`outputs/<audit>/dataset`, or the one `bench/scale.py` built).
The playbooks run in this process in step order, as a client run stages them (no trainer notes
or exercises); nothing is displayed and nothing is collected into results.json, so a step that
reads earlier steps' results (the action plan) computes what it needs itself.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--slice", default="all")
    ap.add_argument("--steps", default="", help="comma list; empty: all nine")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--out", type=Path, default=None, help="slice outputs (default: a temp dir)")
    args = ap.parse_args()

    import IPython.display
    import nbformat

    from clientbook.config.audit_file import step_name
    from clientbook.run import runner

    IPython.display.display = lambda *objs, **kw: None  # type: ignore[assignment]
    repo = Path(__file__).resolve().parents[1]
    wanted = [s for s in args.steps.split(",") if s]
    playbooks = sorted((repo / "playbooks").glob("[0-9][0-9]_*.ipynb"))
    work = Path(tempfile.mkdtemp(prefix="clientbook-profile-"))
    out = args.out or work / "slices" / args.slice
    staged = runner.stage_playbooks(playbooks, "client", work / "playbooks")
    for pb in staged:
        step = step_name(pb)
        if wanted and step not in wanted:
            continue
        nb = nbformat.read(pb, as_version=4)
        ns = {
            "dataset_dir": str(args.dataset.resolve()),
            "slice_id": args.slice,
            "lang": args.lang,
            "output_dir": str(out),
        }
        prof = cProfile.Profile()
        total = time.perf_counter()
        cells = []
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
                continue
            t = time.perf_counter()
            prof.enable()
            exec(compile(cell.source, f"<{step} cell {i}>", "exec"), ns)  # noqa: S102
            prof.disable()
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            cells.append((time.perf_counter() - t, i, first[:70]))
        print(f"\n=== {step}: {time.perf_counter() - total:.2f} s")
        for sec, i, first in sorted(cells, reverse=True)[:8]:
            print(f"  {sec:7.2f} s  cell {i:2d}  {first}")
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative")
        rows = []
        for func, (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            filename, line, name = func
            if "clientbook" in filename:
                rows.append((ct, tt, f"{Path(filename).name}:{line} {name}"))
        print("  slowest clientbook functions (cumulative, own):")
        for ct, tt, where in sorted(rows, reverse=True)[: args.top]:
            print(f"  {ct:7.2f} {tt:7.2f}  {where}")


if __name__ == "__main__":
    main()
