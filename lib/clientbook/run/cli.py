"""The `clientbook` command: sample, init, validate, run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clientbook.config.audit_file import AuditFileError
from clientbook.data.intake import DataError


def _sample(args: argparse.Namespace) -> int:
    import shutil

    from clientbook.data import sample
    from clientbook.present.playbook import sample_dir

    out = Path(args.dir)
    if args.format == "csv" and not args.regions:  # the cached files (one per version + seed)
        raw = sample_dir(args.seed, args.customers, args.lang) / "raw"
        out.mkdir(parents=True, exist_ok=True)
        written = {f.stem: Path(shutil.copy2(f, out / f.name)) for f in sorted(raw.iterdir())}
    else:
        written = sample.generate(
            out,
            customers=args.customers,
            seed=args.seed,
            lang=args.lang,
            fmt=args.format,
            regions=args.regions,
        )
    for table, path in written.items():
        print(f"{table:10s} {path}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from clientbook.data import init

    if args.list_presets:
        for name, title in init.presets().items():
            print(f"{name:14s} {title}")
        return 0
    if not args.export:
        print("clientbook init: give the export's files or folder (see --help)", file=sys.stderr)
        return 2
    first = Path(args.export[0])
    stem = init.norm(first.resolve().name if first.is_dir() else first.resolve().parent.name)
    out = Path(args.output) if args.output else Path("audits") / f"{stem or 'client'}.yaml"
    if out.exists() and not args.force:
        print(f"{out}: exists; use --force to overwrite or -o another file", file=sys.stderr)
        return 2
    try:
        text, plans, notes = init.init(
            args.export, out, preset=args.preset, client=args.client, lang=args.lang
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"clientbook init: {e}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    for line in init.summary(plans, notes):
        print(line)
    todo = sum(": TODO" in line for line in text.splitlines() if not line.startswith("#"))
    print(f"Wrote {out}" + (f" ({todo} TODO to fill in)" if todo else ""))
    if todo:
        print(f"Next: fill in the TODOs, then clientbook validate {out}")
        return 0
    from clientbook.config import audit_file as audit_mod
    from clientbook.data import dataset

    try:  # the file as written must read: say so now rather than at validate
        dataset.prepare(audit_mod.load(out))
    except (AuditFileError, DataError) as e:
        print(
            f"The data does not read yet with these guesses:\n{e}\nFix {out}, then "
            f"clientbook validate {out}"
        )
        return 0
    print(f"It reads. Next: check the guesses, then clientbook run {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from clientbook.config import audit_file as audit_mod
    from clientbook.data import dataset

    a = audit_mod.load(args.audit)
    prep = dataset.prepare(a)
    plan = a.playbooks()
    print(
        f"{args.audit}: OK - {len(plan)} playbook(s): "
        + ", ".join(audit_mod.step_name(p) for p in plan)
    )
    for table, info in prep.sources.items():
        print(f"  {table:10s} {info['rows']:>9,} rows  {info['file']}")
        if info.get("left_out"):
            print(f"  {'':10s} {info['left_out']:,} row(s) left out by sources.{table}.where")
        for d in info.get("dates", []):
            if d["order"] in ("day-first", "month-first"):
                print(f"  {'':10s} dates in '{d['column']}' read {d['order']} ({d['how']})")
    if prep.findings:
        print(
            f"{len(prep.findings)} data-quality finding(s) (the run goes on; the data audit "
            "shows them):"
        )
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
    try:
        summary = runner.run(
            a,
            Path(args.outputs),
            jobs=args.jobs,
            mode=args.mode,
            show_progress=not args.quiet,
            dask=args.dask,
            force=args.force,
        )
    except runner.OutputError as e:  # not writable, disk full, earlier outputs locked
        print(f"clientbook: {e}", file=sys.stderr)
        return 2
    n = len(summary.notebooks)
    reused = sum(nb.reused for nb in summary.notebooks)
    console.print(
        f"{n} notebooks ({n - reused} run, {reused} reused from the previous run), "
        f"{len(summary.slices)} slices in {summary.seconds:.1f} s "
        f"({summary.jobs} worker(s))"
    )
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
    s.add_argument(
        "--regions",
        type=int,
        default=None,
        metavar="N",
        help="split the seven sample regions into N regions (big audits)",
    )
    s.set_defaults(func=_sample)

    i = sub.add_parser(
        "init",
        help="write a first audit file for a client's export (guesses marked)",
        description="Read the export's files (CSV, XLSX sheets, Parquet), guess how to read "
        "each one (encoding, delimiter, decimal mark, header row, date order), which table it "
        "is and which header feeds which column, and write a commented audit file. Every "
        "guess says how sure it is; required columns nothing maps to are marked TODO.",
        epilog="example:\n  clientbook sample exports/demo\n"
        '  clientbook init exports/demo -o audits/acme.yaml --client "ACME Ltd."\n'
        "  clientbook init exports/sf/Opportunities.csv exports/sf/Accounts.csv "
        "--preset salesforce\n  clientbook validate audits/acme.yaml && "
        "clientbook run audits/acme.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    i.add_argument(
        "export", nargs="*", metavar="EXPORT", help="the export's files, or a folder holding them"
    )
    i.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help="a vendor's export layout (see --list-presets)",
    )
    i.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="audit file to write (default: audits/<export folder>.yaml)",
    )
    i.add_argument("--client", default=None, help="the client's name (default: the folder's)")
    i.add_argument("--lang", choices=["en", "zh"], default="en")
    i.add_argument("--force", action="store_true", help="overwrite an existing audit file")
    i.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    i.set_defaults(func=_init)

    v = sub.add_parser("validate", help="check an audit file and its data without running")
    v.add_argument("audit")
    v.set_defaults(func=_validate)

    r = sub.add_parser("run", help="run every playbook for every slice and render reports")
    r.add_argument("audit")
    r.add_argument("--jobs", "-j", type=int, default=None, help="parallel workers (default: CPUs)")
    r.add_argument("--mode", choices=["client", "training"], default=None)
    r.add_argument("--lang", choices=["en", "zh"], default=None, help="override the audit's lang")
    r.add_argument("--outputs", default="outputs", help="outputs folder (default: outputs)")
    r.add_argument(
        "--formats",
        default=None,
        metavar="LIST",
        help="deliverables to render, overriding the audit's outputs: "
        "e.g. html or html,slides,pptx,pdf",
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument(
        "--force",
        action="store_true",
        help="run every notebook again, even those whose inputs are unchanged "
        "since the previous run",
    )
    r.add_argument(
        "--dask",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run slices on Dask: a local cluster of --jobs workers, or the "
        "scheduler at ADDRESS (needs the dask extra)",
    )
    r.set_defaults(func=_run)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (AuditFileError, DataError) as e:
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
