"""Running an audit: every playbook for every slice, in parallel, failures isolated.

Each worker owns one Jupyter kernel for the whole run (a fresh kernel costs ~3 s per notebook,
a reused one well under a second) and clears the namespace between notebooks. A worker takes a
slice and runs its playbooks in step order, so later steps can read what earlier ones recorded.
Everything is written to `outputs/<audit>.new/` and moved into `outputs/<audit>/` only once the
run is complete, so earlier outputs stay intact until the new ones are whole. Any exception in a
worker is the failure of its slice (every slice planned is in run.json, ok or failed); problems
with the outputs folder itself (not writable, disk full, earlier outputs locked) end the run
with one `OutputError` line.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import queue
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from clientbook.config.audit_file import Audit, step_name
from clientbook.data import dataset
from clientbook.data.dataset import Slice
from clientbook.present import results, training
from clientbook.run.cache import RunCache


class _Lazy:
    """A module imported on first use: a run that reuses everything renders nothing, and
    the deliver layer (nbconvert, matplotlib) is most of the CLI's start-up."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


render = _Lazy("clientbook.deliver.report")
handbook = _Lazy("clientbook.deliver.handbook")

DATASET_FROM_NOTEBOOK = "../../../dataset"  # slices/<id>/notebooks/ -> dataset/
# A playbook that stopped after its "too little data" section (playbook.TooLittleData) is done.
STOPPED_EARLY = "TooLittleData"
SLICE_FROM_NOTEBOOK = ".."


@dataclass
class NotebookRun:
    slice_id: str
    step: str
    notebook: str
    seconds: float
    ok: bool
    error: str | None = None
    reused: bool = False  # copied from the previous run (inputs unchanged), not executed


@dataclass
class RunSummary:
    audit: str
    out_dir: Path
    started: str
    seconds: float = 0.0
    jobs: int = 1
    mode: str = "client"
    notebooks: list[NotebookRun] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    render_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    force: bool = False
    dataset_reused: bool = False
    # Seconds outside the notebooks: building the dataset, rendering each slice's
    # deliverables (summed over slices), the PDFs and the index page.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[NotebookRun]:
        return [n for n in self.notebooks if not n.ok]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["failures"] = [asdict(f) for f in self.failures]
        d["reused"] = {
            "dataset": self.dataset_reused,
            "notebooks": sum(n.reused for n in self.notebooks),
            "executed": sum(not n.reused for n in self.notebooks),
            "deliverables": [s["id"] for s in self.slices if s.get("deliverables_reused")],
        }
        return d


def _register_engine() -> str:
    """A papermill engine that runs on the worker's kernel *and* its already-connected client.

    papermill/nbclient would otherwise open and handshake a new client per notebook (~0.3 s).
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class ReusedKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: Any = None,
            **kwargs: Any,
        ) -> Any:
            client = PapermillNotebookClient(
                nb_man,
                km=kwargs["km"],
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kwargs["kc"]
            return client.execute()

    papermill_engines.register("clientbook", ReusedKernelEngine)
    return "clientbook"


class _WatchedChannel:
    """A blocking client channel whose waits without a time limit notice a dead kernel.

    nbclient waits for a cell's messages with `get_msg(timeout=None)`; on the blocking client
    a worker reuses, that call never returns when the kernel dies (killed, out of memory), and
    nbclient's own liveness check never gets to run. Waiting in one-second steps and checking
    the kernel in between turns that into nbclient's DeadKernelError, a failure of the notebook.
    """

    def __init__(self, channel: Any, km: Any):
        self._channel = channel
        self._km = km

    def get_msg(self, timeout: float | None = None) -> Any:
        if timeout is not None:
            return self._channel.get_msg(timeout=timeout)
        while True:
            try:
                return self._channel.get_msg(timeout=1)
            except queue.Empty:
                if not self._km.is_alive():
                    from nbclient.exceptions import DeadKernelError

                    raise DeadKernelError("Kernel died (killed or out of memory)") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)


class _WatchedClient:
    """The worker's kernel client as nbclient sees it: the same, with watched channels."""

    def __init__(self, kc: Any, km: Any):
        self._kc = kc
        self.shell_channel = _WatchedChannel(kc.shell_channel, km)
        self.iopub_channel = _WatchedChannel(kc.iopub_channel, km)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kc, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_kc", "shell_channel", "iopub_channel"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._kc, name, value)


