"""The training handbook: a slice's playbooks with code, exercises and folded solutions,
and the training index that walks the steps in method order (see present/training.py for the
trainer texts shown inside the playbooks)."""

from __future__ import annotations

import html
import json
import threading
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from clientbook import __version__
from clientbook.config import resources
from clientbook.config.audit_file import step_name
from clientbook.present import i18n
from clientbook.present.results import MIME
from clientbook.present.training import PARAMETER_TAGS, STAGES, _tags, role

TEMPLATES = resources.templates_dir()
TEMPLATE = "clientbook_training"
_local = threading.local()


def _anchor_cell(step: str) -> NotebookNode:
    title = i18n.t(f"common.step.{step}") if i18n.has(f"common.step.{step}") else step
    c = nbformat.v4.new_markdown_cell(
        f'<a id="step-{step}" class="cb-step-anchor" data-title="{html.escape(title)}"></a>'
    )
    c.metadata["clientbook"] = {"role": "anchor"}
    return c


def _failure_cell(step: str) -> NotebookNode:
    title = i18n.t(f"common.step.{step}") if i18n.has(f"common.step.{step}") else step
    return nbformat.v4.new_markdown_cell(
        f'<div class="cb-failed"><b>{html.escape(title)}</b>: '
        f"{html.escape(i18n.t('common.report.failed'))}</div>"
    )


def handbook_notebook(notebooks: list[Path], failed: list[str]) -> NotebookNode:
    """One notebook made of a slice's executed playbooks for the handbook: every cell kept
    with its code, the injected-parameters cell removed (the run's values are on the page
    header), each cell marked with its training role so the template can highlight exercises
    and fold solutions."""
    combined = nbformat.v4.new_notebook()
    for path in notebooks:
        step = step_name(path)
        combined.cells.append(_anchor_cell(step))
        if not path.exists():
            combined.cells.append(_failure_cell(step))
            continue
        nb = nbformat.read(path, as_version=4)
        if not combined.metadata:
            combined.metadata = nb.metadata
        for cell in nb.cells:
            if _tags(cell) & PARAMETER_TAGS:
                continue
            if cell.get("id"):
                cell.id = f"{step}-{cell.id}"[:64]  # ids repeat across playbooks
            r = role(cell)
            if r:
                cell.metadata.setdefault("clientbook", {})["role"] = r
            if cell.cell_type == "code":
                # Warnings and recorded results help nobody reading a handbook; errors stay.
                cell.outputs = [
                    o
                    for o in cell.get("outputs", [])
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                    and MIME not in o.get("data", {})
                ]
            combined.cells.append(cell)
        if step in failed:
            combined.cells.append(_failure_cell(step))
    return combined


# ---- rendering ----------------------------------------------------------------------------


def _exporter() -> Any:
    """One HTML exporter per thread (the runner renders slices in parallel)."""
    if not hasattr(_local, "exporter"):
        from nbconvert import HTMLExporter

        # The report's folder on the search path: the handbook includes its report.css.
        exp = HTMLExporter(
            template_name=TEMPLATE,
            extra_template_basedirs=[str(TEMPLATES)],
            extra_template_paths=[str(TEMPLATES / "clientbook_report")],
        )
        exp.exclude_input = False
        exp.exclude_input_prompt = True
        exp.exclude_output_prompt = True
        exp.exclude_unknown = True
        _local.exporter = exp
    return _local.exporter


def _slice_label(slice_id: str, manifest: dict[str, Any] | None) -> str:
    if slice_id == "all":
        return i18n.t("common.report.all")
    from clientbook.data import dataset

    try:
        return next(
            (sl.label for sl in dataset.slices(manifest or {}) if sl.id == slice_id), slice_id
        )
    except (KeyError, TypeError, ValueError):  # a manifest from another version
        return slice_id


def _manifest(root: Path) -> dict[str, Any]:
    p = root / "dataset" / "dataset.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def _step_title(step: str) -> str:
    return i18n.t(f"common.step.{step}") if i18n.has(f"common.step.{step}") else step


