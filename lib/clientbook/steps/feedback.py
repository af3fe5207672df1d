"""Feedback themes from free-text survey comments, in Chinese and English.

Tokenizing: Chinese runs of text go through jieba (its own tokenizer instance, with the theme
and complaint words added to its dictionary so that e.g. 性价比 stays one word); other text is
lower-cased and split into words. Stop words (shipped in ``steps/lexicon/stopwords_*.txt``)
and numbers are dropped.

Themes: a comment is about a theme when one of its words is in the theme's word list
(``clientbook/steps/lexicon/feedback_themes.yaml``: delivery, price, quality, service, product,
ordering, returns). A comment can have several themes. Themes are compared between detractors
and promoters: the share of each group's comments that mention the theme.

Complaints: a comment is a complaint when it contains a complaint cue word of the comment's
own language (``steps/lexicon/complaint_cues.yaml``: Chinese cues when the comment holds
Chinese characters, English cues otherwise; the report's language plays no part); a cue right
after a negation ("not bad", "没有任何破损") does not count. Complaint rate = complaints /
responses with a comment (Wilson interval).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd
import yaml

from clientbook.steps.satisfaction import nps_group, wilson

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NEGATIONS = {
    "not", "no", "nothing", "never", "isn't", "wasn't", "don't", "didn't", "doesn't", "wasnt",
    "没有", "没", "无", "不", "未", "并不", "从不", "毫无",
}  # fmt: skip
VOICES = ("detractor", "passive", "promoter")


def _data(name: str) -> str:
    return files("clientbook.steps").joinpath("lexicon", name).read_text(encoding="utf-8")


@cache
def theme_words() -> dict[str, dict[str, frozenset[str]]]:
    """{theme: {"en": words, "zh": words}}; English words also match their plural."""
    raw = yaml.safe_load(_data("feedback_themes.yaml"))
    out = {}
    for theme, langs in raw.items():
        en = {str(w).lower() for w in langs.get("en", [])}
        en |= {w + "s" for w in en} | {w + "es" for w in en}
        out[str(theme)] = {"en": frozenset(en), "zh": frozenset(map(str, langs.get("zh", [])))}
    return out


def themes() -> list[str]:
    """Theme keys in catalogue order (message key: satisfaction.theme.<key>)."""
    return list(theme_words())


@cache
def _cues() -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(_data("complaint_cues.yaml"))
    return {lang: frozenset(map(str, raw.get(lang, []))) for lang in ("en", "zh")}


@cache
def stop_words() -> frozenset[str]:
    words = _data("stopwords_en.txt").split() + _data("stopwords_zh.txt").split()
    return frozenset(words)


def _lexicon_zh() -> set[str]:
    return {w for t in theme_words().values() for w in t["zh"]} | set(_cues()["zh"])


@cache
def _jieba() -> Any:
    """A private jieba tokenizer that knows the theme and cue words (loaded once, ~0.6 s).

    Without jieba installed, a forward maximum match over the theme, cue and stop words
    stands in (themes still work; free words come out as single characters)."""
    try:
        import jieba
    except ImportError:
        common = {"不错", "任何", "没问题", "满意", "不满意"}
        return _MaxMatch(_lexicon_zh() | common | {w for w in stop_words() if _CJK.match(w)})
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter in reports
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in sorted(_lexicon_zh()):
        if len(w) > 1:
            tk.add_word(w, freq=tk.suggest_freq(w, tune=False) + 1000)
    return tk


class _MaxMatch:
    """Longest dictionary word first, else one character (the fallback tokenizer)."""

    def __init__(self, words: set[str]) -> None:
        self.words = words
        self.longest = max((len(w) for w in words), default=1)

    def lcut(self, text: str) -> list[str]:
        out, i = [], 0
        while i < len(text):
            for n in range(min(self.longest, len(text) - i), 0, -1):
                if n == 1 or text[i : i + n] in self.words:
                    out.append(text[i : i + n])
                    i += n
                    break
        return out


def _raw_tokens(text: str) -> list[str]:
    """All words of `text` in order, stop words included (Chinese via jieba)."""
    out: list[str] = []
    pos = 0
    text = text.lower()
    for m in _CJK.finditer(text):
        out.extend(_EN_WORD.findall(text[pos : m.start()]))
        out.extend(w for w in _jieba().lcut(m.group()) if w.strip())
        pos = m.end()
    out.extend(_EN_WORD.findall(text[pos:]))
    return out


def tokenize(text: str | None) -> list[str]:
    """Content words of a comment: jieba for Chinese, words for English, stop words dropped."""
    if text is None or pd.isna(text):
        return []
    stops = stop_words()
    return [w for w in _raw_tokens(str(text)) if w not in stops and not w.isdigit()]


def _zh_hit(word: str, lexicon: frozenset[str]) -> bool:
    """A Chinese word matches a lexicon word it equals or, for words of 2+ characters, holds
    (jieba may keep 产品质量 whole; it is still about 质量). Single characters must match
    exactly: 错 is a complaint, 不错 is praise."""
    return word in lexicon or any(len(w) > 1 and w in word for w in lexicon)


def themes_of(text: str | None) -> list[str]:
    """The themes a comment is about, in catalogue order."""
    words = set(tokenize(text))
    zh = [w for w in words if _CJK.match(w)]
    return [
        theme
        for theme, lex in theme_words().items()
        if words & lex["en"] or any(_zh_hit(w, lex["zh"]) for w in zh)
    ]


def comment_language(text: str) -> str:
    """ "zh" when the comment holds Chinese characters, else "en": the comment's own language,
    never the report's, decides which cue list applies."""
    return "zh" if _CJK.search(str(text)) else "en"


