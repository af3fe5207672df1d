"""Scale: big books on the `all` slice, and a big audit of many slices.

    .venv/bin/python bench/scale.py [--work /tmp/clientbook-scale] [--parts lines,slices]
        [--customers 300000,875000] [--regions 50 --months 12 --slice-customers 30000]
        [--steps data_audit,classification] [--dask-only | --local-only]

lines:  for each customer count, a Parquet sample (`clientbook sample --format parquet`;
        300,000 customers = 3.43M order lines, 875,000 = ~10M), then `clientbook run` on the
        `all` slice with all nine playbooks (HTML): wall time, peak RSS summed over the run's
        processes (CLI + kernel), the kernel seconds per playbook, and the cost ratio
        (time at the largest size / time at the smallest).
slices: a `--regions` x `--months` sample sliced by region, period and region x period
        (50 x 12 -> 663 slices), run on 2 local workers and on a Dask scheduler with 2 worker
        processes (`dask scheduler` / `dask worker`, started here on 127.0.0.1): wall time and
        notebooks per second. `--steps` limits the playbooks (all nine by default).

Samples are generated once into --work and reused by later runs. Every figure is printed
with the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TABLES = ("customers", "orders", "surveys", "tickets", "leads", "targets", "marketing")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


class PeakRSS:
    """Peak of the summed RSS of a process and all its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            time.sleep(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def ensure_sample(raw: Path, customers: int, regions: int | None = None, months: int = 24) -> dict:
    """The Parquet sample in `raw` (generated in a child process, timed, once)."""
    info = raw / "sample.json"
    if info.exists():
        return json.loads(info.read_text())
    code = (
        "import sys; from pathlib import Path; from clientbook.data import sample; "
        f"sample.generate(Path(sys.argv[1]), customers={customers}, fmt='parquet', "
        f"regions={regions}, months={months})"
    )
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", code, str(raw)])
    rss = PeakRSS(p.pid)
    p.wait()
    peak = rss.stop()
    if p.returncode:
        raise SystemExit(f"sample generation failed ({p.returncode})")
    import pyarrow.parquet as pq

    out = {
        "customers": customers,
        "regions": regions,
        "months": months,
        "seconds": round(time.perf_counter() - t, 1),
        "peak_mb": peak // 2**20,
        "order_lines": pq.ParquetFile(raw / "orders.parquet").metadata.num_rows,
        "load": load(),
    }
    info.write_text(json.dumps(out))
    return out


def write_audit(raw: Path, path: Path, as_of: str, slicing: str, steps: list[str] | None) -> Path:
    lines = [f"client: Scale Co.\nname: {path.stem}\nas_of: '{as_of}'\nsources:"]
    lines += [f"  {t}:\n    path: {raw / (t + '.parquet')}" for t in TABLES]
    lines.append(f"slicing: {slicing}\noutputs: [html]")
    if steps:
        lines.append(f"steps: [{', '.join(steps)}]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_audit(audit: Path, outputs: Path, jobs: int, dask: str | None = None) -> dict:
    cmd = [
        str(BIN / "clientbook"),
        "run",
        str(audit),
        "--outputs",
        str(outputs),
        "--quiet",
        "--force",
        "--jobs",
        str(jobs),
    ]
    if dask:
        cmd += ["--dask", dask]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    rss = PeakRSS(p.pid)
    p.wait()
    peak = rss.stop()
    wall = time.perf_counter() - t
    run = json.loads((outputs / audit.stem / "run.json").read_text())
    per_step: dict[str, float] = {}
    for nb in run["notebooks"]:
        per_step[nb["step"]] = per_step.get(nb["step"], 0.0) + nb["seconds"]
    return {
        "wall": wall,
        "peak_mb": peak // 2**20,
        "notebooks": len(run["notebooks"]),
        "slices": len(run["slices"]),
        "failures": len(run["failures"]),
        "render_errors": len(run["render_errors"]),
        "per_step": per_step,
        "phases": run.get("phases", {}),
        "rc": p.returncode,
        "load": load(),
    }


def part_lines(work: Path, sizes: list[int]) -> None:
    from clientbook.data.sample import export_date

    results = []
    for n in sizes:
        raw = work / f"raw-{n}"
        s = ensure_sample(raw, n)
        print(
            f"sample {n:,} customers: {s['order_lines']:,} order lines, generated in "
            f"{s['seconds']} s, peak {s['peak_mb']} MB  ({s['load']})",
            flush=True,
        )
        audit = write_audit(
            raw, work / f"lines{n}.yaml", str(export_date().date()), "{by: []}", None
        )
        r = run_audit(audit, work / "out", jobs=1)
        r["lines"] = s["order_lines"]
        results.append(r)
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r["per_step"].items())
        print(
            f"run {s['order_lines']:,} lines, all slice, {r['notebooks']} playbooks: "
            f"{r['wall']:.1f} s wall, peak RSS {r['peak_mb']:,} MB summed over processes, "
            f"{r['failures']} failures, {r['render_errors']} render errors  ({r['load']})",
            flush=True,
        )
        print(f"    kernel seconds per playbook: {steps}", flush=True)
        phases = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
        print(f"    seconds outside the notebooks: {phases}", flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(
            f"cost ratio {a['lines'] / 1e6:.2f}M -> {b['lines'] / 1e6:.2f}M lines: "
            f"{b['wall'] / a['wall']:.2f} (lines x{b['lines'] / a['lines']:.2f})",
            flush=True,
        )


def start_dask(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    folder.mkdir(parents=True, exist_ok=True)
    sched = folder / "scheduler.json"
    sched.unlink(missing_ok=True)
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "scheduler.log", "w"),
            start_new_session=True,
        )
    ]
    while not sched.exists():
        time.sleep(0.2)
    procs.append(
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "worker",
                "--scheduler-file",
                str(sched),
                "--nworkers",
                str(workers),
                "--nthreads",
                "1",
                "--no-dashboard",
                "--memory-limit",
                "0",
                "--local-directory",
                str(folder / "work"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "worker.log", "w"),
            start_new_session=True,
        )
    )
    address = json.loads(sched.read_text())["address"]
    from distributed import Client

    with Client(address, timeout=60) as c:
        c.wait_for_workers(workers, timeout=120)
    return address, procs