def render_handbook(
    root: Path, slice_id: str, notebooks: list[Path], audit: Any, failed: list[str]
) -> Path:
    """Write slices/<slice_id>/handbook.html: the slice's executed playbooks with code,
    trainer notes, exercises and (folded) solutions."""
    i18n.use(audit.lang)
    manifest = _manifest(root)
    nb = handbook_notebook(notebooks, failed)
    label = _slice_label(slice_id, manifest)
    nb.metadata["title"] = f"{audit.client}: {i18n.t('training.handbook.title')} ({label})"
    steps = [step_name(p) for p in notebooks]
    cb = {
        "client": audit.client,
        "title": i18n.t("training.handbook.title"),
        "subtitle": i18n.t("training.handbook.subtitle"),
        "slice_text": f"{i18n.t('common.report.slice')}: {label}",
        "as_of_text": (
            i18n.t("common.report.as_of", date=manifest["as_of"][:10])
            if manifest.get("as_of")
            else ""
        ),
        "date": audit.report_day(manifest.get("as_of")).isoformat(),
        "contents": i18n.t("common.report.contents"),
        "steps": [{"id": s, "title": _step_title(s), "failed": s in failed} for s in steps],
        "index_href": "../../training/index.html",
        "index_text": i18n.t("training.handbook.back"),
        "solution_label": i18n.t("training.label.solution"),
        "exercise_label": i18n.t("training.label.exercise"),
        "primary_color": audit.branding.primary_color,
        "accent_color": audit.branding.accent_color,
        "version": __version__,
    }
    body, _ = _exporter().from_notebook_node(nb, resources={"cb": cb, "language_code": audit.lang})
    out = root / "slices" / slice_id / "handbook.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    from dataclasses import asdict

    return asdict(obj)


def render_training_index(root: Path, audit: Any, manifest: dict[str, Any], summary: Any) -> Path:
    """Write training/index.html: the steps in method order, each with its purpose and the
    decision it supports, linking every slice's handbook section and executed notebook."""
    import jinja2

    i18n.use(audit.lang)
    runs = [_as_dict(n) for n in _get(summary, "notebooks")]
    slices = [dict(s) for s in _get(summary, "slices")]
    steps: list[str] = []
    files: dict[str, str] = {}
    for n in runs:
        if n["step"] not in steps:
            steps.append(n["step"])
        files.setdefault(n["step"], Path(n["notebook"]).name)
    steps.sort(key=lambda s: files[s])
    ok = {(n["slice_id"], n["step"]): n["ok"] for n in runs}
    for s in slices:
        s["text"] = i18n.t("common.report.all") if s.get("kind") == "all" else s.get("label", "")
        handbook = root / "slices" / s["id"] / "handbook.html"
        s["handbook"] = f"../slices/{s['id']}/handbook.html" if handbook.exists() else None
    walk = []
    for number, step in enumerate(steps):
        stage = STAGES.get(step, "screen")
        links = []
        for s in slices:
            nb_path = root / "slices" / s["id"] / "notebooks" / files[step]
            links.append(
                {
                    "text": s["text"],
                    "ok": ok.get((s["id"], step), False),
                    "handbook": f"{s['handbook']}#step-{step}" if s["handbook"] else None,
                    "notebook": (
                        f"../slices/{s['id']}/notebooks/{files[step]}" if nb_path.exists() else None
                    ),
                }
            )
        walk.append(
            {
                "step": step,
                "number": number,
                "title": _step_title(step),
                "stage": i18n.t(f"training.stage.{stage}"),
                "purpose": _maybe(f"training.{step}.purpose"),
                "decision": _maybe(f"training.{step}.decision"),
                "file": files[step],
                "links": links,
            }
        )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / TEMPLATE), autoescape=True)
    page = env.get_template("walkthrough.html.j2").render(
        t=i18n.t,
        audit=audit,
        manifest=manifest,
        walk=walk,
        slices=slices,
        lang=audit.lang,
        date=audit.report_day(manifest.get("as_of")).isoformat(),
        version=__version__,
    )
    out = root / "training" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def _maybe(key: str) -> str:
    return i18n.t(key) if i18n.has(key) else ""