class KernelWorker:
    """One kernel and one connected client, reused across notebooks with a clean namespace."""

    def __init__(self, kernel_name: str = "python3"):
        self.kernel_name = kernel_name
        self.km: Any = None
        self.kc: Any = None
        self.ipc_dir: str | None = None  # clientbook-kernel-* (IPC sockets), removed on shutdown
        self.engine = ""  # registered on first use: a run that reuses everything needs none

    def _ensure_kernel(self) -> None:
        from jupyter_client.manager import KernelManager

        if self.km is not None and self.km.is_alive():
            return
        self.shutdown()  # a kernel that died (e.g. out of memory) is replaced
        # IPC sockets on POSIX: no TCP ports to pick, and no plain-text-over-TCP warning.
        transport = "ipc" if os.name == "posix" else "tcp"
        self.km = KernelManager(kernel_name=self.kernel_name, transport=transport)
        if transport == "ipc":
            import tempfile

            self.ipc_dir = tempfile.mkdtemp(prefix="clientbook-kernel-")
            self.km.ip = os.path.join(self.ipc_dir, "k")
        # No history database: parallel kernels would contend for one SQLite file, for nothing.
        self.km.start_kernel(
            extra_arguments=["--HistoryManager.enabled=False"],
            env={
                **os.environ,
                "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            },
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.kc.allow_stdin = False

    def reset(self, cwd: Path) -> None:
        """Clear the user namespace and move to the notebook's folder (modules stay loaded)."""
        code = f"__import__('clientbook.run.kernel').run.kernel.fresh_namespace({str(cwd)!r})"
        reply = self.kc.execute_interactive(
            code, timeout=60, store_history=False, output_hook=lambda msg: None
        )
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def execute(self, playbook: Path, out_path: Path, parameters: dict[str, Any]) -> Any:
        import papermill

        self.engine = self.engine or _register_engine()
        self._ensure_kernel()
        self.reset(out_path.parent)
        return papermill.execute_notebook(
            str(playbook),
            str(out_path),
            parameters=parameters,
            engine_name=self.engine,
            km=self.km,
            kc=_WatchedClient(self.kc, self.km),
            progress_bar=False,
            request_save_on_cell_execute=False,
            kernel_name=self.kernel_name,
        )

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        try:
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self.km = None
            if self.ipc_dir is not None:
                shutil.rmtree(self.ipc_dir, ignore_errors=True)
                self.ipc_dir = None


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {evalue}".strip()[:500]


@dataclass
class SliceOutcome:
    info: dict[str, Any]
    notebooks: list[NotebookRun]
    render_errors: list[str]
    render_seconds: float = 0.0


class OutputError(RuntimeError):
    """The outputs folder cannot take this run (not writable, disk full, previous outputs
    that cannot be moved aside). The message is one line for the consultant; earlier outputs
    are intact."""


def failed_slice(
    sl: Slice, playbooks: list[Path], root: Path, error: BaseException | str
) -> SliceOutcome:
    """The outcome of a slice whose worker failed outside a notebook (its folder, rendering,
    the worker itself) or that never ran: every playbook of it listed as failed."""
    text = error if isinstance(error, str) else _error_text(error)
    runs = [
        NotebookRun(sl.id, step_name(pb), f"slices/{sl.id}/notebooks/{pb.name}", 0.0, False, text)
        for pb in playbooks
    ]
    info = {
        "id": sl.id,
        "kind": sl.kind,
        "label": sl.label,
        "failed_steps": [step_name(pb) for pb in playbooks],
        "error": text,
    }
    return SliceOutcome(info, runs, [])


def _read_kept(path: Path) -> Any:
    """The executed notebook a failed run left behind, or None (missing or half-written)."""
    try:
        return nbformat.read(path, as_version=4) if path.exists() else None
    except Exception:  # noqa: BLE001 - a half-written notebook is as good as none
        return None


def stage_playbooks(playbooks: list[Path], mode: str, folder: Path) -> list[Path]:
    """The playbooks as this run executes them, written once into `folder`: whole in training
    mode; in client mode without trainer notes, exercises and solutions, so a client's
    executed notebooks hold none of them and an exercise can never fail a client's slice.
    The run folder keeps them as a record of exactly what ran."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    for pb in playbooks:
        nb = nbformat.read(pb, as_version=4)
        nbformat.write(nb if mode == "training" else training.client_notebook(nb), folder / pb.name)
        staged.append(folder / pb.name)
    return staged


def run_slice(
    worker: KernelWorker,
    sl: Slice,
    playbooks: list[Path],
    root: Path,
    audit: Audit,
    advance: Any = None,
    cache: RunCache | None = None,
) -> SliceOutcome:
    """Every playbook of one slice in step order on one kernel, then the slice's deliverables.
    With a `cache`, unchanged notebooks and deliverables are copied from the previous run."""
    slice_dir = root / "slices" / sl.id
    nb_dir = slice_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    slice_results: dict[str, Any] = {}
    failed: list[str] = []
    runs: list[NotebookRun] = []
    memo = cache.for_slice(sl.id) if cache else None
    for pb in playbooks:
        step = step_name(pb)
        out = nb_dir / pb.name
        params = {
            "dataset_dir": DATASET_FROM_NOTEBOOK,
            "slice_id": sl.id,
            "lang": audit.lang,
            "output_dir": SLICE_FROM_NOTEBOOK,
        }
        t0 = time.perf_counter()
        error = None
        hit = memo.reuse(step, pb, out, slice_results) if memo else None
        if hit is not None:
            slice_results[step] = hit
            kept = _read_kept(out)  # the reused notebook, copied in by the cache
            if kept is not None:
                _merge_metrics(slice_results, kept)
            _step_done(
                slice_dir,
                slice_results,
                runs,
                advance,
                NotebookRun(
                    sl.id,
                    step,
                    str(out.relative_to(root)),
                    round(time.perf_counter() - t0, 3),
                    True,
                    reused=True,
                ),
            )
            continue
        try:
            nb = worker.execute(pb, out, params)
        except Exception as exc:  # noqa: BLE001 - any failure is isolated to this notebook
            if getattr(exc, "ename", None) != STOPPED_EARLY:
                error = _error_text(exc)
                failed.append(step)
            nb = _read_kept(out)
        if nb is not None:
            slice_results[step] = results.collect(nb)
            _merge_metrics(slice_results, nb)
        if memo:
            memo.end(step, error is None, slice_results.get(step))
        _step_done(
            slice_dir,
            slice_results,
            runs,
            advance,
            NotebookRun(
                sl.id,
                step,
                str(out.relative_to(root)),
                round(time.perf_counter() - t0, 3),
                error is None,
                error,
            ),
        )
    reused = memo.reuse_deliverables(failed, audit) if memo else False
    t_render = time.perf_counter()
    try:
        errors = (
            []
            if reused
            else render.render_slice(
                root, sl, [nb_dir / pb.name for pb in playbooks], audit, failed
            )
        )
    except Exception as exc:  # noqa: BLE001 - a report that fails to render is reported
        errors = [f"{sl.id} report: {_error_text(exc)}"]
    if memo:
        if not reused:
            memo.rendered(failed, errors)
        memo.save()
    info = {
        "id": sl.id,
        "kind": sl.kind,
        "label": sl.label,
        "failed_steps": failed,
        "deliverables_reused": reused,
    }
    return SliceOutcome(info, runs, errors, round(time.perf_counter() - t_render, 3))


def _step_done(
    slice_dir: Path,
    slice_results: dict[str, Any],
    runs: list[NotebookRun],
    advance: Any,
    run: NotebookRun,
) -> None:
    """After each step, run or reused: results.json written (later steps of the slice read
    what earlier ones found), the run noted, the progress bar moved."""
    (slice_dir / "results.json").write_text(
        json.dumps(slice_results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    runs.append(run)
    if advance:
        advance(1)


def _merge_metrics(slice_results: dict[str, Any], nb: Any) -> None:
    """Every step's KPIs in one map (registry key -> entry), kept last in results.json."""
    found = {k: dict(sorted(v.items())) for k, v in results.collect_metrics(nb).items()}
    metrics = {**slice_results.pop(results.METRICS, {}), **found}
    slice_results[results.METRICS] = metrics


def _guarded_slice(
    worker: KernelWorker,
    sl: Slice,
    playbooks: list[Path],
    root: Path,
    audit: Audit,
    advance: Any = None,
    cache: RunCache | None = None,
) -> SliceOutcome:
    """`run_slice`, with any exception outside a notebook (a folder name the system refuses,
    a full disk, rendering) recorded as the failure of this slice; the worker goes on."""
    done = [0]

    def counted(n: int) -> None:
        done[0] += n
        if advance:
            advance(n)

    try:
        return run_slice(worker, sl, playbooks, root, audit, counted, cache)
    except Exception as exc:  # noqa: BLE001 - isolated to this slice, listed as failed
        if advance and len(playbooks) > done[0]:
            advance(len(playbooks) - done[0])
        return failed_slice(sl, playbooks, root, exc)


def _run_threads(
    plan: list[Slice],
    playbooks: list[Path],
    root: Path,
    audit: Audit,
    jobs: int,
    advance: Any,
    cache: RunCache | None = None,
) -> list[SliceOutcome]:
    """`jobs` workers on this machine, each a thread driving its own kernel process."""
    todo: queue.Queue[Slice] = queue.Queue()
    for sl in plan:
        todo.put(sl)
    outcomes: list[SliceOutcome] = []
    lock = threading.Lock()

    def work() -> None:
        worker = KernelWorker()
        try:
            while True:
                try:
                    sl = todo.get_nowait()
                except queue.Empty:
                    return
                outcome = _guarded_slice(worker, sl, playbooks, root, audit, advance, cache)
                with lock:
                    outcomes.append(outcome)
        finally:
            try:
                worker.shutdown()
            except Exception:  # noqa: BLE001 - a kernel that will not stop is already gone
                pass

    threads = [threading.Thread(target=work, daemon=True) for _ in range(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return outcomes


_DASK_WORKER: KernelWorker | None = None


def _dask_slice(
    sl: Slice, playbooks: list[Path], root: Path, audit: Audit, cache: RunCache | None = None
) -> SliceOutcome:
    """A Dask task: one slice, on the kernel this Dask worker process keeps for the run."""
    global _DASK_WORKER
    if _DASK_WORKER is None:
        import atexit

        _DASK_WORKER = KernelWorker()
        atexit.register(_DASK_WORKER.shutdown)
    return _guarded_slice(_DASK_WORKER, sl, playbooks, root, audit, cache=cache)


def _run_dask(
    plan: list[Slice],
    playbooks: list[Path],
    root: Path,
    audit: Audit,
    jobs: int,
    address: str,
    advance: Any,
    cache: RunCache | None = None,
) -> list[SliceOutcome]:
    """One Dask task per slice. `address` "local" starts a LocalCluster of `jobs` single-thread
    worker processes; any other value is a scheduler address (workers need the clientbook
    environment and must see the outputs folder at the same path)."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("--dask needs the dask extra: pip install 'clientbook[dask]'") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(cluster or address)
    try:
        futures = [
            client.submit(
                _dask_slice, sl, playbooks, root, audit, cache, key=f"slice-{sl.id}", pure=False
            )
            for sl in plan
        ]
        by_key = {fut.key: sl for fut, sl in zip(futures, plan, strict=True)}
        outcomes = []
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost Dask worker fails its slice only
                outcome = failed_slice(by_key[fut.key], playbooks, root, exc)
            outcomes.append(outcome)
            advance(len(outcome.notebooks))
        return outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run(
    audit: Audit,
    outputs: Path = Path("outputs"),
    jobs: int | None = None,
    mode: str | None = None,
    show_progress: bool = True,
    dask: str | None = None,
    force: bool = False,
) -> RunSummary:
    """Run the whole audit; returns the summary (also written to run.json).

    Slices run on `jobs` local workers, or on Dask when `dask` is "local" or a scheduler
    address. Work whose inputs are unchanged since the previous complete run is copied from
    it (`clientbook.run.cache`); `force` re-runs everything. The caller's `audit` is not
    modified.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    t_start = time.perf_counter()
    outputs = outputs.resolve()
    final = outputs / audit.slug
    root = outputs / f"{audit.slug}.new"
    _fresh_run_folder(root, outputs, final)
    audit = audit.model_copy(deep=True, update={"mode": mode or audit.mode})
    jobs = max(1, jobs or os.cpu_count() or 1)
    summary = RunSummary(
        audit.slug,
        final,
        time.strftime("%Y-%m-%dT%H:%M:%S"),
        jobs=jobs,
        mode=audit.mode,
        force=force,
    )
    try:
        cache = RunCache.open(audit, root, final, force)
        t_phase = time.perf_counter()
        manifest, summary.dataset_reused = cache.build_dataset(audit, root / "dataset")
        summary.phases["dataset"] = round(time.perf_counter() - t_phase, 2)
        plan = dataset.slices(manifest)
        playbooks = stage_playbooks(audit.playbooks(), audit.mode, root / "playbooks")
        cache.staged(playbooks, audit)
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not show_progress,
        )
        with progress:
            task = progress.add_task(
                f"{audit.slug}: {len(plan)} slices x {len(playbooks)} playbooks",
                total=len(plan) * len(playbooks),
            )

            def advance(n: int) -> None:
                progress.advance(task, n)

            if dask:
                outcomes = _run_dask(plan, playbooks, root, audit, jobs, dask, advance, cache)
            else:
                outcomes = _run_threads(plan, playbooks, root, audit, jobs, advance, cache)
        outcomes = with_unfinished(plan, outcomes, playbooks, root)
        _check_disk(outcomes)
        order = {sl.id: i for i, sl in enumerate(plan)}
        outcomes.sort(key=lambda o: order[o.info["id"]])
        for o in outcomes:
            summary.slices.append(o.info)
            summary.notebooks.extend(o.notebooks)
            summary.render_errors.extend(o.render_errors)
        summary.phases["render"] = round(sum(o.render_seconds for o in outcomes), 2)
        t_phase = time.perf_counter()
        if audit.mode == "training":
            handbook.render_training_index(root, audit, manifest, summary)
        if "pdf" in audit.outputs:
            from clientbook.deliver import pdf

            reports = [
                (
                    root / "slices" / s["id"] / "report.html",
                    root / "slices" / s["id"] / "report.pdf",
                )
                for s in summary.slices
            ]
            # A reused report brought its PDF along.
            skipped = pdf.print_pdfs([(h, p) for h, p in reports if h.exists() and not p.exists()])
            if skipped:
                summary.notes.append(skipped)
        summary.phases["pdf"] = round(time.perf_counter() - t_phase, 2)
        t_phase = time.perf_counter()
        if not cache.reuse_index(summary):  # last: it links every deliverable
            render.render_index(root, audit, manifest, summary)
        summary.phases["index"] = round(time.perf_counter() - t_phase, 2)
        summary.seconds = round(time.perf_counter() - t_start, 2)
        (root / "run.json").write_text(
            json.dumps(summary.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    except BaseException as exc:
        shutil.rmtree(root, ignore_errors=True)  # nothing half-done replaces earlier outputs
        if isinstance(exc, OSError) and (problem := output_problem(exc, outputs, final)):
            raise problem from exc
        raise
    swap_in(root, final, outputs / f"{audit.slug}.old")
    return summary


# ---- the outputs folder: a fresh run folder, problems in one line, the final swap ---------


def _previous(final: Path) -> str:
    return (
        f"the previous outputs in {final} are unchanged"
        if final.exists()
        else "nothing was changed"
    )


def output_problem(exc: OSError, outputs: Path, final: Path) -> OutputError | None:
    """A consultant's one-line message for an error writing the outputs folder (disk full,
    not writable), or None when the error is about something else (e.g. a source file)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"the disk is full (no space left on device) while writing "
            f"{outputs}; this run was discarded and {_previous(final)}"
        )
    where = Path(exc.filename) if exc.filename else None
    if where is not None and (
        where == outputs or outputs in where.parents or where in outputs.parents
    ):
        return OutputError(
            f"the outputs folder {outputs} is not writable "
            f"({exc.strerror or type(exc).__name__}: {where}); "
            f"{_previous(final)}"
        )
    return None


def _fresh_run_folder(root: Path, outputs: Path, final: Path) -> None:
    """An empty `<audit>.new` folder for this run, or a one-line OutputError."""
    try:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
    except OSError as exc:
        raise (output_problem(exc, outputs, final) or exc) from exc


def _check_disk(outcomes: list[SliceOutcome]) -> None:
    """A full disk seen by a worker ends the run like one seen here (not as slice failures)."""
    for o in outcomes:
        for text in [n.error or "" for n in o.notebooks] + o.render_errors:
            if "[Errno 28]" in text or "No space left on device" in text:
                raise OSError(errno.ENOSPC, "No space left on device")


def with_unfinished(
    plan: list[Slice], outcomes: list[SliceOutcome], playbooks: list[Path], root: Path
) -> list[SliceOutcome]:
    """Every planned slice has an outcome: one that none reported is listed as failed, so a
    run never passes for complete while a slice is missing."""
    got = {o.info["id"] for o in outcomes}
    return outcomes + [
        failed_slice(sl, playbooks, root, "did not run: its worker stopped")
        for sl in plan
        if sl.id not in got
    ]


def swap_in(root: Path, final: Path, old: Path) -> None:
    """Move the complete run into place; earlier outputs are moved aside first and removed
    last. When they cannot be moved (open in another program, locked), they stay as they
    are, the new run stays in `root`, and the OutputError names both."""
    shutil.rmtree(old, ignore_errors=True)
    try:
        if final.exists():
            final.rename(old)
    except OSError as exc:
        raise OutputError(
            f"the previous outputs in {final} could not be moved aside "
            f"({exc.strerror or type(exc).__name__}; is a file in it open?); they are unchanged "
            f"and this run's complete outputs are in {root}"
        ) from exc
    try:
        root.rename(final)
    except OSError as exc:
        if old.exists() and not final.exists():
            old.rename(final)
        raise OutputError(
            f"this run could not be moved into {final} ({exc.strerror or type(exc).__name__}); "
            f"{_previous(final)} and this run's complete outputs are in {root}"
        ) from exc
    shutil.rmtree(old, ignore_errors=True)
