"""Rendering executed playbooks into deliverables, in-process.

Per slice: `report.html`, the slice's playbooks combined through our nbconvert template
(`templates/clientbook_report`: JupyterLab look, code and prompts hidden, table of contents,
client/slice/date header, executive summary on top). Per audit: `index.html` linking every
slice with league tables of key metrics by region and by period, failed slices marked.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
from pathlib import Path
from typing import Any

import jinja2
import nbformat

from clientbook import __version__
from clientbook.config import resources
from clientbook.config.audit_file import Audit, step_name
from clientbook.data.dataset import Slice
from clientbook.deliver import comparison as comp
from clientbook.deliver import handbook
from clientbook.present import i18n, style, training
from clientbook.present import results as results_mod
from clientbook.present.results import MIME

TEMPLATES = resources.templates_dir()
# papermill's "An Exception was encountered" cells are for the notebook reader, not a client.
SKIP_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag"}
_local = threading.local()


def _report_exporter_class() -> Any:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):  # type: ignore[misc]
        """nbconvert's HTML exporter without its last pass: re-parsing the whole page with
        BeautifulSoup to add a generic alternative text to images and tabindex attributes
        (~0.4 s per report, most of the rendering time of a small slice). Our template writes
        each chart's alternative text itself: its headline."""

        def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
        ) -> tuple[str, dict[str, Any]]:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


def _exporter(exclude_input: bool) -> Any:
    """One HTML exporter per thread and mode (building one loads every template)."""
    key = f"exporter_{exclude_input}"
    if not hasattr(_local, key):
        exp = _report_exporter_class()(
            template_name="clientbook_report", extra_template_basedirs=[str(TEMPLATES)]
        )
        exp.exclude_input = exclude_input
        exp.exclude_input_prompt = True
        exp.exclude_output_prompt = True
        exp.exclude_unknown = True  # raw cells etc.
        setattr(_local, key, exp)
    return getattr(_local, key)


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _client_outputs(cell: Any) -> list[Any]:
    """A code cell's outputs as report cells: markdown outputs become markdown cells (so their
    headings get anchors for the table of contents), charts and tables stay outputs."""
    out: list[Any] = []
    pending: list[Any] = []

    def flush() -> None:
        if pending:
            c = nbformat.v4.new_code_cell("")
            c.outputs = list(pending)
            out.append(c)
            pending.clear()

    for o in cell.get("outputs", []):
        if o["output_type"] in ("stream", "error"):
            continue  # warnings and tracebacks never reach a client
        data = o.get("data", {})
        if MIME in data:
            continue
        if "text/markdown" in data and "image/png" not in data and "text/html" not in data:
            flush()
            out.append(nbformat.v4.new_markdown_cell(data["text/markdown"]))
        else:
            pending.append(o)
    flush()
    return out


def read_notebooks(paths: list[Path]) -> list[tuple[str, Any]]:
    """(step, executed notebook or None when it never got written) for each playbook."""
    return [(step_name(p), nbformat.read(p, as_version=4) if p.exists() else None) for p in paths]


def combine(notebooks: list[tuple[str, Any]], failed: list[str], mode: str = "client") -> Any:
    """One notebook made of the slice's executed playbooks, ready for the report template."""
    combined = nbformat.v4.new_notebook()
    for step, nb in notebooks:
        if nb is None:
            combined.cells.append(_failure_cell(step))
            continue
        if not combined.metadata:
            combined.metadata = nb.metadata
        for cell in nb.cells:
            tags = _tags(cell)
            if tags & SKIP_TAGS:
                continue
            if mode == "client":
                if tags & training.TRAINING_TAGS:
                    continue  # trainer notes, exercises and solutions never reach a client
                if cell.cell_type == "markdown":
                    combined.cells.append(cell)
                elif cell.cell_type == "code":
                    combined.cells.extend(_client_outputs(cell))
            else:
                combined.cells.append(cell)
        if step in failed:
            combined.cells.append(_failure_cell(step))
    for i, cell in enumerate(combined.cells):  # ids repeat across playbooks; keep them unique
        cell.id = f"cb{i:04d}"
    return combined


def _failure_cell(step: str) -> Any:
    title = html.escape(i18n.t(f"common.step.{step}") if i18n.has(f"common.step.{step}") else step)
    return nbformat.v4.new_markdown_cell(
        f'<div class="cb-failed"><b>{title}</b>: {html.escape(i18n.t("common.report.failed"))}'
        "</div>"
    )


