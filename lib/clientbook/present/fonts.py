"""CJK font registration for Chinese charts.

Order of preference:
1. a CJK font the machine already has (macOS PingFang / Hiragino, Windows Microsoft YaHei /
   SimHei, Linux Noto Sans CJK / WenQuanYi from `fonts-noto-cjk` or `fonts-wqy-microhei`);
2. the Noto Sans CJK SC that the PyPI wheel `mplfonts` ships (works on a machine that only
   has Python + pip, which is all `make demo` can count on).

Every font is registered with ``fontManager.addfont`` explicitly: matplotlib's font cache is
built once and does not see fonts installed after it was built (an `apt-get install` of
fonts-wqy-microhei after the first matplotlib import is invisible otherwise).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager, ft2font

# A character every CJK font has and no Latin font has: the probe for "can this face draw Chinese".
_PROBE = ("中", "客", "户")

# Family names in order of preference (Simplified Chinese faces first).
FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)

# Where the usual system CJK fonts live, for when matplotlib's cache predates their install.
SYSTEM_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

# File-name fragments that mark a CJK font in a system font folder we scan.
_NAME_HINTS = ("cjk", "wqy", "pingfang", "hiragino", "msyh", "simhei", "heiti", "sourcehansans")


@dataclass(frozen=True)
class CJKFont:
    family: str  # the name to put first in font.sans-serif
    path: str  # the file it came from
    source: str  # "system" or "mplfonts"


def _faces_with_cjk(path: str) -> list[str]:
    """Family names of the faces in `path` that can draw Chinese (empty if none or unreadable)."""
    try:
        first = ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return []
    names = []
    for i in range(first.num_faces):
        face = first if i == 0 else ft2font.FT2Font(path, face_index=i)
        if all(face.get_char_index(ord(c)) for c in _PROBE):
            names.append(face.family_name)
    return names


def _pick(names: list[str]) -> str | None:
    """The preferred family among `names` (a known one first, else any)."""
    for fam in FAMILIES:
        if fam in names:
            return fam
    return names[0] if names else None


def _system_candidates() -> list[str]:
    """CJK font files on this machine: known locations, then a scan of the font folders."""
    found = [p for p in SYSTEM_FILES if os.path.exists(p)]
    # Files matplotlib's cache already knows with a CJK family name.
    known = {e.fname for e in font_manager.fontManager.ttflist if e.name in FAMILIES}
    found += sorted(known - {mplfonts_file()})
    # Fonts installed after the cache was built (matplotlib never rescans on its own).
    for p in font_manager.findSystemFonts():
        if any(h in Path(p).name.lower().replace(" ", "") for h in _NAME_HINTS):
            found.append(p)
    return list(dict.fromkeys(found))


def mplfonts_file() -> str | None:
    """The Noto Sans CJK SC file shipped by the `mplfonts` wheel, without importing it."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    f = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NotoSansCJKsc-Regular.otf"
    return str(f) if f.exists() else None


def find_cjk_font(use_system: bool = True) -> CJKFont | None:
    """Find a CJK font (system first, then mplfonts) and register it with matplotlib."""
    return _search(bool(use_system))


@cache  # one search per process: it reads font files
def _search(use_system: bool) -> CJKFont | None:
    candidates: list[tuple[str, str]] = []
    if use_system:
        candidates += [(p, "system") for p in _system_candidates()]
    bundled = mplfonts_file()
    if bundled:
        candidates.append((bundled, "mplfonts"))
    best: tuple[int, CJKFont] | None = None
    for path, source in candidates:
        fam = _pick(_faces_with_cjk(path))
        if fam is None:
            continue
        rank = FAMILIES.index(fam) if fam in FAMILIES else len(FAMILIES)
        if source == "mplfonts":
            rank += 100  # only when the machine has nothing of its own
        if best is None or rank < best[0]:
            best = (rank, CJKFont(fam, path, source))
    if best is None:
        return None
    font = best[1]
    fm = font_manager.fontManager
    fm.addfont(font.path)
    # These fonts ship one weight; chart titles are bold. Map bold onto the same file so
    # matplotlib does not log "Failed to find font weight bold" into every notebook.
    regular = [e for e in fm.ttflist if e.fname == font.path and e.name == font.family]
    if regular and not any(e.weight in (700, "bold") for e in regular):
        fm.ttflist.append(dataclasses.replace(regular[0], weight=700))
        fm._findfont_cached.cache_clear()
    return font


def use_cjk_font(use_system: bool = True) -> str | None:
    """Register and select a CJK font with matplotlib; return its family name or None.

    Called by `style.apply("zh")` after every rcdefaults(), so it sets rcParams each time;
    the search itself runs once per process.
    """
    font = find_cjk_font(use_system)
    if font is None:
        print(
            "clientbook: no CJK font found; Chinese chart text will show as boxes. "
            "Install one: `pip install mplfonts` or `apt-get install fonts-wqy-microhei`.",
            file=sys.stderr,
        )
        return None
    rc = matplotlib.rcParams
    rc["font.family"] = "sans-serif"
    rc["font.sans-serif"] = [font.family] + [f for f in rc["font.sans-serif"] if f != font.family]
    # The CJK fonts lack U+2212 (the typographic minus); use the ASCII hyphen instead.
    rc["axes.unicode_minus"] = False
    return font.family