def is_complaint(text: str | None) -> bool:
    """True when the comment holds a complaint cue word of its own language (Chinese cues for
    a comment with Chinese characters, English cues otherwise) that no negation in the two
    words before it cancels ("not bad", "没有任何破损"). The report's language plays no part,
    so an English and a Chinese run of the same data count the same complaints."""
    if text is None or pd.isna(text):
        return False
    cues = _cues()
    words = _raw_tokens(str(text))
    zh = comment_language(str(text)) == "zh"
    for i, w in enumerate(words):
        if zh:
            cue = _CJK.match(w) is not None and _zh_hit(w, cues["zh"])
        else:
            cue = w in cues["en"]
        if cue and not _NEGATIONS & set(words[max(0, i - 2) : i]):
            return True
    return False


def voice(surveys: pd.DataFrame) -> pd.Series:
    """'detractor' / 'passive' / 'promoter' per response.

    From the NPS answer (0-6 / 7-8 / 9-10); when a response has no NPS answer, from CSAT
    (1-2 / 3 / 4-5), so post-service surveys that only ask CSAT still count.
    """
    out = pd.Series(pd.NA, index=surveys.index, dtype="string")
    if "nps_score" in surveys:
        out = nps_group(surveys["nps_score"])
    if "csat_score" in surveys:
        c = pd.to_numeric(surveys["csat_score"], errors="coerce")
        from_csat = pd.Series(pd.NA, index=surveys.index, dtype="string")
        from_csat[c >= 4] = "promoter"
        from_csat[c == 3] = "passive"
        from_csat[c <= 2] = "detractor"
        out = out.fillna(from_csat)
    return out


def _commented(surveys: pd.DataFrame) -> pd.DataFrame:
    if "comment" not in surveys:
        return surveys.iloc[0:0].assign(comment=pd.Series(dtype="string"))
    c = surveys["comment"].astype("string").str.strip()
    return surveys.assign(comment=c)[c.notna() & (c != "")]