def _toc(body: str) -> str:
    items = re.findall(
        r'<h([23]) id="([^"]+)"[^>]*>(.*?)(?:<a class="anchor-link"|</h[23]>)', body, flags=re.S
    )
    out, open_sub = ["<ol>"], False
    for level, anchor, text in items:
        label = re.sub(r"<[^>]+>", "", text).strip()
        if level == "2":
            if open_sub:
                out.append("</ol>")
                open_sub = False
            out.append(f'<li><a href="#{anchor}">{label}</a>')
        else:
            if not open_sub:
                out.append("<ol>")
                open_sub = True
            out.append(f'<li><a href="#{anchor}">{label}</a></li>')
    if open_sub:
        out.append("</ol>")
    out.append("</ol>")
    return "".join(out)


def executive_summary(results: dict[str, Any], limit: int = 6) -> list[dict[str, str]]:
    """The action plan's executive summary when it ran, else each step's first findings."""
    plan = results.get("action_plan", {}).get("executive_summary")
    if plan:
        return [
            {
                "finding": i.get("finding", ""),
                "evidence": i.get("evidence", ""),
                "action": i.get("action", ""),
            }
            for i in plan
        ]
    items = []
    for step_results in results.values():
        for f in (step_results.get("findings") or [])[:2]:
            items.append({"finding": f, "evidence": "", "action": ""})
    return items[:limit]


def slice_text(sl: Slice) -> str:
    if sl.kind == "region":  # "Unknown" (the default region) in the reader's language
        return i18n.value_label("region", sl.label)
    return i18n.t("common.report.all") if sl.kind == "all" else sl.label


def render_slice(
    root: Path, sl: Slice, notebooks: list[Path], audit: Audit, failed: list[str]
) -> list[str]:
    """Write the slice's deliverables from its executed notebooks: report.html always, then
    slides.html and deck.pptx when the audit asks for them. Returns what could not be made
    (the report itself failing raises)."""
    i18n.use(audit.lang)
    style.use(audit.lang, audit.currency)  # figures the decks format: the audit's currency
    slice_dir = root / "slices" / sl.id
    res_path = slice_dir / "results.json"
    results = json.loads(res_path.read_text(encoding="utf-8")) if res_path.exists() else {}
    # Every deliverable made here is a client's, also in training mode (the handbook is
    # handbook.render_handbook): no trainer notes, exercises or solutions.
    loaded = [
        (step, training.client_notebook(nb) if nb is not None else None)
        for step, nb in read_notebooks(notebooks)
    ]
    render_report(root, sl, loaded, results, audit, failed)
    errors = []
    executed = [nb for _, nb in loaded if nb is not None]
    for fmt, make in (("slides", _slides), ("pptx", _deck)):
        if fmt in audit.outputs:
            try:
                make(root, sl, executed, results, audit)
            except Exception as exc:  # noqa: BLE001 - one deliverable failing spares the rest
                errors.append(f"{sl.id} {fmt}: {type(exc).__name__}: {exc}")
    if audit.mode == "training":
        try:  # the trainer's handbook: code, notes, exercises, folded solutions
            handbook.render_handbook(root, sl.id, notebooks, audit, failed)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{sl.id} handbook: {type(exc).__name__}: {exc}")
    return errors


def _slides(
    root: Path, sl: Slice, executed: list[Any], results: dict[str, Any], audit: Audit
) -> Path:
    from clientbook.config.branding import Branding
    from clientbook.deliver import slides

    return slides.render_slides(
        executed,
        root / "slices" / sl.id / "slides.html",
        title=i18n.t("common.index.title", client=audit.client),
        subtitle=slice_text(sl),
        lang=audit.lang,
        branding=Branding.from_audit(audit),
        assets_dir=root / "assets",
        today=_report_day(root, audit),
        results=results,
        currency=audit.currency,
    )


def _deck(
    root: Path, sl: Slice, executed: list[Any], results: dict[str, Any], audit: Audit
) -> Path:
    from clientbook.config.branding import Branding
    from clientbook.deliver import deck

    template = audit.resolve(audit.pptx_template) if audit.pptx_template else None
    return deck.build_deck(
        executed,
        results,
        root / "slices" / sl.id / "deck.pptx",
        title=i18n.t("common.index.title", client=audit.client),
        subtitle=slice_text(sl),
        lang=audit.lang,
        branding=Branding.from_audit(audit),
        template=template,
        today=_report_day(root, audit),
        currency=audit.currency,
    )


def _report_day(root: Path, audit: Audit) -> dt.date:
    """The date on every deliverable of a run: the audit's report date, else its as-of date."""
    ds = root / "dataset" / "dataset.json"
    manifest = json.loads(ds.read_text(encoding="utf-8")) if ds.exists() else {}
    return audit.report_day(manifest.get("as_of"))


