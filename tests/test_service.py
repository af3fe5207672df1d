import math

import pandas as pd
import pytest

from clientbook.steps import service as svc

AS_OF = pd.Timestamp("2025-01-10 00:00")


def _tickets():
    # Worked out by hand at AS_OF with SLA 4 h first response / 48 h resolution:
    # id  channel opened         1st resp (h)  resolved (h)        contacts reopened
    # T1  phone   01-01 00:00    2   met       10  met             1        0
    # T2  phone   01-02 00:00    6   missed    72  missed          2        1
    # T3  email   01-03 00:00    3   met       24  met             1        0
    # T4  email   01-09 00:00    none, 24h old: overdue (missed); resolution not due yet
    # T5  chat    01-09 22:00    none, 2h old: neither due
    # T6  chat    01-07 00:00    0.5 met       resolved 01-12 = after AS_OF: open, 72h old: missed
    ts = pd.to_datetime
    return pd.DataFrame(
        {
            "ticket_id": pd.Series(["T1", "T2", "T3", "T4", "T5", "T6"], dtype="string"),
            "channel": pd.Series(
                ["phone", "phone", "email", "email", "chat", "chat"], dtype="string"
            ),
            "opened_at": ts(
                [
                    "2025-01-01 00:00",
                    "2025-01-02 00:00",
                    "2025-01-03 00:00",
                    "2025-01-09 00:00",
                    "2025-01-09 22:00",
                    "2025-01-07 00:00",
                ]
            ),
            "first_response_at": ts(
                [
                    "2025-01-01 02:00",
                    "2025-01-02 06:00",
                    "2025-01-03 03:00",
                    None,
                    None,
                    "2025-01-07 00:30",
                ]
            ),
            "resolved_at": ts(
                [
                    "2025-01-01 10:00",
                    "2025-01-05 00:00",
                    "2025-01-04 00:00",
                    None,
                    None,
                    "2025-01-12 00:00",
                ]
            ),
            "contacts": [1, 2, 1, None, None, 1],
            "reopened": [0, 1, 0, None, None, 0],
            "category": pd.Series(
                ["complaint", "question", "complaint", "return", None, "question"], dtype="string"
            ),
        }
    )


def test_summary_sla_fcr_reopen():
    s = svc.summary(_tickets(), svc.SlaTargets(4, 48), AS_OF)
    assert s.tickets == 6
    assert s.open == 3  # T4, T5, and T6 (resolved only after AS_OF)
    assert s.first_response_sla == pytest.approx(3 / 5)  # T1 T3 T6 met; T2 T4 missed
    assert s.resolution_sla == pytest.approx(2 / 4)  # T1 T3 met; T2 T6 missed
    assert s.fcr == pytest.approx(2 / 3)  # resolved T1 T2 T3: T1 and T3 in one contact
    assert s.reopen_rate == pytest.approx(1 / 3)  # T2
    # first responses 0.5, 2, 3, 6: median 2.5; p90 (linear) = 3 + 0.7 * 3 = 5.1
    assert s.first_response_median_h == pytest.approx(2.5)
    assert s.first_response_p90_h == pytest.approx(5.1)
    # resolutions 10, 24, 72: median 24; p90 = 24 + 0.8 * 48 = 62.4
    assert s.resolution_median_h == pytest.approx(24)
    assert s.resolution_p90_h == pytest.approx(62.4)


def test_per_channel_targets_from_settings():
    sla = svc.sla_targets(
        {"sla": {"first_response_hours": {"default": 4, "chat": 0.25}, "resolution_hours": 24}}
    )
    assert sla.first_response("chat") == 0.25 and sla.first_response("phone") == 4
    assert sla.resolution("email") == 24
    s = svc.summary(_tickets(), sla, AS_OF)
    # chat's 15 min: T6 (0.5 h) misses, and T5 (2 h old, no answer) is now overdue: T1 T3 of 6
    assert s.first_response_sla == pytest.approx(2 / 6)
    # 24 h: T1 met, T2 missed, T3 met (24 <= 24), T4 overdue (24 h old is not > 24), T6 missed
    assert s.resolution_sla == pytest.approx(2 / 4)
    assert svc.sla_targets({}) == svc.SlaTargets(4, 48)


def test_by_channel():
    t = svc.by_channel(_tickets(), svc.SlaTargets(4, 48), AS_OF).set_index("channel")
    assert t["tickets"].to_dict() == {"chat": 2, "email": 2, "phone": 2}
    assert t.loc["phone", "first_response_sla"] == pytest.approx(0.5)
    assert t.loc["phone", "fcr"] == pytest.approx(0.5)
    assert t.loc["phone", "reopen_rate"] == pytest.approx(0.5)
    assert t.loc["email", "resolution_sla"] == pytest.approx(1.0)  # T4 not due yet
    assert t.loc["chat", "first_response_sla"] == pytest.approx(1.0)  # T5 not due yet
    assert t.loc["chat", "resolution_sla"] == pytest.approx(0.0)
    assert math.isnan(t.loc["chat", "fcr"])  # nothing resolved in chat at AS_OF
    assert t["share"].sum() == pytest.approx(1.0)