def comment_themes(surveys: pd.DataFrame) -> pd.DataFrame:
    """One row per commented response: response_id, voice, comment, themes (list), complaint."""
    c = _commented(surveys)
    out = pd.DataFrame(
        {
            "response_id": c["response_id"].astype("string") if "response_id" in c else c.index,
            "voice": voice(c),
            "comment": c["comment"],
            "themes": [themes_of(x) for x in c["comment"]],
            "complaint": [is_complaint(x) for x in c["comment"]],
        }
    )
    if "survey_date" in c:
        out["survey_date"] = c["survey_date"].to_numpy()
    return out.reset_index(drop=True)


def _shorten(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def theme_table(surveys: pd.DataFrame, examples: int = 1, max_chars: int = 120) -> pd.DataFrame:
    """Themes among detractors vs promoters, with example comments.

    Columns: theme, mentions (commented responses naming it), detractors, passives, promoters
    (share of that group's commented responses naming it), gap (detractors - promoters: the
    larger, the more the theme drives detraction), detractor_example, promoter_example
    (`examples` comments of each, joined by ' | ': those naming the fewest themes, newest
    first). Themes nobody named are left
    out; sorted by gap, then mentions.
    """
    ct = comment_themes(surveys)
    # examples: comments about fewer themes first (they speak to this one), then the newest
    ct = ct.assign(_focus=ct["themes"].map(len))
    keys = ["_focus", "survey_date"] if "survey_date" in ct else ["_focus"]
    ct = ct.sort_values(keys, ascending=[True, False][: len(keys)], kind="stable")
    group_size = ct["voice"].value_counts()
    rows = []
    for theme in themes():
        hit = ct[[theme in ts for ts in ct["themes"]]]
        if hit.empty:
            continue
        counts = hit["voice"].value_counts()
        share = {
            v: counts.get(v, 0) / group_size[v] if group_size.get(v, 0) else float("nan")
            for v in VOICES
        }

        def quotes(v: str, hit: pd.DataFrame = hit) -> str:
            picked = hit.loc[hit["voice"] == v, "comment"].head(examples)
            return " | ".join(_shorten(str(x), max_chars) for x in picked)

        rows.append(
            {
                "theme": theme,
                "mentions": len(hit),
                "detractors": share["detractor"],
                "passives": share["passive"],
                "promoters": share["promoter"],
                "gap": share["detractor"] - share["promoter"],
                "detractor_example": quotes("detractor"),
                "promoter_example": quotes("promoter"),
            }
        )
    cols = [
        "theme", "mentions", "detractors", "passives", "promoters", "gap",
        "detractor_example", "promoter_example",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(
        ["gap", "mentions", "theme"],
        ascending=[False, False, True],
        na_position="last",
        ignore_index=True,
    )


def _themed(word: str) -> bool:
    return any(
        word in lex["en"] or (_CJK.match(word) is not None and _zh_hit(word, lex["zh"]))
        for lex in theme_words().values()
    )


def top_terms(
    surveys: pd.DataFrame, voice_: str | None = None, n: int = 15, unthemed: bool = False
) -> pd.DataFrame:
    """Most frequent content words (term, responses using it), optionally for one voice.

    Counts each word once per comment, so one long rant does not dominate. `unthemed` keeps
    only words no theme list knows: candidates for new themes.
    """
    c = _commented(surveys)
    if voice_ is not None:
        c = c[voice(c) == voice_]
    counter: Counter[str] = Counter()
    for text in c["comment"]:
        counter.update({w for w in tokenize(text) if len(w) > 1 and not (unthemed and _themed(w))})
    return pd.DataFrame(counter.most_common(n), columns=["term", "responses"])


@dataclass(frozen=True)
class ComplaintRate:
    complaints: int
    comments: int
    rate: float
    low: float
    high: float


def complaint_rate(surveys: pd.DataFrame, confidence: float = 0.95) -> ComplaintRate:
    """Share of commented responses that are complaints, with a Wilson interval."""
    c = _commented(surveys)
    k = sum(is_complaint(x) for x in c["comment"])
    n = len(c)
    low, high = wilson(k, n, confidence)
    return ComplaintRate(k, n, k / n if n else float("nan"), low, high)