def render_report(
    root: Path,
    sl: Slice,
    loaded: list[tuple[str, Any]],
    results: dict[str, Any],
    audit: Audit,
    failed: list[str],
) -> Path:
    """slices/<id>/report.html: the playbooks combined, code hidden, summary on top."""
    i18n.use(audit.lang)  # the audit's language, whatever this thread rendered before
    slice_dir = root / "slices" / sl.id
    manifest = json.loads((root / "dataset" / "dataset.json").read_text(encoding="utf-8"))
    nb = combine(loaded, failed, "client")
    window = results_mod.window_label(results)
    nb.metadata["title"] = f"{audit.client}: {slice_text(sl)}"
    b = audit.branding
    cb = {
        "client": audit.client,
        "title": i18n.t("common.index.title", client=audit.client),
        "slice_text": f"{i18n.t('common.report.slice')}: {slice_text(sl)}",
        "as_of_text": i18n.t("common.report.as_of", date=manifest["as_of"][:10]),
        "prepared_by": i18n.t("common.report.prepared_by", firm=b.firm),
        "date": audit.report_day(manifest.get("as_of")).isoformat(),
        "contents": i18n.t("common.report.contents"),
        "summary_title": i18n.t("common.report.summary"),
        "summary": executive_summary(results),
        "key_figures": results_mod.key_figures(results, audit.lang, audit.currency),
        "key_figures_title": i18n.t("metrics.key_figures"),
        "key_figures_note": (i18n.t("metrics.key_figures_note", window=window) if window else ""),
        "primary_color": b.primary_color,
        "accent_color": b.accent_color,
        "logo": _logo_data_uri(audit),
        "version": __version__,
    }
    exporter = _exporter(exclude_input=True)
    body, _ = exporter.from_notebook_node(nb, resources={"cb": cb, "language_code": audit.lang})
    body = body.replace("<!--CB-TOC-->", _toc(body), 1)
    out = slice_dir / "report.html"
    out.write_text(body, encoding="utf-8")
    return out


def _logo_data_uri(audit: Audit) -> str | None:
    """The logo inlined, so the report stays one self-contained file."""
    import base64
    import mimetypes

    if not audit.branding.logo:
        return None
    path = audit.resolve(audit.branding.logo)
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


# ---- index page -------------------------------------------------------------------------


def index_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The league tables' columns: the registry's headline KPIs any slice recorded."""
    from clientbook.metrics.registry import HEADLINE

    return [
        k
        for k in HEADLINE
        if any(
            (results_mod.metrics_of(r["results"]).get(k) or {}).get("value") is not None
            for r in rows
        )
    ]


def column_label(key: str) -> str:
    """A league-table header: the KPI's name and its scope in words ("Revenue, in the
    period"); each row names its period."""
    from clientbook.metrics.registry import get

    return i18n.t(
        "metrics.column",
        label=results_mod.metric_label(key, scoped=False),
        scope=i18n.t(f"metrics.scope_word.{get(key).scope}"),
    )


# What a slice folder may hold, in the order the index links them (file, catalogue key).
DELIVERABLES = [
    ("report.html", "common.index.link.report"),
    ("slides.html", "common.index.link.slides"),
    ("deck.pptx", "common.index.link.deck"),
    ("report.pdf", "common.index.link.pdf"),
    ("actions.xlsx", "common.index.link.actions"),
    ("accounts.html", "common.index.link.accounts"),
]
SCORECARD_COLUMNS = 6  # KPI columns per league table; more wrap into a further table
COMPARISON_COLUMNS = 8  # slices per heatmap table; more wrap into a further table


def slice_links(root: Path, slice_id: str) -> list[dict[str, str]]:
    """Every deliverable of the slice that exists: [{"href", "label"}] in DELIVERABLES order."""
    return [
        {"href": f"slices/{slice_id}/{name}", "label": i18n.t(key)}
        for name, key in DELIVERABLES
        if (root / "slices" / slice_id / name).exists()
    ]


def slice_customers(
    s: dict[str, Any], results: dict[str, Any], manifest: dict[str, Any]
) -> int | None:
    """How many customers a slice holds: its data audit's count, else the manifest's."""
    n = (results.get("data_audit", {}).get("kpis") or {}).get("customers")
    if isinstance(n, int | float):
        return int(n)
    if s.get("kind") == "region":
        for r in manifest.get("regions") or []:
            if f"region-{r.get('slug')}" == s["id"]:
                return r.get("customers")
    return None


def min_slice_customers(audit: Audit) -> int:
    """settings.min_slice_customers: smaller region or period slices are marked on the index."""
    return int(audit.analysis.performance_review.min_slice_customers)


