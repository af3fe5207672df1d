"""The `clientbook` command: sample, validate, run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clientbook.config.audit_file import AuditFileError
from clientbook.data.intake import DataError


def _sample(args: argparse.Namespace) -> int:
    from clientbook.data import sample

    written = sample.generate(Path(args.dir), customers=args.customers, seed=args.seed,
                              lang=args.lang, fmt=args.format, regions=args.regions)
    for table, path in written.items():
        print(f"{table:10s} {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from clientbook.config import audit_file as audit_mod
    from clientbook.data import dataset

    a = audit_mod.load(args.audit)
    prep = dataset.prepare(a)
    plan = a.playbooks()
    print(f"{args.audit}: OK - {len(plan)} playbook(s): "
          + ", ".join(audit_mod.step_name(p) for p in plan))
    for table, info in prep.sources.items():
        print(f"  {table:10s} {info['rows']:>9,} rows  {info['file']}")
    if prep.findings:
        print(f"{len(prep.findings)} data-quality finding(s) (the run goes on; the data audit "
              "shows them):")
    for f in prep.findings:
        rows = ", ".join(str(r) for r in f.rows[:8]) + (" ..." if f.count > 8 else "")
        col = f", column '{f.column}'" if f.column else ""
        print(f"  - {f.file}{col}: {f.check}, {f.count} row(s) {f.action}: rows {rows}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from clientbook.config import audit_file as audit_mod
    from clientbook.run import runner

    console = Console(stderr=True)
    a = audit_mod.load(args.audit)
    if args.lang:
        a.lang = args.lang
    if args.formats:
        formats = [f.strip() for f in args.formats.split(",")]
        allowed = ("html", "slides", "pptx", "pdf")
        if bad := [f for f in formats if f not in allowed]:
            raise AuditFileError(f"--formats: unknown {', '.join(bad)}; use {', '.join(allowed)}")
        a.outputs = formats  # type: ignore[assignment]
    summary = runner.run(a, Path(args.outputs), jobs=args.jobs, mode=args.mode,
                         show_progress=not args.quiet, dask=args.dask, force=args.force)
    n = len(summary.notebooks)
    reused = sum(nb.reused for nb in summary.notebooks)
    console.print(f"{n} notebooks ({n - reused} run, {reused} reused from the previous run), "
                  f"{len(summary.slices)} slices in {summary.seconds:.1f} s "
                  f"({summary.jobs} worker(s))")
    for f in summary.failures:
        console.print(f"[red]FAILED[/red] {f.slice_id} / {f.step}: {f.error}  ({f.notebook})")
    for e in summary.render_errors:
        console.print(f"[red]RENDER FAILED[/red] {e}")
    for note in summary.notes:
        console.print(f"[yellow]NOTE[/yellow] {note}")
    print(f"Index: {(summary.out_dir / 'index.html').resolve()}")
    return 1 if summary.failures or summary.render_errors else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="clientbook", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="write the bundled sample client's export to DIR")
    s.add_argument("dir")
    s.add_argument("--customers", type=int, default=3000)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--lang", choices=["en", "zh"], default="en")
    s.add_argument("--format", choices=["csv", "parquet"], default="csv")
    s.add_argument("--regions", type=int, default=None, metavar="N",
                   help="split the seven sample regions into N regions (big audits)")
    s.set_defaults(func=_sample)

    v = sub.add_parser("validate", help="check an audit file and its data without running")
    v.add_argument("audit")
    v.set_defaults(func=_validate)

    r = sub.add_parser("run", help="run every playbook for every slice and render reports")
    r.add_argument("audit")
    r.add_argument("--jobs", "-j", type=int, default=None, help="parallel workers (default: CPUs)")
    r.add_argument("--mode", choices=["client", "training"], default=None)
    r.add_argument("--lang", choices=["en", "zh"], default=None, help="override the audit's lang")
    r.add_argument("--outputs", default="outputs", help="outputs folder (default: outputs)")
    r.add_argument("--formats", default=None, metavar="LIST",
                   help="deliverables to render, overriding the audit's outputs: "
                        "e.g. html or html,slides,pptx,pdf")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--force", action="store_true",
                   help="run every notebook again, even those whose inputs are unchanged "
                        "since the previous run")
    r.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run slices on Dask: a local cluster of --jobs workers, or the "
                        "scheduler at ADDRESS (needs the dask extra)")
    r.set_defaults(func=_run)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (AuditFileError, DataError) as e:
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