def test_backlog_by_age():
    b = svc.backlog(_tickets(), AS_OF).set_index("bucket")
    # open: T5 2 h -> <1 d, T4 1 d -> [1, 3), T6 3 d -> [3, 7)
    assert b["tickets"].to_dict() == {"lt1d": 1, "d1_3": 1, "d3_7": 1, "d7_30": 0, "gt30d": 0}
    assert b.loc["lt1d", "share"] == pytest.approx(1 / 3)


def test_csat_by_resolution_time():
    surveys = pd.DataFrame(
        {
            "response_id": ["S1", "S2", "S3", "S4", "S5", "S6"],
            "ticket_id": pd.Series(["T1", "T1", "T2", "T3", "T4", None], dtype="string"),
            "csat_score": [5, 3, 2, 4, 1, 5],
        }
    )
    c = svc.csat_by_resolution_time(_tickets(), surveys, as_of=AS_OF).set_index("bucket")
    # T1 10 h -> 4-24 h (5 and 3: 1 of 2); T3 24 h -> 1-3 d (4); T2 72 h -> 3-7 d (2);
    # T4 unresolved and S6 without ticket are left out
    assert c["responses"].to_dict() == {"lt4h": 0, "h4_24": 2, "d1_3": 1, "d3_7": 1, "gt7d": 0}
    assert c.loc["h4_24", "csat"] == pytest.approx(0.5)
    assert c.loc["d1_3", "csat"] == pytest.approx(1.0)
    assert c.loc["d3_7", "csat"] == pytest.approx(0.0)
    assert math.isnan(c.loc["lt4h", "csat"])


def test_by_category_and_input_untouched():
    t = _tickets()
    cats = svc.by_category(t).set_index("category")
    assert cats.loc["complaint", "tickets"] == 2
    assert cats.loc["Unknown", "tickets"] == 1
    svc.ticket_times(t, AS_OF, svc.SlaTargets())
    assert "resolved" not in t.columns


def test_missing_columns_say_nothing():
    # without first_response_at / contacts / reopened the export is silent on them: NaN, not 0%
    t = _tickets().drop(columns=["first_response_at", "contacts", "reopened"])
    s = svc.summary(t, svc.SlaTargets(4, 48), AS_OF)
    assert math.isnan(s.first_response_sla) and math.isnan(s.fcr) and math.isnan(s.reopen_rate)
    assert s.resolution_sla == pytest.approx(2 / 4)
    no_resolution = _tickets().drop(columns=["resolved_at"])
    assert svc.backlog(no_resolution, AS_OF)["tickets"].sum() == 0
    assert math.isnan(svc.summary(no_resolution, svc.SlaTargets(), AS_OF).resolution_sla)


def test_sla_finding_judges_only_enough_tickets_and_allows_for_uncertainty():
    def said(tickets: int, fr: float) -> str:
        now = svc.ServiceSummary(
            tickets, 0, 2.0, 5.0, 20.0, 40.0, fr, 0.9, float("nan"), float("nan")
        )
        empty = pd.DataFrame(columns=["channel", "tickets", "first_response_sla"])
        backlog = pd.DataFrame({"bucket": [], "tickets": []})
        csat = pd.DataFrame({"bucket": [], "responses": [], "csat": []})
        return svc.findings(now, "2025-Q4", empty, backlog, csat, target=0.9)[1]

    assert "target" not in said(20, 0.70)  # 20 tickets: too few to judge against 90%
    assert "short of the 90.0% target but within its uncertainty" in said(200, 0.88)
    assert "short of the 90.0% target (" in said(200, 0.70)
    assert "meeting the 90.0% target" in said(200, 0.93)


def test_summary_fields_and_kpis_as_the_reader_sees_them():
    now = svc.ServiceSummary(
        tickets=1234,
        open=3,
        first_response_median_h=1.5,
        first_response_p90_h=6.0,
        resolution_median_h=30.0,
        resolution_p90_h=80.0,
        first_response_sla=0.875,
        resolution_sla=float("nan"),
        fcr=0.5,
        reopen_rate=0.04,
    )
    f = svc.summary_fields(now)
    assert f["tickets"] == "1,234" and f["fr_sla"] == "87.5%" and f["fcr"] == "50.0%"
    assert f["res_sla"] == "–"  # missing, never "nan%"
    assert f["fr_median"] == svc.hours_text(1.5)
    assert svc.kpis(now, 7) == {
        "tickets": 1234,
        "first_response_attainment": 0.875,
        "resolution_attainment": now.resolution_sla,
        "fcr_rate": 0.5,
        "reopen_rate": 0.04,
        "open_tickets": 7,
    }