def headlines(results: dict[str, Any], limit: int = 5) -> list[dict[str, str]]:
    """The book's 3-5 headline messages: the `all` slice's ranked executive summary (the same
    findings its report opens with), else the first findings of its steps."""
    return [h for h in executive_summary(results, limit) if h.get("finding")][:limit]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    """At most `size` items per chunk, chunks as even as possible (9 by 8: 5 + 4, not 8 + 1)."""
    if not items:
        return [[]]
    n = -(-len(items) // size)
    step = -(-len(items) // n)
    return [items[i : i + step] for i in range(0, len(items), step)]


def comparison_wrapped(
    results_by_slice: dict[str, dict[str, Any]],
    lang: str,
    labels: dict[str, str],
    size: int = COMPARISON_COLUMNS,
    currency: str | None = None,
) -> str:
    """The comparison heatmap with at most `size` slices per table: further slices wrap into
    tables below (one title, one legend), so it fits the page's width."""
    ids = list(results_by_slice)
    parts = [
        comp.comparison_html(
            {k: results_by_slice[k] for k in chunk}, lang, labels=labels, currency=currency
        )
        for chunk in _chunks(ids, size)
    ]
    parts = [p for p in parts if p]
    if not parts:
        return ""
    start, legend = "<div class='cb-cmp-wrap'>", "<div class='cb-cmp-legend'>"
    tables = [p[p.index(start) : p.index(legend)] for p in parts if start in p and legend in p]
    if len(tables) != len(parts):  # an unexpected layout: show the first as it is
        return parts[0]
    first = parts[0]
    return first[: first.index(start)] + "".join(tables) + first[first.index(legend) :]


def render_index(root: Path, audit: Audit, manifest: dict[str, Any], summary: Any) -> Path:
    """Write index.html, the landing page: the book's headline messages, then every slice with
    links to each of its deliverables, league tables that fit the width (KPI columns wrap into
    further tables), slices below the minimum size marked, and the comparison heatmap."""
    i18n.use(audit.lang)
    style.use(audit.lang, manifest.get("currency"))  # money in the audit's currency
    minimum = min_slice_customers(audit)
    currency = audit.currency or manifest.get("currency")
    rows = []
    for s in summary.slices:
        res_path = root / "slices" / s["id"] / "results.json"
        results = json.loads(res_path.read_text(encoding="utf-8")) if res_path.exists() else {}
        report = root / "slices" / s["id"] / "report.html"
        n = slice_customers(s, results, manifest)
        rows.append(
            {
                **s,
                "results": results,
                "report": f"slices/{s['id']}/report.html" if report.exists() else None,
                "links": slice_links(root, s["id"]),
                "customers": n,
                "small": s["kind"] != "all" and n is not None and n < minimum,
                "label": i18n.t("common.report.all")
                if s["kind"] == "all"
                else i18n.value_label("region", s["label"])
                if s["kind"] == "region"
                else s["label"],
                "window": results_mod.window_label(results) or "–",
            }
        )
    keys = index_columns(rows)
    for r in rows:
        metrics = results_mod.metrics_of(r["results"])
        r["cells"] = [r["window"]] + [
            results_mod.format_metric(k, metrics.get(k), audit.lang, currency) for k in keys
        ]
    labels = [i18n.t("metrics.window")] + [column_label(k) for k in keys]
    blocks, at = [], 0
    for cols in _chunks(labels, SCORECARD_COLUMNS):
        blocks.append((at, cols))
        at += len(cols)
    overall = next((r["results"] for r in rows if r["kind"] == "all"), {})
    comparison = comparison_wrapped(
        {r["id"]: r["results"] for r in rows},
        audit.lang,
        {r["id"]: r["label"] for r in rows},
        currency=currency,
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "clientbook_index"), autoescape=True
    )
    page = env.get_template("index.html.j2").render(
        t=i18n.t,
        audit=audit,
        manifest=manifest,
        summary=summary,
        rows=rows,
        columns=labels,
        blocks=blocks,
        comparison=comparison,
        minimum=minimum,
        headlines=headlines(overall),
        groups=[
            ("overview", [r for r in rows if r["kind"] == "all"]),
            ("regions", [r for r in rows if r["kind"] == "region"]),
            ("periods", [r for r in rows if r["kind"] == "period"]),
            ("region_periods", [r for r in rows if r["kind"] == "region_period"]),
        ],
        date=audit.report_day(manifest.get("as_of")).isoformat(),
        version=__version__,
    )
    out = root / "index.html"
    out.write_text(page, encoding="utf-8")
    return out
