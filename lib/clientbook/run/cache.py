"""Incremental runs: reuse the work of the previous complete run when its inputs are unchanged.

Every piece of work is keyed on what it depends on (a SHA-256 over a small JSON of hashes):

- the dataset build: the raw source files (content), how the audit reads them (`sources`,
  `as_of`, `slicing`) and the code (package version + a hash of the package's files);
- a notebook: the dataset key and the manifest (minus `targets` and `settings`), the slice
  id, the playbook as run (the staged file), the run's parameters (language, mode), the code,
  the audit keys the step reads (`STEP_READS`: `targets`, `settings`), the records of the
  earlier steps of the slice when the step reads them (`results`), and the key of the step
  that last wrote each file the step finds in the slice folder (e.g. `actions.xlsx`, a
  derived customer table);
- a slice's deliverables: the keys of its notebooks, the failed steps, what the audit asks to
  render (formats, branding, template, language, mode), the templates and the code.

The previous complete run is `outputs/<audit>/`; its records are in `cache/<slice>.json` and
the files each step wrote besides its notebook are kept in `cache/<slice>/<step>/`. A reused
notebook is copied from there into the new run folder with the files its step wrote; a slice
whose notebooks were all reused and whose deliverables key is unchanged gets its deliverables
copied instead of rendered. A failed notebook is never reused. `force=True` re-runs everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clientbook import __version__
from clientbook.config import resources
from clientbook.config.audit_file import Audit

CACHE_DIR = "cache"
FORMAT = 1  # bump when the record layout or the key recipe changes

# The audit keys each step reads (besides the slice's data, which every step reads).
# `targets`: the audit's `targets:` block; `settings`: the audit's `settings:` block (any
# step may read another step's section or a top-level key, so the block counts whole);
# `results`: the records of the earlier steps of the slice (results.json).
# A step not listed here is assumed to read all of them.
STEP_READS: dict[str, frozenset[str]] = {
    "data_audit": frozenset(),
    "classification": frozenset({"settings"}),
    "value": frozenset({"settings"}),
    "satisfaction": frozenset({"settings", "targets"}),
    "service": frozenset({"settings", "targets"}),
    "sales": frozenset({"settings"}),
    "retention": frozenset({"settings"}),
    "performance_review": frozenset({"settings", "targets"}),
    "action_plan": frozenset({"settings", "targets", "results"}),
}
ALL_READS = frozenset({"settings", "targets", "results"})
AUDIT_KEYS = ("targets", "settings")  # the manifest keys that only some steps read

# Files of a slice folder that are neither a step's side output nor a deliverable.
_NOT_OUTPUTS = ("notebooks", "results.json")


def reads(step: str) -> frozenset[str]:
    return STEP_READS.get(step, ALL_READS)


def digest(obj: Any) -> str:
    """A stable hash of a JSON-able value."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path, h: Any = None) -> str:
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def tree_hash(
    root: Path, suffixes: tuple[str, ...] | None = None, skip: tuple[str, ...] = ()
) -> str:
    """Hash of every file under `root` (names and contents), caches and `skip` excluded."""
    h = hashlib.sha256()
    if not root.exists():
        return "absent"
    for p in sorted(root.rglob("*")):
        if not p.is_file() or "__pycache__" in p.parts:
            continue
        if suffixes and p.suffix not in suffixes:
            continue
        if skip and p.relative_to(root).parts[0] in skip:
            continue
        h.update(str(p.relative_to(root)).encode("utf-8") + b"\0")
        file_hash(p, h)
        h.update(b"\0")
    return h.hexdigest()


def code_key() -> str:
    """The package version and a hash of the package's own files (code, messages, assets).

    The `run/` layer (this orchestration: runner, cache, CLI; `kernel` only clears a
    namespace) is left out: it decides what runs, not what a notebook or report contains."""
    pkg = Path(__file__).resolve().parents[1]
    return f"{__version__}:{tree_hash(pkg, skip=('run',))}"


def _sources_key(audit: Audit) -> dict[str, Any]:
    out = {}
    for table, source in sorted(audit.sources.items()):
        path = audit.resolve(source.path)
        out[table] = {
            "how": source.model_dump(mode="json", exclude={"path"}),
            "file": file_hash(path) if path.is_file() else "missing",
        }
    return out


def dataset_key(audit: Audit, code: str) -> str:
    from clientbook.data.dataset import default_as_of

    return digest(
        {
            "format": FORMAT,
            "code": code,
            "sources": _sources_key(audit),
            "as_of": default_as_of(audit).isoformat(),
            "slicing": audit.slicing.model_dump(mode="json"),
        }
    )


