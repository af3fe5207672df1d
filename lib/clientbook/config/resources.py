"""Where the product's files are: playbooks, templates, slide assets, the demo audits, the
sample cache.

An installed wheel carries `playbooks/`, `templates/` and the demo audits inside the package
(`clientbook/_resources/`, copied there by setup.py's build step); a source checkout or an
editable install has no `_resources/` and uses the repository's own top-level folders, so an
edit there is seen at once. Both are found through `importlib.resources`, never through the
current directory.

The sample client's cache lives outside the checkout, keyed on the package version, the
code that builds it and the seed (`sample_cache_dir`); entries are written under a temporary
name and renamed when complete, so a half-written or stale entry is never used.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path

from clientbook import __version__

BUNDLED = "_resources"  # the folder inside the installed package


class ResourceError(RuntimeError):
    """A resource the package needs is missing (a broken install)."""


def _package_dir() -> Path:
    root = resources.files("clientbook")
    if not isinstance(root, Path):  # e.g. imported from a zip: nbconvert needs real folders
        raise ResourceError(f"clientbook is not installed as plain files ({root}); reinstall it")
    return root


@cache
def resources_root() -> Path:
    """The folder holding `playbooks/`, `templates/` and `audits/`: the bundled copy in an
    installed wheel, else the repository (source checkout, editable install)."""
    pkg = _package_dir()
    bundled = pkg / BUNDLED
    if (bundled / "playbooks").is_dir():
        return bundled
    repo = pkg.parents[1]  # <repo>/lib/clientbook
    if (repo / "playbooks").is_dir() and (repo / "templates").is_dir():
        return repo
    raise ResourceError(
        f"clientbook's playbooks and templates are missing: neither {bundled} nor {repo} holds "
        "them; install the package from a wheel built by `pip wheel .` or from a checkout"
    )


def playbooks_dir() -> Path:
    """The playbooks (`NN_<step>.ipynb`), in step order by name."""
    return resources_root() / "playbooks"


def templates_dir() -> Path:
    """The nbconvert/Jinja templates (`clientbook_report`, `clientbook_slides`, ...)."""
    return resources_root() / "templates"


def assets_dir() -> Path:
    """reveal.js and require.js, vendored so the slides work offline."""
    return _package_dir() / "deliver" / "assets"


DEMO_AUDITS = {"en": "demo.yaml", "zh": "demo-zh.yaml"}


def demo_audit(lang: str = "en") -> Path:
    """The sample client's audit file (`audits/demo.yaml`, `audits/demo-zh.yaml`)."""
    if lang not in DEMO_AUDITS:
        raise ValueError(f"lang must be one of {sorted(DEMO_AUDITS)}, got {lang!r}")
    return resources_root() / "audits" / DEMO_AUDITS[lang]


# ---- the sample cache -------------------------------------------------------------------


def cache_root() -> Path:
    """`$CLIENTBOOK_CACHE`, else `$XDG_CACHE_HOME/clientbook`, else `~/.cache/clientbook`."""
    if env := os.environ.get("CLIENTBOOK_CACHE"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "clientbook"


@cache
def code_fingerprint() -> str:
    """8 hex digits over the modules that generate and build the sample (data/, config/) and
    the demo audits: in a checkout the version stays the same while that code changes."""
    h = hashlib.sha256()
    pkg = _package_dir()
    files = sorted([*(pkg / "data").glob("*.py"), *(pkg / "config").glob("*.py")])
    files += [demo_audit(lang) for lang in sorted(DEMO_AUDITS)]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:8]


def sample_cache_dir(seed: int = 7, customers: int = 3000, lang: str = "en") -> Path:
    """The cache entry of one sample client:
    `<cache_root>/sample-<version>-seed<seed>[-n<customers>][-<lang>]-<code fingerprint>`."""
    name = f"sample-{__version__}-seed{seed}"
    if customers != 3000:
        name += f"-n{customers}"
    if lang != "en":
        name += f"-{lang}"
    return cache_root() / f"{name}-{code_fingerprint()}"
