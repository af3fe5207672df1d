"""Where the product's files come from (importlib.resources, the repository's folders in a
checkout), the sample cache outside the checkout, and the report date taken from the audit."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from clientbook.config import audit_file, resources
from conftest import write_audit, write_small_export

REPO = Path(__file__).resolve().parents[1]


# ---- resources ---------------------------------------------------------------------------


def test_a_checkout_reads_the_repositorys_own_folders():
    # No clientbook/_resources/ in a checkout: edits to playbooks/ and templates/ count at once.
    assert not (REPO / "lib" / "clientbook" / resources.BUNDLED).exists()
    assert resources.playbooks_dir() == REPO / "playbooks"
    assert resources.templates_dir() == REPO / "templates"
    assert resources.demo_audit("en") == REPO / "audits" / "demo.yaml"
    assert resources.demo_audit("zh") == REPO / "audits" / "demo-zh.yaml"
    assert (resources.assets_dir() / "reveal" / "dist" / "reveal.js").is_file()
    a = audit_file.load(resources.demo_audit("en"))
    assert a.playbooks() == sorted(REPO.glob("playbooks/[0-9][0-9]_*.ipynb"))
    with pytest.raises(ValueError, match="lang"):
        resources.demo_audit("fr")


def test_bundled_resources_win_over_the_repository(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "clientbook"
    for d in ("playbooks", "templates", "audits"):
        (pkg / resources.BUNDLED / d).mkdir(parents=True)
    monkeypatch.setattr(resources, "_package_dir", lambda: pkg)
    resources.resources_root.cache_clear()
    try:
        assert resources.playbooks_dir() == pkg / "_resources" / "playbooks"
        assert resources.demo_audit() == pkg / "_resources" / "audits" / "demo.yaml"
    finally:
        resources.resources_root.cache_clear()


def test_a_broken_install_says_what_is_missing(tmp_path, monkeypatch):
    pkg = tmp_path / "a" / "b" / "clientbook"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(resources, "_package_dir", lambda: pkg)
    resources.resources_root.cache_clear()
    try:
        with pytest.raises(resources.ResourceError, match="playbooks and templates are missing"):
            resources.playbooks_dir()
    finally:
        resources.resources_root.cache_clear()


# ---- the sample cache ----------------------------------------------------------------------


def test_cache_root_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIENTBOOK_CACHE", str(tmp_path / "c"))
    assert resources.cache_root() == tmp_path / "c"
    monkeypatch.delenv("CLIENTBOOK_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert resources.cache_root() == tmp_path / "x" / "clientbook"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert resources.cache_root() == tmp_path / "h" / ".cache" / "clientbook"
    assert not resources.cache_root().is_relative_to(REPO)


def test_cache_entries_are_keyed_on_version_seed_and_code(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIENTBOOK_CACHE", str(tmp_path))
    from clientbook import __version__

    name = resources.sample_cache_dir(7).name
    assert name.startswith(f"sample-{__version__}-seed7-")
    assert resources.sample_cache_dir(8).name.startswith(f"sample-{__version__}-seed8-")
    assert "-n400-" in resources.sample_cache_dir(7, 400).name
    assert "-zh-" in resources.sample_cache_dir(7, lang="zh").name
    monkeypatch.setattr(resources, "__version__", "9.9.9")
    assert resources.sample_cache_dir(7).name.startswith("sample-9.9.9-seed7-")
    # a change to the code that builds the sample gives another entry, at the same version
    monkeypatch.setattr(resources, "code_fingerprint", lambda: "00000000")
    assert resources.sample_cache_dir(7).name == "sample-9.9.9-seed7-00000000"


@pytest.mark.slow
def test_the_sample_cache_is_built_atomically_and_reused(monkeypatch, tmp_path):
    from clientbook.data import dataset, sample
    from clientbook.present import playbook

    monkeypatch.setenv("CLIENTBOOK_CACHE", str(tmp_path))
    real_build = dataset.build

    def broken(*a, **k):
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(dataset, "build", broken)
    with pytest.raises(RuntimeError, match="mid-build"):
        playbook.sample_dir(seed=3, customers=150)
    assert list(tmp_path.iterdir()) == []  # neither an entry nor a temporary folder is left

    monkeypatch.setattr(dataset, "build", real_build)
    entry = playbook.sample_dir(seed=3, customers=150)
    assert entry == resources.sample_cache_dir(3, 150)
    assert (entry / "raw" / "orders.csv").is_file()
    assert (entry / "dataset" / "dataset.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [entry.name]

    def never(*a, **k):
        raise AssertionError("a complete entry is reused, not regenerated")

    monkeypatch.setattr(sample, "generate", never)
    assert playbook.sample_dir(seed=3, customers=150) == entry


# ---- the report date ---------------------------------------------------------------------


def test_report_day_comes_from_the_audit_never_the_clock(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text(
        "client: X\nas_of: '2025-04-01'\nsources: {orders: {path: o.csv}}\n", encoding="utf-8"
    )
    a = audit_file.load(p)
    assert a.report_day() == dt.date(2025, 4, 1)
    assert a.report_day("2025-03-31T00:00:00") == dt.date(2025, 3, 31)  # the dataset's as_of
    a.report_date = dt.date(2030, 5, 6)
    assert a.report_day("2025-03-31T00:00:00") == dt.date(2030, 5, 6)
    a.report_date, a.as_of = None, None
    with pytest.raises(ValueError, match="report_date"):
        a.report_day(None)


@pytest.mark.slow
def test_every_deliverable_carries_the_report_date(tmp_path):
    from pptx import Presentation

    from clientbook.run import runner

    export = tmp_path / "export"
    write_small_export(export)
    audit = write_audit(
        tmp_path / "dated.yaml",
        export,
        "steps: [data_audit, classification]\nreport_date: 2030-05-06\n"
        "outputs: [html, slides, pptx]\nmode: training",
    )
    text = audit.read_text(encoding="utf-8").replace("by: [region, period]", "by: []")
    audit.write_text(text, encoding="utf-8")
    summary = runner.run(audit_file.load(audit), tmp_path / "out", jobs=1, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    root = tmp_path / "out" / "small"
    today = dt.date.today().isoformat()
    pages = [
        root / "index.html",
        root / "slices" / "all" / "report.html",
        root / "slices" / "all" / "slides.html",
        root / "slices" / "all" / "handbook.html",
        root / "training" / "index.html",
    ]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "2030-05-06" in html, page
        assert today not in html, page
    deck = root / "slices" / "all" / "deck.pptx"
    prs = Presentation(str(deck))
    title = " ".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert "2030-05-06" in title and today not in title
    assert prs.core_properties.created.date() == dt.date(2030, 5, 6)
    assert prs.core_properties.modified.date() == dt.date(2030, 5, 6)
    core = zipfile.ZipFile(deck).read("docProps/core.xml").decode()
    assert today not in core
