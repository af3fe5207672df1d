"""Running an audit: every playbook for every slice, in parallel, failures isolated.

Each worker owns one Jupyter kernel for the whole run (a fresh kernel costs ~3 s per notebook,
a reused one well under a second) and clears the namespace between notebooks. A worker takes a
slice and runs its playbooks in step order, so later steps can read what earlier ones recorded.
Everything is written to `outputs/<audit>.new/` and moved into `outputs/<audit>/` only once the
run is complete, so earlier outputs stay intact until the new ones are whole.
"""

from __future__ import annotations

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

    @property
    def failures(self) -> list[NotebookRun]:
        return [n for n in self.notebooks if not n.ok]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["failures"] = [asdict(f) for f in self.failures]
        d["reused"] = {"dataset": self.dataset_reused,
                       "notebooks": sum(n.reused for n in self.notebooks),
                       "executed": sum(not n.reused for n in self.notebooks),
                       "deliverables": [s["id"] for s in self.slices
                                        if s.get("deliverables_reused")]}
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
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = 60, execution_timeout: Any = None,
                                     **kwargs: Any) -> Any:
            client = PapermillNotebookClient(
                nb_man, km=kwargs["km"], timeout=execution_timeout,
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kwargs["kc"]
            return client.execute()

    papermill_engines.register("clientbook", ReusedKernelEngine)
    return "clientbook"


class KernelWorker:
    """One kernel and one connected client, reused across notebooks with a clean namespace."""

    def __init__(self, kernel_name: str = "python3"):
        self.kernel_name = kernel_name
        self.km: Any = None
        self.kc: Any = None
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

            self.km.ip = os.path.join(tempfile.mkdtemp(prefix="clientbook-kernel-"), "k")
        # No history database: parallel kernels would contend for one SQLite file, for nothing.
        self.km.start_kernel(
            extra_arguments=["--HistoryManager.enabled=False"],
            env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                 "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.kc.allow_stdin = False

    def reset(self, cwd: Path) -> None:
        """Clear the user namespace and move to the notebook's folder (modules stay loaded)."""
        code = ("__import__('clientbook.run.kernel').run.kernel.fresh_namespace("
                f"{str(cwd)!r})")
        reply = self.kc.execute_interactive(code, timeout=60, store_history=False,
                                            output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel reset failed: {reply['content'].get('evalue')}")

    def execute(self, playbook: Path, out_path: Path, parameters: dict[str, Any]) -> Any:
        import papermill

        self.engine = self.engine or _register_engine()
        self._ensure_kernel()
        self.reset(out_path.parent)
        return papermill.execute_notebook(
            str(playbook), str(out_path), parameters=parameters, engine_name=self.engine,
            km=self.km, kc=self.kc, progress_bar=False, request_save_on_cell_execute=False,
            kernel_name=self.kernel_name,
        )

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        self.km = None


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {evalue}".strip()[:500]


@dataclass
class SliceOutcome:
    info: dict[str, Any]
    notebooks: list[NotebookRun]
    render_errors: list[str]


def stage_playbooks(playbooks: list[Path], mode: str, folder: Path) -> list[Path]:
    """The playbooks as this run executes them, written once into `folder`: whole in training
    mode; in client mode without trainer notes, exercises and solutions, so a client's
    executed notebooks hold none of them and an exercise can never fail a client's slice.
    The run folder keeps them as a record of exactly what ran."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = []
    for pb in playbooks:
        nb = nbformat.read(pb, as_version=4)
        nbformat.write(nb if mode == "training" else training.client_notebook(nb),
                       folder / pb.name)
        staged.append(folder / pb.name)
    return staged


def run_slice(worker: KernelWorker, sl: Slice, playbooks: list[Path], root: Path, audit: Audit,
              advance: Any = None, cache: RunCache | None = None) -> SliceOutcome:
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
        params = {"dataset_dir": DATASET_FROM_NOTEBOOK, "slice_id": sl.id, "lang": audit.lang,
                  "output_dir": SLICE_FROM_NOTEBOOK}
        t0 = time.perf_counter()
        error = None
        hit = memo.reuse(step, pb, out, slice_results) if memo else None
        if hit is not None:
            slice_results[step] = hit
            (slice_dir / "results.json").write_text(
                json.dumps(slice_results, ensure_ascii=False, indent=1), encoding="utf-8")
            runs.append(NotebookRun(sl.id, step, str(out.relative_to(root)),
                                    round(time.perf_counter() - t0, 3), True, reused=True))
            if advance:
                advance(1)
            continue
        try:
            nb = worker.execute(pb, out, params)
        except Exception as exc:  # noqa: BLE001 - any failure is isolated to this notebook
            error = _error_text(exc)
            failed.append(step)
            nb = nbformat.read(out, as_version=4) if out.exists() else None
        if nb is not None:
            slice_results[step] = results.collect(nb)
        if memo:
            memo.end(step, error is None, slice_results.get(step))
        # Written after every step: later steps of the slice read what earlier ones found.
        (slice_dir / "results.json").write_text(
            json.dumps(slice_results, ensure_ascii=False, indent=1), encoding="utf-8")
        runs.append(NotebookRun(sl.id, step, str(out.relative_to(root)),
                                round(time.perf_counter() - t0, 3), error is None, error))
        if advance:
            advance(1)
    reused = memo.reuse_deliverables(failed, audit) if memo else False
    try:
        errors = [] if reused else render.render_slice(
            root, sl, [nb_dir / pb.name for pb in playbooks], audit, failed)
    except Exception as exc:  # noqa: BLE001 - a report that fails to render is reported
        errors = [f"{sl.id} report: {_error_text(exc)}"]
    if memo:
        if not reused:
            memo.rendered(failed, errors)
        memo.save()
    info = {"id": sl.id, "kind": sl.kind, "label": sl.label, "failed_steps": failed,
            "deliverables_reused": reused}
    return SliceOutcome(info, runs, errors)


def _run_threads(plan: list[Slice], playbooks: list[Path], root: Path, audit: Audit, jobs: int,
                 advance: Any, cache: RunCache | None = None) -> list[SliceOutcome]:
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
                outcome = run_slice(worker, sl, playbooks, root, audit, advance, cache)
                with lock:
                    outcomes.append(outcome)
        finally:
            worker.shutdown()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(jobs)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return outcomes


_DASK_WORKER: KernelWorker | None = None


def _dask_slice(sl: Slice, playbooks: list[Path], root: Path, audit: Audit,
                cache: RunCache | None = None) -> SliceOutcome:
    """A Dask task: one slice, on the kernel this Dask worker process keeps for the run."""
    global _DASK_WORKER
    if _DASK_WORKER is None:
        import atexit

        _DASK_WORKER = KernelWorker()
        atexit.register(_DASK_WORKER.shutdown)
    return run_slice(_DASK_WORKER, sl, playbooks, root, audit, cache=cache)


def _run_dask(plan: list[Slice], playbooks: list[Path], root: Path, audit: Audit, jobs: int,
              address: str, advance: Any, cache: RunCache | None = None) -> list[SliceOutcome]:
    """One Dask task per slice. `address` "local" starts a LocalCluster of `jobs` single-thread
    worker processes; any other value is a scheduler address (workers need the clientbook
    environment and must see the outputs folder at the same path)."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("--dask needs the dask extra: pip install 'clientbook[dask]'") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    client = Client(cluster or address)
    try:
        futures = [client.submit(_dask_slice, sl, playbooks, root, audit, cache,
                                 key=f"slice-{sl.id}", pure=False) for sl in plan]
        outcomes = []
        for fut in as_completed(futures):
            outcome = fut.result()
            outcomes.append(outcome)
            advance(len(outcome.notebooks))
        return outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run(audit: Audit, outputs: Path = Path("outputs"), jobs: int | None = None,
        mode: str | None = None, show_progress: bool = True, dask: str | None = None,
        force: bool = False) -> RunSummary:
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
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    audit = audit.model_copy(deep=True, update={"mode": mode or audit.mode})
    jobs = max(1, jobs or os.cpu_count() or 1)
    summary = RunSummary(audit.slug, final, time.strftime("%Y-%m-%dT%H:%M:%S"), jobs=jobs,
                         mode=audit.mode, force=force)
    try:
        cache = RunCache.open(audit, root, final, force)
        manifest, summary.dataset_reused = cache.build_dataset(audit, root / "dataset")
        plan = dataset.slices(manifest)
        playbooks = stage_playbooks(audit.playbooks(), audit.mode, root / "playbooks")
        cache.staged(playbooks, audit)
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), disable=not show_progress)
        with progress:
            task = progress.add_task(f"{audit.slug}: {len(plan)} slices x {len(playbooks)} "
                                     "playbooks", total=len(plan) * len(playbooks))

            def advance(n: int) -> None:
                progress.advance(task, n)

            if dask:
                outcomes = _run_dask(plan, playbooks, root, audit, jobs, dask, advance, cache)
            else:
                outcomes = _run_threads(plan, playbooks, root, audit, jobs, advance, cache)
        order = {sl.id: i for i, sl in enumerate(plan)}
        outcomes.sort(key=lambda o: order[o.info["id"]])
        for o in outcomes:
            summary.slices.append(o.info)
            summary.notebooks.extend(o.notebooks)
            summary.render_errors.extend(o.render_errors)
        if not cache.reuse_index(summary):
            render.render_index(root, audit, manifest, summary)
        if audit.mode == "training":
            handbook.render_training_index(root, audit, manifest, summary)
        if "pdf" in audit.outputs:
            from clientbook.deliver import pdf

            reports = [(root / "slices" / s["id"] / "report.html",
                        root / "slices" / s["id"] / "report.pdf") for s in summary.slices]
            # A reused report brought its PDF along.
            skipped = pdf.print_pdfs([(h, p) for h, p in reports if h.exists() and not p.exists()])
            if skipped:
                summary.notes.append(skipped)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)  # nothing half-done replaces earlier outputs
        raise
    summary.seconds = round(time.perf_counter() - t_start, 2)
    (root / "run.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1),
                                   encoding="utf-8")
    old = outputs / f"{audit.slug}.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    root.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return summary
