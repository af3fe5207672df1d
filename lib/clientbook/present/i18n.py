"""One message catalogue for every generated text (headings, segment and KPI names, chart
titles and axes, findings, slide headlines).

The catalogue is split into one YAML file per topic so that each step owns its own file:
``messages/<lang>/<topic>.yaml``; a key is ``<topic>.<nested.key>``, e.g.
``classification.segment.champions``. Chinese falls back to English for a key it lacks, so a
missing translation shows English rather than breaking a report; a key missing in English is
an error (tests catch it).

The language of a `t` call without an explicit `lang` is a context variable: `use(lang)` sets
it for the current thread (and context), `language(lang)` for a `with` block. Report renderers
run in worker threads side by side, one per slice; each thread starts with the default
("en") and sees only the language it set, so an English and a Chinese render never mix.
A thread-local copy backs the context variable up for notebook kernels that run each cell in
a fresh context (ipykernel 7.0): the cells of one kernel run in one thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGS = ("en", "zh")
_DIR = Path(__file__).parent / "messages"
DEFAULT_LANG = "en"
_lang: ContextVar[str | None] = ContextVar("clientbook_lang", default=None)
_thread = threading.local()


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = str(node)


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    out: dict[str, str] = {}
    for f in sorted((_DIR / lang).glob("*.yaml")):
        _flatten(f.stem, yaml.safe_load(f.read_text(encoding="utf-8")) or {}, out)
    return out


def use(lang: str) -> None:
    """Set the language of this thread's `t` calls without an explicit lang (a playbook does
    this once, in `playbook.start`; a renderer once per slice, in its own thread)."""
    catalogue(lang)
    _lang.set(lang)
    _thread.lang = lang


@contextmanager
def language(lang: str) -> Iterator[str]:
    """`with language("zh"): ...`: the block's `t` calls default to `lang`; restored after."""
    catalogue(lang)
    before = getattr(_thread, "lang", None)
    token = _lang.set(lang)
    _thread.lang = lang
    try:
        yield lang
    finally:
        _lang.reset(token)
        _thread.lang = before


def current() -> str:
    """The language `t` uses when it is not given one (this thread's, "en" by default)."""
    return _lang.get() or getattr(_thread, "lang", None) or DEFAULT_LANG


def t(key: str, lang: str | None = None, /, **fields: Any) -> str:
    """The text for `key` in `lang` (default: `current()`), formatted with fields."""
    lang = lang or current()
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue("en").get(key)
    if text is None:
        raise KeyError(f"message {key!r} is not in the catalogue (lib/clientbook/messages/en/)")
    return text.format(**fields) if fields else text


def has(key: str, lang: str = "en") -> bool:
    return key in catalogue(lang)


# ---- data values of a known vocabulary --------------------------------------------------


def value_label(kind: str, value: Any, lang: str | None = None) -> str:
    """A data value shown to a reader, in the reader's language, when it belongs to a known
    vocabulary: ticket channels and categories, funnel stages, lead statuses, priorities and
    the `Unknown` default (``values.<kind>.<value>``, then ``values.common.<value>``, matched
    lower-case). Any other value is the client's own word and stays as the client wrote it."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    for k in (f"values.{kind}.{key}", f"values.common.{key}"):
        if k in catalogue("en"):
            return t(k, lang) if lang else t(k)
    return text


def value_labels(df: Any, columns: dict[str, str], lang: str | None = None) -> Any:
    """A copy of a DataFrame with the named columns' values through `value_label`
    ({column: kind}); columns it lacks are skipped."""
    out = df.copy()
    for col, kind in columns.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, k=kind: value_label(k, v, lang)).astype(object)
    return out