def _scan(slice_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file of a slice folder except notebooks/results: relative path -> (mtime, size)."""
    out: dict[str, tuple[int, int]] = {}
    if not slice_dir.exists():
        return out
    for p in slice_dir.rglob("*"):
        rel = p.relative_to(slice_dir)
        if rel.parts[0] in _NOT_OUTPUTS or not p.is_file():
            continue
        st = p.stat()
        out[rel.as_posix()] = (st.st_mtime_ns, st.st_size)
    return out


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _link_or_copy(src: Path, dst: Path) -> None:
    """For files nothing writes to again (cache snapshots, the built dataset)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


@dataclass
class RunCache:
    """What the previous complete run can lend this one. Picklable (sent to Dask workers)."""

    root: Path  # this run's folder (outputs/<audit>.new)
    previous: Path | None  # the previous complete run (outputs/<audit>), None when forced/absent
    code: str
    base: str = ""  # dataset key + manifest (without audit keys) + run parameters
    audit_keys: dict[str, str] = field(default_factory=dict)  # targets/settings -> hash
    playbooks: dict[str, str] = field(default_factory=dict)  # playbook file name -> hash
    render: str = ""  # what the deliverables depend on besides the notebooks

    @classmethod
    def open(cls, audit: Audit, root: Path, final: Path, force: bool = False) -> RunCache:
        previous = None if force or not (final / CACHE_DIR).is_dir() else final
        return cls(root=root, previous=previous, code=code_key())

    # ---------------------------------------------------------------- dataset
    def build_dataset(self, audit: Audit, out_dir: Path) -> tuple[dict[str, Any], bool]:
        """The run's dataset: the previous run's when its key is unchanged, else built.
        Returns (manifest, reused)."""
        from clientbook.data import dataset
        from clientbook.data.book import MANIFEST

        key = dataset_key(audit, self.code)
        reused = False
        prev = self.previous / "dataset" if self.previous else None
        prev_key = _read_json(self.previous / CACHE_DIR / "dataset.json") if self.previous else {}
        if prev is not None and prev_key.get("key") == key and (prev / MANIFEST).exists():
            tmp = out_dir.with_name(out_dir.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            for p in prev.iterdir():
                if p.is_file() and p.name != MANIFEST:
                    _link_or_copy(p, tmp / p.name)
            manifest = json.loads((prev / MANIFEST).read_text(encoding="utf-8"))
            # The audit-level keys may have changed without the data: take them from the audit.
            manifest.update(
                {
                    "client": audit.client,
                    "audit": audit.name,
                    "lang": audit.lang,
                    "currency": audit.currency,
                    "slide_charts": dataset.slide_charts(audit),
                    "targets": audit.targets,
                    "settings": audit.settings,
                    "slicing": audit.slicing.by,
                }
            )
            tmp.mkdir(parents=True, exist_ok=True)
            (tmp / MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            shutil.rmtree(out_dir, ignore_errors=True)
            tmp.rename(out_dir)
            reused = True
        else:
            manifest = dataset.build(audit, out_dir)
        _write_json(self.root / CACHE_DIR / "dataset.json", {"key": key, "reused": reused})
        self.base = digest(
            {
                "dataset": key,
                "code": self.code,
                "manifest": {k: v for k, v in manifest.items() if k not in AUDIT_KEYS},
                "lang": audit.lang,
                "mode": audit.mode,
            }
        )
        self.audit_keys = {k: digest(manifest.get(k)) for k in AUDIT_KEYS}
        return manifest, reused

    def staged(self, playbooks: list[Path], audit: Audit) -> None:
        """Note the playbooks as staged for this run, and what the deliverables depend on."""
        self.playbooks = {pb.name: file_hash(pb) for pb in playbooks}
        tpl = audit.resolve(audit.pptx_template) if audit.pptx_template else None
        logo = audit.resolve(audit.branding.logo) if audit.branding.logo else None
        self.render = digest(
            {
                "base": self.base,
                "outputs": sorted(audit.outputs),
                "branding": audit.branding.model_dump(mode="json"),
                "logo": file_hash(logo) if logo and logo.is_file() else None,
                "pptx_template": file_hash(tpl) if tpl and tpl.is_file() else None,
                "templates": tree_hash(resources.templates_dir()),
            }
        )

    def reuse_index(self, summary: Any) -> bool:
        """Copy the previous index.html when every slice was reused whole (nothing ran, no
        deliverable was rendered) and the index would say the same (same slices, failures,
        render settings, date)."""
        import datetime as dt

        key = digest(
            {"render": self.render, "slices": summary.slices, "date": dt.date.today().isoformat()}
        )
        _write_json(self.root / CACHE_DIR / "index.json", {"key": key})
        if self.previous is None or not all(s.get("deliverables_reused") for s in summary.slices):
            return False
        prev = _read_json(self.previous / CACHE_DIR / "index.json")
        if prev.get("key") != key or not (self.previous / "index.html").exists():
            return False
        _copy(self.previous / "index.html", self.root / "index.html")
        return True

    def for_slice(self, slice_id: str) -> SliceCache:
        prev_record: dict[str, Any] = {}
        if self.previous is not None:
            prev_record = _read_json(self.previous / CACHE_DIR / f"{slice_id}.json")
            if prev_record.get("format") != FORMAT:
                prev_record = {}
        return SliceCache(self, slice_id, prev_record)


class SliceCache:
    """The cache of one slice during a run: looks up, copies, and records each step."""

    def __init__(self, run: RunCache, slice_id: str, prev: dict[str, Any]):
        self.run = run
        self.slice_id = slice_id
        self.prev = prev
        self.slice_dir = run.root / "slices" / slice_id
        self.store = run.root / CACHE_DIR / slice_id
        self.record: dict[str, Any] = {"format": FORMAT, "steps": {}, "deliverables": None}
        self.producers: dict[str, str] = {}  # file in the slice folder -> key of its writer
        self.executed = 0  # notebooks actually run in this slice
        self._before_render: dict[str, tuple[int, int]] = {}
        self._pending: tuple[str, str, dict[str, tuple[int, int]]] | None = None

    def key(self, step: str, playbook: Path, results: dict[str, Any]) -> str:
        r = reads(step)
        return digest(
            {
                "base": self.run.base,
                "slice": self.slice_id,
                "step": step,
                "playbook": self.run.playbooks.get(playbook.name) or file_hash(playbook),
                "audit": {k: self.run.audit_keys.get(k) for k in AUDIT_KEYS if k in r},
                "results": results if "results" in r else None,
                "files": dict(sorted(self.producers.items())),
            }
        )

    def reuse(
        self, step: str, playbook: Path, out: Path, results: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The step's records when its previous run can be reused (notebook and side files
        copied into this run), else None (then `begin` and `end` around running it)."""
        key = self.key(step, playbook, results)
        old = self.prev.get("steps", {}).get(step)
        if not old or old.get("key") != key or not old.get("ok") or self.run.previous is None:
            self._pending = (step, key, _scan(self.slice_dir))
            return None
        prev_nb = self.run.previous / "slices" / self.slice_id / "notebooks" / out.name
        prev_store = self.run.previous / CACHE_DIR / self.slice_id / step
        files = old.get("files", [])
        if not prev_nb.exists() or not all((prev_store / f).exists() for f in files):
            self._pending = (step, key, _scan(self.slice_dir))
            return None
        _copy(prev_nb, out)
        self._pending = None
        for f in files:
            _copy(prev_store / f, self.slice_dir / f)
            _link_or_copy(prev_store / f, self.store / step / f)
            self.producers[f] = key
        self.record["steps"][step] = {**old, "reused": True}
        return old.get("results", {})

    def end(self, step: str, ok: bool, results: dict[str, Any] | None) -> None:
        """After running a step: note its key, records and the files it wrote."""
        if self._pending is None or self._pending[0] != step:
            return
        _, key, before = self._pending
        self._pending = None
        self.executed += 1
        after = _scan(self.slice_dir)
        written = sorted(f for f, stamp in after.items() if before.get(f) != stamp)
        for f in written:
            _copy(self.slice_dir / f, self.store / step / f)  # the slice's copy may change
            self.producers[f] = key
        self.record["steps"][step] = {
            "key": key,
            "ok": ok,
            "results": results or {},
            "files": written,
            "reused": False,
        }

    # ---------------------------------------------------------------- deliverables
    def deliverables_key(self, failed: list[str]) -> str:
        steps = {s: r["key"] for s, r in self.record["steps"].items()}
        return digest({"render": self.run.render, "steps": steps, "failed": sorted(failed)})

    def reuse_deliverables(self, failed: list[str], audit: Audit) -> bool:
        """Copy the previous deliverables when no notebook of the slice ran and nothing they
        depend on changed."""
        self._before_render = _scan(self.slice_dir)
        old = self.prev.get("deliverables")
        if (
            self.executed
            or not old
            or self.run.previous is None
            or old.get("key") != self.deliverables_key(failed)
            or old.get("errors")
        ):
            return False
        prev_dir = self.run.previous / "slices" / self.slice_id
        files = old.get("files", [])
        if not all((prev_dir / f).exists() for f in files):
            return False
        for f in files:
            _copy(prev_dir / f, self.slice_dir / f)
        if "pdf" in audit.outputs and (prev_dir / "report.pdf").exists():
            _copy(prev_dir / "report.pdf", self.slice_dir / "report.pdf")
        if "slides" in audit.outputs:
            from clientbook.deliver import slides

            with _ASSETS_LOCK:
                slides.install_assets(self.run.root / "assets")
        self.record["deliverables"] = {**old, "reused": True}
        return True

    def rendered(self, failed: list[str], errors: list[str]) -> None:
        after = _scan(self.slice_dir)
        before = self._before_render
        files = sorted(
            f for f, stamp in after.items() if before.get(f) != stamp and f not in self.producers
        )
        self.record["deliverables"] = {
            "key": self.deliverables_key(failed),
            "files": files,
            "errors": errors,
            "reused": False,
        }

    def save(self) -> None:
        _write_json(self.run.root / CACHE_DIR / f"{self.slice_id}.json", self.record)

    @property
    def reused_steps(self) -> list[str]:
        return [s for s, r in self.record["steps"].items() if r.get("reused")]


_ASSETS_LOCK = threading.Lock()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
