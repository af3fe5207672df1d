"""Tie-aware RFM quintiles and the "new" rule as documented (steps/classification.py)."""

import pandas as pd

from clientbook.steps import classification as cls


def test_without_ties_each_score_holds_a_fifth():
    v = pd.Series(range(10), dtype=float)
    assert cls.quintile_score(v).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # lower is better (recency): the smallest values get 5
    assert cls.quintile_score(v, higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_equal_values_share_a_score_whatever_their_id_or_order():
    # six one-order customers, then 2, 3, 5 orders: the six ones tie (average rank 3.5)
    v = pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 5, 1], dtype=float)
    s = cls.quintile_score(v)
    assert s[v == 1].nunique() == 1  # no tie is split
    # 7 ones: average rank 4, percentile (4 - 0.5) / 10 = 0.35 -> score 2
    assert s[v == 1].iloc[0] == 2 and s.tolist()[6:9] == [4, 5, 5]
    # the score does not depend on the row order (customer ids follow signup order)
    shuffled = v.sample(frac=1.0, random_state=1)
    assert cls.quintile_score(shuffled).sort_index().tolist() == s.tolist()


def test_new_is_recent_with_exactly_one_order_as_documented():
    scored = pd.DataFrame({
        "r": [5, 5, 5], "f": [1, 1, 2], "m": [1, 3, 1], "fm": [1, 2, 2],
        "frequency": [1, 1, 2],
    })  # fmt: skip
    seg = cls.assign_segments(scored)
    assert seg.tolist()[:2] == ["new", "new"]
    assert seg.iloc[2] != "new"  # two orders: not new, whatever its F score
    assert "| new                | 5   |     | 1      |" in cls.__doc__
    rule = next(r for r in cls.DEFAULT_RULES if r["segment"] == "new")
    assert rule["f_orders"] == [1, 1] and rule["r"] == [5, 5]
