"""No output may load anything from the network: every script, style sheet, font, image and
module a deliverable uses is a local file (or inlined).

Checks the files the slide/deck renderers write here and everything a small run renders
(the `rendered_run` fixture). Plain links a reader can click (<a href>) are not
assets and are allowed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from clientbook.config.branding import Branding
from clientbook.deliver import deck, slides
from decks_fixtures import playbooks

REMOTE = r"""["']?\s*(?:https?:)?//"""  # http://, https:// or protocol-relative //host
ASSET_PATTERNS = [
    # HTML elements that fetch what their attribute points at (not <a href>).
    re.compile(
        r"<(?:script|link|img|iframe|source|video|audio|embed|object|track|image|use)\b"
        r"[^>]*?\s(?:src|href|xlink:href|data|srcset|poster)\s*=\s*" + REMOTE,
        re.I,
    ),
    # CSS.
    re.compile(r"url\(\s*" + REMOTE, re.I),
    re.compile(r"@import\s+(?:url\()?\s*" + REMOTE, re.I),
    # JavaScript module loading.
    re.compile(r"""\bimport\s+(?:[^;'"]*?\bfrom\s+)?["'](?:https?:)?//""", re.I),
    re.compile(r"""\bimport\(\s*["'](?:https?:)?//""", re.I),
    re.compile(r"""\brequire\(\s*\[[^\]]*?["']https?://""", re.I),
    re.compile(r"""\.src\s*=\s*["']https?://""", re.I),
    # The CDNs nbconvert, Jupyter widgets and web fonts default to, wherever they appear.
    re.compile(
        r"https?://(?:cdnjs\.cloudflare\.com|unpkg\.com|cdn\.jsdelivr\.net|"
        r"code\.jquery\.com|fonts\.googleapis\.com|fonts\.gstatic\.com|"
        r"ajax\.googleapis\.com|cdn\.plot\.ly)",
        re.I,
    ),
]
SCANNED = {".html", ".htm", ".css", ".js", ".mjs", ".svg"}


def remote_assets(path: Path) -> list[str]:
    """The remote asset references in one output file (empty when it is offline-safe)."""
    if path.suffix == ".pptx":
        return _pptx_remote(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    hits = []
    for pat in ASSET_PATTERNS:
        hits += [text[m.start() : m.end() + 60].split("\n")[0] for m in pat.finditer(text)]
    return hits


def _pptx_remote(path: Path) -> list[str]:
    # Linked (not embedded) pictures, media or objects are external relationships.
    hits = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith(".rels"):
                continue
            xml = z.read(name).decode("utf-8")
            for rel in re.findall(r"<Relationship\b[^>]*>", xml):
                if 'TargetMode="External"' in rel and "/hyperlink" not in rel:
                    hits.append(f"{name}: {rel}")
    return hits


def scan(folder: Path) -> dict[str, list[str]]:
    found = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and (p.suffix in SCANNED or p.suffix == ".pptx"):
            hits = remote_assets(p)
            if hits:
                found[str(p.relative_to(folder))] = hits
    return found


def test_rendered_slides_assets_and_deck_are_offline(tmp_path):
    audit = tmp_path / "demo"
    for lang in ("en", "zh"):
        nbs = playbooks(lang)
        slides.render_slides(
            nbs,
            audit / lang / "slides.html",
            title="T",
            subtitle="S",
            lang=lang,
            branding=Branding(client="Acme"),
            assets_dir=audit / "assets",
        )
        deck.build_deck(
            nbs,
            {},
            audit / lang / "deck.pptx",
            title="T",
            subtitle="S",
            lang=lang,
            branding=Branding(client="Acme"),
        )
    files = {p.suffix for p in audit.rglob("*") if p.is_file()}
    assert {".html", ".css", ".js", ".pptx"} <= files
    assert scan(audit) == {}


def test_the_check_catches_nbconvert_default_cdn_slides(tmp_path):
    # Proves the check can fail: stock nbconvert slides point reveal, require, jquery,
    # MathJax and mermaid at CDNs.
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_notebook_node(playbooks("en")[0])
    out = tmp_path / "stock.slides.html"
    out.write_text(body, encoding="utf-8")
    hits = " ".join(remote_assets(out))
    for host in ("unpkg.com/reveal.js", "cdnjs.cloudflare.com/ajax/libs/require.js", "mathjax"):
        assert host in hits.lower()


@pytest.mark.parametrize(
    ("snippet", "bad"),
    [
        ('<script src="https://x.org/a.js"></script>', True),
        ('<link rel="stylesheet" href="//x.org/a.css">', True),
        ('<img alt="" src="http://x.org/a.png">', True),
        ("body { background: url('https://x.org/bg.png') }", True),
        ("@import url(https://x.org/font.css);", True),
        ('import mermaid from "https://x.org/mermaid.mjs";', True),
        ('require(["https://x.org/reveal.js"], function(){})', True),
        ('<a href="https://example.com/method">the method</a>', False),
        ('<script src="../assets/reveal/dist/reveal.js"></script>', False),
        ('<svg xmlns="http://www.w3.org/2000/svg"></svg>', False),
        ("/*! reveal.js https://revealjs.com MIT licensed */", False),
    ],
)
def test_asset_patterns(tmp_path, snippet, bad):
    f = tmp_path / "x.html"
    f.write_text(snippet, encoding="utf-8")
    assert bool(remote_assets(f)) is bad


def test_vendored_assets_are_offline():
    assert scan(slides.ASSETS) == {}


@pytest.mark.slow
def test_everything_a_run_renders_is_offline(rendered_run):
    """Every HTML, CSS and JS file of a run (index, reports, slides, assets), rendered for this
    session rather than whatever an earlier `make demo` left under outputs/."""
    assert (rendered_run / "index.html").is_file()
    assert list(rendered_run.glob("slices/*/slides.html"))
    assert scan(rendered_run) == {}


def test_report_charts_have_their_headline_as_alternative_text(rendered_run):
    """The report's images carry the chart's headline as alt text (written by our template;
    nbconvert's generic text and its whole-page HTML re-parse are not used)."""
    import json

    from bs4 import BeautifulSoup

    report = rendered_run / "slices" / "all" / "report.html"
    soup = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser")
    imgs = [i for i in soup.select("img") if "cb-logo" not in (i.get("class") or [])]
    assert imgs, "the small run's report has charts"
    headlines = set()
    for nb in (rendered_run / "slices" / "all" / "notebooks").glob("*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                meta = out.get("metadata", {}).get("clientbook", {})
                if meta.get("kind") == "chart":
                    headlines.add(meta["headline"])
    assert {i["alt"] for i in imgs} <= headlines and all(i["alt"] for i in imgs)
    assert "No description has been provided" not in report.read_text(encoding="utf-8")
