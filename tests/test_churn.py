"""Churn risk, reasons, the at-risk list and win-back rules on a hand-built book."""

import pandas as pd
import pytest

from clientbook.present.i18n import use
from clientbook.steps import churn

AS_OF = pd.Timestamp("2024-03-01")


def _orders() -> pd.DataFrame:
    rows = [
        # X buys every 10 days, silent 30 days at as_of: 3x the usual interval
        ("X", "2024-01-01", 50.0),
        ("X", "2024-01-11", 50.0),
        ("X", "2024-01-21", 50.0),
        ("X", "2024-01-31", 50.0),
        # Y buys monthly and just bought
        ("Y", "2024-01-01", 20.0),
        ("Y", "2024-02-01", 20.0),
        ("Y", "2024-03-01", 20.0),
        # Z bought once, 60 days ago; the book's usual interval is median(2, 10, 30) = 10 days
        ("Z", "2024-01-01", 80.0),
        # W buys every 2 days but spends half as much lately; 4 days since last = 2x
        ("W", "2024-02-20", 100.0),
        ("W", "2024-02-22", 100.0),
        ("W", "2024-02-24", 50.0),
        ("W", "2024-02-26", 50.0),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    return df.assign(
        order_id=[str(i) for i in range(len(df))], order_date=pd.to_datetime(df["order_date"])
    )


def test_risk_and_reasons_by_hand():
    r = churn.churn_risk(_orders(), AS_OF)
    assert r.loc["X", "usual_interval_days"] == 10 and r.loc["X", "overdue_ratio"] == 3
    assert r.loc["X", "risk"] == 1.0 and r.loc["X", "reasons"] == "overdue"
    assert r.loc["Y", "risk"] == 0.0 and r.loc["Y", "reasons"] == ""
    assert r.loc["Z", "usual_interval_days"] == 10 and r.loc["Z", "overdue_ratio"] == 6
    assert r.loc["Z", "reasons"] == "one_time_lapsed"
    assert r.loc["W", "risk"] == pytest.approx(0.5)  # (2 - 1) / (3 - 1)
    assert r.loc["W", "spend_trend"] == pytest.approx(0.5)
    assert r.loc["W", "reasons"] == "spend_falling"


def test_min_interval_floors_the_rhythm():
    r = churn.churn_risk(_orders(), AS_OF, min_interval_days=14)
    # X's 10-day rhythm becomes 14: 30 days silent = 2.14x, no longer overdue; risk 0.57
    assert r.loc["X", "usual_interval_days"] == 14 and r.loc["X", "reasons"] == ""
    assert r.loc["X", "risk"] == pytest.approx((30 / 14 - 1) / 2)
    assert r.loc["Y", "usual_interval_days"] == 30  # above the floor: unchanged


def test_p_alive_blends_into_risk():
    p_alive = pd.Series({"X": 0.2, "Y": 0.9, "Z": 0.5, "W": 1.0})
    r = churn.churn_risk(_orders(), AS_OF, p_alive=p_alive)
    assert r.loc["X", "risk"] == pytest.approx(0.5 * 0.8 + 0.5 * 1.0)
    assert r.loc["X", "reasons"] == "overdue;low_p_alive"
    assert r.loc["Y", "risk"] == pytest.approx(0.05)


def test_ranked_list_and_default_actions():
    use("en")
    r = churn.churn_risk(_orders(), AS_OF)
    v = pd.Series({"X": 1000.0, "Y": 500.0, "Z": 50.0, "W": 300.0})
    ar = churn.at_risk_high_value(r, v, min_risk=0.5, min_value_percentile=0.0)
    # value at risk: X 1000, W 150, Z 50; Y is not at risk
    assert ar.index.tolist() == ["X", "W", "Z"]
    assert ar["rank"].tolist() == [1, 2, 3]
    wb = churn.win_back_actions(ar)
    assert wb["action_key"].tolist() == [
        "churn.action.personal_call",
        "churn.action.check_in",
        "churn.action.second_purchase",
    ]
    assert wb.loc["X", "reason_text"] == "no purchase for 3.0x the usual interval"
    assert "50%" in wb.loc["W", "reason_text"]
    top = churn.at_risk_high_value(r, v, min_risk=0.5, min_value_percentile=0.75)
    assert top.index.tolist() == ["X"]  # W (300) ranks 0.5 in the book


def test_custom_rules_and_bad_rules():
    r = churn.churn_risk(_orders(), AS_OF)
    ar = churn.at_risk_high_value(
        r, pd.Series({"X": 10.0, "W": 5.0, "Z": 1.0}), min_value_percentile=0.0
    )
    rules = [
        {"max_purchases": 1, "action": "Send the welcome-back kit"},
        {"action": "churn.action.watch"},
    ]
    wb = churn.win_back_actions(ar, rules)
    assert wb.loc["Z", "action"] == "Send the welcome-back kit"
    assert wb.loc["X", "action_key"] == "churn.action.watch"
    with pytest.raises(ValueError, match="unknown condition"):
        churn.win_back_actions(ar, [{"min_valu": 1, "action": "x"}])
    with pytest.raises(ValueError, match="unknown reason"):
        churn.win_back_actions(ar, [{"reasons_any": ["bored"], "action": "x"}])


def test_win_back_sheet_headers_translate():
    r = churn.churn_risk(_orders(), AS_OF)
    ar = churn.win_back_actions(
        churn.at_risk_high_value(r, pd.Series({"X": 10.0}), min_value_percentile=0.0)
    )
    use("zh")
    try:
        sheet = churn.win_back_sheet(ar)
    finally:
        use("en")
    assert sheet.columns[0] == "排名" and "建议行动" in sheet.columns
    assert sheet.iloc[0, 1] == "X"


def test_nobody_bought_twice_gives_zero_risk_not_error():
    one = _orders().drop_duplicates("customer_id")
    r = churn.churn_risk(one, AS_OF)
    assert (r["risk"] == 0).all() and (r["reasons"] == "").all()
    # With a fallback rhythm of 20 days, Z (60 days silent) is 3x overdue, W (4 days) is not.
    r = churn.churn_risk(one, AS_OF, fallback_interval_days=20)
    assert r.loc["Z", "risk"] == 1.0 and r.loc["Z", "reasons"] == "one_time_lapsed"
    assert r.loc["W", "risk"] == 0.0


def test_value_and_retention_playbooks_run_on_a_small_book(tmp_path):
    """24 customers in 2 regions and one quarter: too few for the models, so the playbooks
    must explain that instead of failing, and still write the win-back workbook."""
    import json

    from clientbook.config import audit_file as audit_mod
    from clientbook.run import runner
    from conftest import write_audit, write_small_export

    export = tmp_path / "export"
    write_small_export(export)
    path = write_audit(tmp_path / "small.yaml", export, "steps: [value, retention]")
    out = tmp_path / "outputs"
    summary = runner.run(audit_mod.load(path), out, jobs=2, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    for sid in ("all", "region-east", "region-north", "period-2025-Q1"):
        root = out / "small" / "slices" / sid
        res = json.loads((root / "results.json").read_text())
        assert res["value"]["kpis"]["forecast"] is False
        assert res["value"]["kpis"]["forecast_reason"] == "value.too_little.customers"
        assert 0 < res["retention"]["kpis"]["repeat_rate"] <= 1
        assert res["retention"]["findings"]
        assert (root / "actions.xlsx").exists()
        report = (root / "report.html").read_text()
        assert "Customer value" in report and "Retention and churn warning" in report
        assert "Traceback" not in report


def test_scores_apply_the_audit_settings():
    from clientbook.steps import retention

    cfg = retention.settings({"retention": {"min_interval_days": 5, "overdue_multiple": 2}})
    r = churn.scores(_orders(), AS_OF, None, cfg)
    # W's 2-day rhythm is floored to 5 days: 4 days silent is not overdue; X at 3x of 10 is.
    assert r.loc["W", "usual_interval_days"] == 5 and "overdue" not in r.loc["W", "reasons"]
    assert r.loc["X", "risk"] == 1.0 and r.loc["X", "reasons"] == "overdue"