def stop_dask(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def part_slices(
    work: Path, regions: int, months: int, customers: int, steps: list[str] | None, ways: list[str]
) -> None:
    from clientbook.data.sample import export_date

    raw = work / f"raw-{regions}x{months}-{customers}"
    s = ensure_sample(raw, customers, regions=regions, months=months)
    print(
        f"sample {customers:,} customers, {regions} regions, {months} months: "
        f"{s['order_lines']:,} order lines  ({s['load']})",
        flush=True,
    )
    audit = write_audit(
        raw,
        work / "slices.yaml",
        str(export_date(months=months).date()),
        "{by: [region, period, region_period], period: month}",
        steps,
    )
    for way in ways:
        if way == "local":
            r = run_audit(audit, work / "out-local", jobs=2)
        else:
            address, procs = start_dask(work / "dask", 2)
            try:
                r = run_audit(audit, work / "out-dask", jobs=2, dask=address)
            finally:
                stop_dask(procs)
        print(
            f"{r['slices']} slices x {r['notebooks'] // max(r['slices'], 1)} playbooks on "
            f"{'2 local workers' if way == 'local' else 'Dask, scheduler + 2 worker processes'}"
            f": {r['wall']:.0f} s wall ({r['wall'] / 60:.1f} min), "
            f"{r['notebooks'] / r['wall']:.2f} notebooks/s, {r['failures']} failures, "
            f"{r['render_errors']} render errors, peak RSS {r['peak_mb']:,} MB "
            f"(CLI + kernels; Dask workers not counted)  ({r['load']})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--work", default="/tmp/clientbook-scale")
    ap.add_argument("--parts", default="lines,slices")
    ap.add_argument("--customers", default="300000,875000")
    ap.add_argument("--regions", type=int, default=50)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--slice-customers", type=int, default=30000)
    ap.add_argument(
        "--steps",
        default=None,
        help="playbooks of the slices part, e.g. data_audit,classification (default: all nine)",
    )
    ap.add_argument("--ways", default="local,dask")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    parts = args.parts.split(",")
    print(f"bench/scale.py on {os.cpu_count()} CPUs  ({load()})", flush=True)
    if "lines" in parts:
        part_lines(work, [int(x) for x in args.customers.split(",")])
    if "slices" in parts:
        part_slices(
            work,
            args.regions,
            args.months,
            args.slice_customers,
            args.steps.split(",") if args.steps else None,
            args.ways.split(","),
        )


if __name__ == "__main__":
    main()
