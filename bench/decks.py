"""Time the deliverables on an executed audit: slides, PPTX deck and PDF per slice; count the
slides (main part before the appendix, and in all) and the PDF pages.

    .venv/bin/python bench/decks.py [outputs/demo]

Reads outputs/<audit>/slices/*/notebooks/*.ipynb and results.json (from `make demo`), writes
into a temporary folder, prints seconds per slice and in all. PDF is timed both ways: one
browser per slice (print_pdf) and one browser for every slice (print_pdfs).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from clientbook.config.branding import Branding
from clientbook.deliver import deck, pdf, slides


def main(audit_dir: Path) -> None:
    slice_dirs = sorted(p for p in (audit_dir / "slices").iterdir() if (p / "notebooks").is_dir())
    if not slice_dirs:
        sys.exit(f"no executed slices under {audit_dir}/slices: run make demo first")
    brand = Branding(client="Demo", firm="Northwind", consultant="A. Consultant")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_slides = t_deck = 0.0
        counts: list[tuple[int, int]] = []
        for d in slice_dirs:
            files = sorted((d / "notebooks").glob("*.ipynb"))
            nbs = [nbformat.read(f, as_version=4) for f in files]
            res_file = d / "results.json"
            results = json.loads(res_file.read_text(encoding="utf-8")) if res_file.exists() else {}
            t = time.perf_counter()
            slides.render_slides(
                nbs,
                out / d.name / "slides.html",
                title="Demo",
                subtitle=d.name,
                lang="en",
                branding=brand,
                assets_dir=out / "assets",
                results=results,
            )
            t_slides += time.perf_counter() - t
            t = time.perf_counter()
            deck.build_deck(
                nbs,
                results,
                out / d.name / "deck.pptx",
                title="Demo",
                subtitle=d.name,
                lang="en",
                branding=brand,
            )
            t_deck += time.perf_counter() - t
            counts.append(_slide_counts(out / d.name / "deck.pptx"))
        n = len(slice_dirs)
        print(f"{n} slices")
        print(f"slides.html  {t_slides:6.2f} s  ({t_slides / n:.2f} s/slice)")
        print(f"deck.pptx    {t_deck:6.2f} s  ({t_deck / n:.2f} s/slice)")
        main = [m for m, _ in counts]
        print(
            f"deck.pptx    slides before the appendix {min(main)}-{max(main)}, "
            f"in all {min(a for _, a in counts)}-{max(a for _, a in counts)}"
        )
        reports = [
            (d / "report.html", out / d.name / "report.pdf")
            for d in slice_dirs
            if (d / "report.html").exists()
        ]
        if not reports:
            print("report.pdf   no report.html to print")
            return
        t = time.perf_counter()
        why = pdf.print_pdf(*reports[0])
        one = time.perf_counter() - t
        if why:
            print(f"report.pdf   {why}")
            return
        t = time.perf_counter()
        why = pdf.print_pdfs(reports)
        batch = time.perf_counter() - t
        print(f"report.pdf   {one:6.2f} s for one slice (browser start included)")
        print(
            f"report.pdf   {batch:6.2f} s for {len(reports)} slices with one browser "
            f"({batch / len(reports):.2f} s/slice)" + (f"  [{why}]" if why else "")
        )
        pages = [_pdf_pages(p) for _, p in reports if p.exists()]
        if pages and all(x is not None for x in pages):
            print(f"report.pdf   {min(pages)}-{max(pages)} pages")


def _slide_counts(path: Path) -> tuple[int, int]:
    """(slides before the appendix, slides in all) of a deck."""
    from pptx import Presentation

    from clientbook.present.i18n import t

    titles = [
        s.shapes.title.text_frame.text if s.shapes.title else ""
        for s in Presentation(str(path)).slides
    ]
    appendix = t("deck.appendix", "en")
    return (titles.index(appendix) if appendix in titles else len(titles)), len(titles)


def _pdf_pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(str(path)).pages)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("outputs/demo"))
