"""Time the sample generator at benchmark scale.

    .venv/bin/python bench/sample_scale.py [--customers 200000] [--fmt csv|parquet|both]

Each format runs in its own process so that peak memory (max RSS) is its own.
Prints customers, rows per table, wall and CPU seconds (CPU is the steadier number on a
shared machine) and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(customers: int, fmt: str, seed: int) -> dict:
    import pyarrow.parquet as pq

    from clientbook.data.sample import generate

    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        files = generate(Path(tmp), customers=customers, seed=seed, fmt=fmt)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows = {}
        for name, path in files.items():
            if fmt == "parquet":
                rows[name] = pq.ParquetFile(path).metadata.num_rows
            else:
                with open(path, "rb") as f:
                    rows[name] = sum(1 for _ in f) - 1
        size_mb = sum(p.stat().st_size for p in files.values()) / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "fmt": fmt,
        "customers": customers,
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "peak_rss_mb": round(peak_mb),
        "files_mb": round(size_mb, 1),
        "rows": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--fmt", choices=["csv", "parquet", "both"], default="both")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_one(args.customers, args.fmt, args.seed)))
        return
    fmts = ["csv", "parquet"] if args.fmt == "both" else [args.fmt]
    for fmt in fmts:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--customers",
                str(args.customers),
                "--fmt",
                fmt,
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows = ", ".join(f"{k}={v:,}" for k, v in r["rows"].items())
        print(
            f"{fmt:8s} customers={r['customers']:,}  order lines={r['rows']['orders']:,}  "
            f"{r['seconds']:.2f} s wall ({r['cpu']:.2f} s CPU)  "
            f"peak RSS {r['peak_rss_mb']} MB  files {r['files_mb']} MB"
        )
        print(f"         rows: {rows}")


if __name__ == "__main__":
    main()
