"""Statistical charts drawn with seaborn under the house theme: heatmaps annotate what they
should (and stop annotating large matrices), distributions count what they should."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from clientbook.present import i18n, style  # noqa: E402
from clientbook.steps import churn, retention  # noqa: E402
from clientbook.steps import satisfaction as sat  # noqa: E402
from clientbook.steps import service as svc  # noqa: E402


@pytest.fixture(autouse=True)
def theme():
    i18n.use("en")
    style.apply("en", currency="USD")
    yield
    plt.close("all")
    i18n.use("en")
    style.apply("en")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_apply_sets_seaborn_theme_with_house_palette():
    import seaborn as sns

    assert sns.color_palette()[0] == matplotlib.colors.to_rgb(style.PALETTE[0])
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert style.money(1_234_567) == "$1.2M"
    style.apply("zh", currency="CNY")
    assert style.money(123_456) == "¥12.3万" and style.pct(0.125, 1) == "12.5%"


def test_cohort_heatmap_annotates_every_known_cell():
    rate = pd.DataFrame(
        [[1.0, 0.5, 0.25], [1.0, 0.4, np.nan]], index=["2025-01", "2025-02"], columns=[0, 1, 2]
    )
    c = retention.Cohorts("month", pd.Series([8, 10], index=rate.index), rate * 8, rate)
    fig = retention.cohort_chart(c)
    ax = fig.axes[0]
    assert sorted(_texts(ax)) == sorted(["100", "50", "25", "100", "40"])  # NaN: no text
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2025-01 (8)", "2025-02 (10)"]


def test_large_matrices_are_not_annotated():
    n = int(np.sqrt(style.MAX_ANNOTATED_CELLS)) + 2
    rate = pd.DataFrame(np.full((n, n), 0.5), index=[f"c{i}" for i in range(n)])
    c = retention.Cohorts("month", pd.Series(5, index=rate.index), rate, rate)
    fig = retention.cohort_chart(c, max_periods=n, max_cohorts=n)
    assert _texts(fig.axes[0]) == []


def test_migration_heatmap_writes_counts_not_zeros():
    counts = pd.DataFrame([[3, 0], [1, 4]], index=["A", "B"], columns=["A", "B"])
    m = retention.Migration(counts, counts * 10.0, pd.DataFrame())
    ax = retention.migration_chart(m).axes[0]
    assert sorted(t for t in _texts(ax) if t) == ["1", "3", "4"]


def test_nps_chart_counts_answers_per_score():
    scores = pd.Series([0, 6, 6, 7, 9, 10, 10, 10, None])
    ax = sat.nps_chart(pd.DataFrame({"nps_score": scores})).axes[0]
    heights = {}
    for p in ax.patches:
        if p.get_height() > 0:
            heights[round(p.get_x() + p.get_width() / 2)] = p.get_height()
    assert heights == {0: 1, 6: 2, 7: 1, 9: 1, 10: 3}


def test_risk_chart_counts_customers_and_marks_the_threshold():
    risk = pd.DataFrame({"risk": [0.01, 0.02, 0.5, 0.97, 1.0]})
    ax = churn.risk_chart(risk, 0.5).axes[0]
    assert sum(p.get_height() for p in ax.patches) == 5
    assert any(list(line.get_xdata()) == [0.5, 0.5] for line in ax.lines)


def test_ticket_time_boxes_per_translated_channel():
    i18n.use("zh")
    opened = pd.Timestamp("2025-01-01")
    t = pd.DataFrame(
        {
            "ticket_id": list("abcd"),
            "channel": ["chat", "chat", "email", "email"],
            "opened_at": [opened] * 4,
            "first_response_at": [opened + pd.Timedelta(minutes=m) for m in (5, 10, 120, 240)],
            "resolved_at": [opened + pd.Timedelta(hours=h) for h in (2, 3, 20, 30)],
        }
    )
    ax = svc.time_chart(t, opened + pd.Timedelta(days=5)).axes[0]
    assert sorted(x.get_text() for x in ax.get_yticklabels()) == sorted(["在线客服", "邮件"])


def test_clv_distribution_counts_customers_and_labels_money():
    from types import SimpleNamespace

    from clientbook.steps import value

    clv = [0.2, 5.0, 50.0, 500.0, 5000.0, 6000.0]  # 0.2: below one unit, not drawn
    pv = SimpleNamespace(
        customers=pd.DataFrame({"clv": clv, "p_alive": [0.1, 0.5, 0.6, 0.9, 0.95, 0.99]})
    )
    fig = value.distribution_chart(pv)
    left, right = fig.axes
    assert sum(p.get_height() for p in left.patches) == 5
    assert left.get_xscale() == "log"  # spans three orders of magnitude
    fig.canvas.draw()
    labels = [t.get_text() for t in left.get_xticklabels() if t.get_text()]
    assert "$1.0k" in labels and "$100" in labels
    line = right.lines[0]
    assert max(line.get_ydata()) == 1.0  # the ECDF reaches every customer
