"""report.pdf by printing report.html in headless Chromium.

Playwright drives the machine's own Chromium (Debian's `chromium` package) through
`executable_path`: `playwright install` downloads a browser build, which this network (and many
client networks) does not allow. No Chromium, no PDF: the run says why and goes on. The page is
printed with JavaScript disabled and a content security policy (`CSP`) that allows no script:
a report holds client data, and nothing in it may run while it prints.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Where a system Chromium / Chrome usually is; CLIENTBOOK_CHROMIUM overrides.
CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "C:/Program Files/Google/Chrome/Application/chrome.exe",
    "C:/Program Files (x86)/Microsoft/Edge/Application/msedge.exe",
)
# Without the background-networking flags Chromium keeps calling home, which a closed
# network refuses (noisy and slow); no sandbox because CI runs as root.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "install Debian's `chromium` package (apt-get install chromium) or set CLIENTBOOK_CHROMIUM"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Chromium fills `title` (the report's <title>: client and slice, escaped by Chromium itself)
# and the page numbers; the template is ours, no client text is pasted into it.
FOOTER = (
    '<div style="font-size:7.5px;width:100%;margin:0 12mm;display:flex;'
    'justify-content:space-between;color:#777;font-family:sans-serif">'
    '<span class="title"></span>'
    '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)


def find_chromium() -> str | None:
    """The Chromium (or Chrome/Edge) executable to print with, or None."""
    env = os.environ.get("CLIENTBOOK_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return next((c for c in CANDIDATES if Path(c).is_file()), None)


def has_cjk_system_font() -> bool | None:
    """Whether fontconfig knows a Chinese font (None where there is no fontconfig: macOS and
    Windows always have one)."""
    if shutil.which("fc-list") is None:
        return None
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


def fontconfig_env(workdir: Path) -> dict[str, str]:
    """Environment for Chromium that adds the pip-installed Noto Sans CJK (mplfonts) to the
    system fonts when the system has no Chinese font, so Chinese PDFs never print as boxes.
    Empty when nothing needs adding."""
    from clientbook.present.fonts import mplfonts_file

    bundled = mplfonts_file()
    if bundled is None or has_cjk_system_font() is not False:
        return {}
    conf = workdir / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{Path(bundled).parent}</dir>\n  <cachedir>{workdir / 'cache'}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


# The report is printed with JavaScript off and under this policy: no script runs, whatever
# the client's data holds, and nothing but local files and inlined images, styles and fonts load.
CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; img-src data: file:; style-src 'unsafe-inline' file:; "
    "font-src data: file:"
)


def pdf_options() -> dict[str, object]:
    """How report.html is printed: A4 with the report's own @page rules (landscape pages for
    wide tables), client, slice and page numbers in the footer, bookmarks from the headings
    (`outline`, needs `tagged`)."""
    return {
        "format": "A4",
        "prefer_css_page_size": True,
        "print_background": True,
        "display_header_footer": True,
        "header_template": "<div></div>",
        "footer_template": FOOTER,
        "outline": True,
        "tagged": True,
        "margin": {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
    }


def _offline_only(route) -> None:  # type: ignore[no-untyped-def]
    # A report is self-contained: anything that is not a local file is a bug, never fetched.
    url = route.request.url
    if url.startswith(("file:", "data:", "about:")):
        route.continue_()
    else:
        route.abort()


def _guarded(html_path: Path):  # type: ignore[no-untyped-def]
    """A route handler that serves `html_path` itself with the CSP header, and the rest as
    `_offline_only` does."""
    uri = html_path.resolve().as_uri()

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url == uri:
            route.fulfill(
                status=200,
                body=html_path.read_bytes(),
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": CSP},
            )
        else:
            _offline_only(route)

    return handle


def print_pdfs(jobs: list[tuple[Path, Path]]) -> str | None:
    """Print every (html_path, pdf_path) with one browser. None when all printed, else why not.

    Runs in its own thread: playwright's sync API refuses to start in a thread that already
    has an asyncio loop (a Jupyter kernel, or any async caller).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdfs, jobs).result()


def _print_pdfs(jobs: list[tuple[Path, Path]]) -> str | None:
    if not jobs:
        return None
    exe = find_chromium()
    if exe is None:
        return f"PDF skipped: Chromium was not found; {INSTALL_HINT}."
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "PDF skipped: the Python package `playwright` is not installed (pip install it)."
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            env = fontconfig_env(Path(tmp)) or None
            browser = p.chromium.launch(
                executable_path=exe, args=LAUNCH_ARGS, headless=True, env=env
            )
            try:
                page = browser.new_page(java_script_enabled=False)
                for html_path, pdf_path in jobs:
                    html_path, pdf_path = Path(html_path), Path(pdf_path)
                    pdf_path.parent.mkdir(parents=True, exist_ok=True)
                    page.unroute("**/*")
                    page.route("**/*", _guarded(html_path))
                    page.goto(html_path.resolve().as_uri(), wait_until="load")
                    page.emulate_media(media="print")
                    page.pdf(path=str(pdf_path), **pdf_options())
                    if (
                        env is None
                        and has_cjk_system_font() is False
                        and _CJK.search(html_path.read_text(encoding="utf-8", errors="ignore"))
                    ):
                        print(
                            f"clientbook: {pdf_path} has Chinese text but the system has no "
                            "Chinese font for Chromium; pip install mplfonts or "
                            "apt-get install fonts-wqy-microhei.",
                            file=sys.stderr,
                        )
            finally:
                browser.close()
    except Exception as e:  # whatever the browser did, the rest of the run goes on
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"PDF skipped: Chromium ({exe}) could not print: {first}"
    return None


def print_pdf(html_path: Path, pdf_path: Path) -> str | None:
    """Print report.html to report.pdf. None on success, else a human-readable reason it was
    skipped (never raises: a missing browser must not fail the run)."""
    return print_pdfs([(Path(html_path), Path(pdf_path))])
