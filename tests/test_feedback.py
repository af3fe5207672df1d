import pandas as pd
import pytest

from clientbook.steps import feedback as fb


def test_chinese_tokenization_and_themes():
    words = fb.tokenize("物流太慢了，快递三天才到")
    assert "物流" in words and "快递" in words
    assert "了" not in words  # stop word
    assert fb.themes_of("物流太慢了，快递三天才到") == ["delivery"]
    assert fb.tokenize("性价比高，做工不错")[:1] == ["性价比"]  # kept whole via the theme list
    assert fb.themes_of("性价比高，做工不错") == ["price", "quality"]
    assert fb.themes_of("客服态度很差，打了三次电话才解决") == ["service"]
    assert fb.themes_of("售后退款很慢") == ["service", "returns"]


def test_english_and_mixed_themes():
    assert fb.tokenize("The parcels were LATE!") == ["parcels", "late"]
    assert fb.themes_of("The parcels were LATE!") == ["delivery"]  # plural matches
    assert fb.themes_of("Great value, friendly staff") == ["price", "service"]
    assert fb.themes_of("App 下单 很方便") == ["ordering"]
    assert fb.themes_of(None) == [] and fb.themes_of("") == []


def test_complaints_and_negation():
    assert fb.is_complaint("质量太差")
    assert fb.is_complaint("it was bad")
    assert not fb.is_complaint("not bad at all")
    assert not fb.is_complaint("服务很好")


def _surveys():
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(1, 8)],
            "survey_date": pd.to_datetime(["2025-01-0" + str(i) for i in range(1, 8)]),
            "nps_score": [2, 3, 10, 9, 8, 10, None],
            "csat_score": [None, None, None, None, None, None, 1],
            "comment": pd.Series(
                [
                    "物流太慢了，快递三天才到",
                    "Delivery was late, support never answered",
                    "客服很耐心，服务很好",
                    "Great quality and fast delivery",
                    "价格有点贵",
                    None,
                    "质量太差",
                ],
                dtype="string",
            ),
        }
    )


def test_voice_falls_back_to_csat():
    assert fb.voice(_surveys()).tolist() == [
        "detractor",
        "detractor",
        "promoter",
        "promoter",
        "passive",
        "promoter",
        "detractor",
    ]


def test_theme_table_detractors_vs_promoters():
    # commented: detractors r1 r2 r7 (r7 via CSAT 1), promoters r3 r4, passive r5
    t = fb.theme_table(_surveys()).set_index("theme")
    assert t.loc["delivery", "detractors"] == pytest.approx(2 / 3)  # r1, r2
    assert t.loc["delivery", "promoters"] == pytest.approx(1 / 2)  # r4
    assert t.loc["delivery", "gap"] == pytest.approx(2 / 3 - 1 / 2)
    assert t.loc["delivery", "mentions"] == 3
    assert t.loc["price", "passives"] == 1.0
    assert t.loc["quality", "detractor_example"] == "质量太差"
    assert t.loc["service", "promoter_example"] == "客服很耐心，服务很好"
    assert t.index.tolist() == ["delivery", "price", "quality", "service"]
    assert "returns" not in t.index


def test_complaint_rate():
    # complaints: r1 (太慢), r2 (late), r5 (贵), r7 (太差) of 6 comments
    c = fb.complaint_rate(_surveys())
    assert (c.complaints, c.comments) == (4, 6)
    assert c.rate == pytest.approx(4 / 6)
    # Wilson n=6: centre (0.666667 + 0.320122) / 1.640243 = 0.601611,
    # half = 1.959964 * sqrt(0.037037 + 0.026677) / 1.640243 = 0.301602
    assert c.low == pytest.approx(0.601611 - 0.301602, abs=1e-4)
    assert c.high == pytest.approx(0.601611 + 0.301602, abs=1e-4)


def test_top_terms_counts_each_comment_once():
    s = pd.DataFrame({"nps_score": [0, 1], "comment": ["slow slow slow delivery", "slow app"]})
    t = fb.top_terms(s).set_index("term")
    assert t.loc["slow", "responses"] == 2
    assert t.loc["delivery", "responses"] == 1
    # delivery (a theme word) and app (ordering) drop out; slow is no theme's word
    assert fb.top_terms(s, unthemed=True)["term"].tolist() == ["slow"]


def test_fallback_tokenizer_without_jieba_finds_the_same_themes():
    mm = fb._MaxMatch(fb._lexicon_zh() | {"了"})
    assert mm.lcut("物流太慢了") == ["物流", "太慢", "了"]
    assert mm.lcut("性价比高") == ["性价比", "高"]


def test_complaint_cues_follow_the_comments_own_language_not_the_reports():
    from clientbook.present import i18n

    # a comment with Chinese characters is read with the Chinese cues only, an English one
    # with the English cues only
    assert fb.comment_language("送货太慢") == "zh" and fb.comment_language("too slow") == "en"
    assert fb.is_complaint("送货太慢")
    assert not fb.is_complaint("产品很好，delivery late")  # Chinese comment: 很好 is praise
    assert fb.is_complaint("delivery late")
    comments = pd.DataFrame(
        {
            "comment": [
                "送货太慢",
                "产品很好，delivery late",
                "delivery late",
                "great",
                "没有任何破损",
            ]
        }
    )
    rates = []
    for lang in ("en", "zh"):  # the report's language changes nothing
        i18n.use(lang)
        rates.append(fb.complaint_rate(comments))
    i18n.use("en")
    assert rates[0] == rates[1] and rates[0].complaints == 2 and rates[0].comments == 5
