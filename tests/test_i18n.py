"""The report language is per thread (and per context), never one global for the process."""

import threading

from clientbook.present import i18n
from clientbook.present.i18n import t

KEY = "classification.segment.champions"


def test_explicit_language_wins_and_none_means_current():
    assert t(KEY, "zh") != t(KEY, "en")
    with i18n.language("zh"):
        assert t(KEY) == t(KEY, None) == t(KEY, "zh")
        assert t(KEY, "en") == i18n.catalogue("en")[KEY]
    assert i18n.current() == "en"


def test_two_threads_rendering_en_and_zh_each_keep_their_language():
    barrier = threading.Barrier(2)
    seen: dict[str, list[str]] = {"en": [], "zh": []}

    def render(lang: str) -> None:
        i18n.use(lang)
        for _ in range(200):
            barrier.wait()  # both threads have set their language before either reads
            seen[lang].append(t(KEY))

    threads = [threading.Thread(target=render, args=(lang,)) for lang in ("en", "zh")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert set(seen["en"]) == {i18n.catalogue("en")[KEY]}
    assert set(seen["zh"]) == {i18n.catalogue("zh")[KEY]}
    assert i18n.current() == "en"  # neither thread changed the main thread's language


def test_a_new_thread_starts_in_the_default_language():
    out = []
    with i18n.language("zh"):
        th = threading.Thread(target=lambda: out.append(i18n.current()))
        th.start()
        th.join()
    assert out == ["en"]
