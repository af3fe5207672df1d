"""The metric registry: every KPI the product shows, declared once.

A metric has a key (what `results.json["metrics"]` and every deliverable use), a label in the
catalogue (``metrics.label.<key>`` in ``present/messages/<lang>/metrics.yaml``), a definition,
a unit (one of `UNITS`, the units of ``present/numbers.format_number``), a scope, the
direction that is better, and the minimum sample below which it is "too few to judge".

Scopes (the window is the slice's current period: a period slice's own period; for `all` and
region slices the last period in the data, and the label says which):

- ``period``: activity inside the window (revenue, orders, buyers, NPS of the quarter);
- ``to_date``: from the first data to the window end (revenue to date, repeat rate);
- ``as_of``: the state at the window end (customers, segments, CLV, lapsed share).

Distinct definitions get distinct keys: "lapsed customers" (no purchase in 180 days, a
state) is not "churn from the previous period" (a flow between two windows); "complaint
share of comments" is not "complaint tickets per buyer"; "first response within SLA" is not
"resolved within SLA"; period-to-period retention is not the cohorts' next-month retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNITS = ("count", "money", "rate", "score", "days", "hours", "minutes", "ratio", "text")
SCOPES = ("period", "to_date", "as_of")
BETTER = ("higher", "lower", "neutral")


@dataclass(frozen=True)
class Metric:
    key: str
    unit: str
    scope: str
    better: str
    definition: str
    step: str  # the step that records it
    min_n: int = 0  # below this sample size the value is shown but not judged

    @property
    def label_key(self) -> str:
        return f"metrics.label.{self.key}"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.key}: unknown unit {self.unit!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"{self.key}: unknown scope {self.scope!r}")
        if self.better not in BETTER:
            raise ValueError(f"{self.key}: unknown direction {self.better!r}")


_M = Metric
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        # ---- data audit: the size of the book
        _M(
            "customers",
            "count",
            "as_of",
            "higher",
            "Customers known at the window end (customers table plus anyone seen in orders).",
            "data_audit",
        ),
        _M(
            "buyers",
            "count",
            "period",
            "higher",
            "Customers with at least one order of positive net value in the window.",
            "data_audit",
        ),
        _M(
            "orders",
            "count",
            "period",
            "higher",
            "Orders (order lines rolled up to an order) with a positive net amount in the window; "
            "refund orders are not counted.",
            "data_audit",
        ),
        _M(
            "revenue",
            "money",
            "period",
            "higher",
            "Net revenue of the order lines dated in the window (refunds deducted).",
            "data_audit",
        ),
        _M(
            "revenue_to_date",
            "money",
            "to_date",
            "higher",
            "Net revenue of every order line from the first order to the window end.",
            "data_audit",
        ),
        _M(
            "refund_share",
            "rate",
            "period",
            "lower",
            "Refunded amount as a share of gross sales in the window.",
            "data_audit",
        ),
        # ---- classification
        _M(
            "champions_share",
            "rate",
            "as_of",
            "higher",
            "Share of buying customers in the RFM segment Champions at the window end.",
            "classification",
            20,
        ),
        _M(
            "a_tier_revenue_share",
            "rate",
            "as_of",
            "neutral",
            "Share of net revenue to date brought by the A tier (the customers making the first "
            "80% of revenue).",
            "classification",
            20,
        ),
        _M(
            "one_time_share",
            "rate",
            "as_of",
            "lower",
            "Share of buying customers who bought on one occasion only, at the window end.",
            "classification",
            20,
        ),
        # ---- value
        _M(
            "clv_per_customer",
            "money",
            "as_of",
            "higher",
            "Forecast customer lifetime value (BG/NBD x Gamma-Gamma, discounted) per customer at "
            "the window end; absent when the forecast is not trusted.",
            "value",
            50,
        ),
        # ---- satisfaction
        _M(
            "nps",
            "score",
            "period",
            "higher",
            "Net promoter score of the survey answers in the window: % 9-10 minus % 0-6, in points "
            "(-100..100).",
            "satisfaction",
            30,
        ),
        _M(
            "csat",
            "rate",
            "period",
            "higher",
            "Share of CSAT answers of 4 or 5 (1..5 scale) in the window.",
            "satisfaction",
            30,
        ),
        _M(
            "survey_responses",
            "count",
            "period",
            "neutral",
            "Survey responses with an NPS or CSAT answer in the window.",
            "satisfaction",
        ),
        _M(
            "complaint_share_comments",
            "rate",
            "period",
            "lower",
            "Share of survey comments in the window that are complaints (a complaint cue word of "
            "the comment's own language, not cancelled by a negation).",
            "satisfaction",
            30,
        ),
        # ---- service
        _M(
            "tickets",
            "count",
            "period",
            "neutral",
            "Service tickets opened in the window.",
            "service",
        ),
        _M(
            "first_response_sla",
            "rate",
            "period",
            "higher",
            "Share of the window's tickets first answered within the first-response SLA "
            "(unanswered tickets count as missed once overdue).",
            "service",
            30,
        ),
        _M(
            "resolved_in_sla",
            "rate",
            "period",
            "higher",
            "Share of the window's tickets resolved within the resolution SLA (unresolved tickets "
            "count as missed once overdue).",
            "service",
            30,
        ),
        _M(
            "first_contact_resolution",
            "rate",
            "period",
            "higher",
            "Share of the window's resolved tickets solved at the first contact.",
            "service",
            30,
        ),
        _M(
            "reopen_rate",
            "rate",
            "period",
            "lower",
            "Share of the window's resolved tickets that were reopened.",
            "service",
            30,
        ),
        _M(
            "open_tickets",
            "count",
            "as_of",
            "lower",
            "Tickets still open at the window end.",
            "service",
        ),
        _M(
            "complaint_tickets_per_buyer",
            "rate",
            "period",
            "lower",
            "Complaint tickets opened in the window per customer who bought in the window.",
            "performance_review",
            30,
        ),
        # ---- sales
        _M("leads_created", "count", "period", "higher", "Leads created in the window.", "sales"),
        _M(
            "win_rate",
            "rate",
            "period",
            "higher",
            "Of the leads closed in the window, the share won: won / (won + lost).",
            "sales",
            20,
        ),
        _M(
            "win_rate_to_date",
            "rate",
            "to_date",
            "higher",
            "Of every lead closed by the window end, the share won: won / (won + lost).",
            "sales",
            20,
        ),
        _M(
            "won_amount",
            "money",
            "period",
            "higher",
            "Deal value of the leads won in the window.",
            "sales",
        ),
        _M(
            "pipeline_amount",
            "money",
            "as_of",
            "higher",
            "Deal value of the leads open at the window end.",
            "sales",
        ),
        # ---- retention
        _M(
            "repeat_rate",
            "rate",
            "to_date",
            "higher",
            "Of every customer who has bought by the window end, the share who bought on at least "
            "two different days.",
            "retention",
            30,
        ),
        _M(
            "lapsed_share",
            "rate",
            "as_of",
            "lower",
            "Share of buying customers with no purchase in the last 180 days (the retention "
            "step's inactive_days) at the window end.",
            "retention",
            30,
        ),
        _M(
            "value_at_risk",
            "money",
            "as_of",
            "lower",
            "Value of the customers on the win-back list at the window end.",
            "retention",
        ),
        _M(
            "cohort_next_month_retention",
            "rate",
            "to_date",
            "higher",
            "Average share of a monthly acquisition cohort that buys again in its next month, over "
            "every cohort to the window end (month-to-month retention).",
            "retention",
            30,
        ),
        # ---- performance review (the scorecard)
        _M(
            "new_customers",
            "count",
            "period",
            "higher",
            "Customers acquired in the window (the earlier of signup and first order).",
            "performance_review",
        ),
        _M(
            "new_customer_growth",
            "rate",
            "period",
            "higher",
            "New customers of the window against the previous window, as a change (+0.10 = +10%).",
            "performance_review",
            20,
        ),
        _M(
            "period_retention",
            "rate",
            "period",
            "higher",
            "Of the customers who bought in the previous window, the share who bought again "
            "in this one (quarter-to-quarter retention for quarterly periods).",
            "performance_review",
            30,
        ),
        _M(
            "period_churn",
            "rate",
            "period",
            "lower",
            "1 - period retention: of the previous window's buyers, the share who did not buy in "
            "this one.",
            "performance_review",
            30,
        ),
        _M(
            "revenue_per_buyer",
            "money",
            "period",
            "higher",
            "Net revenue of the window per customer who bought in it.",
            "performance_review",
            20,
        ),
        _M(
            "acquisition_cost",
            "money",
            "period",
            "lower",
            "Marketing spend of the window per new customer.",
            "performance_review",
            20,
        ),
    )
}

# The scorecard's KPI names (targets use them) and the registry key each one reports as.
SCORECARD_KEYS: dict[str, str] = {
    "new_customers": "new_customers",
    "new_customer_growth": "new_customer_growth",
    "retention_rate": "period_retention",
    "churn_rate": "period_churn",
    "repeat_rate": "repeat_rate",
    "revenue_per_customer": "revenue_per_buyer",
    "nps": "nps",
    "csat": "csat",
    "complaint_rate": "complaint_tickets_per_buyer",
    "sla_attainment": "first_response_sla",
    "acquisition_cost": "acquisition_cost",
}

# What the index league tables, the report's key figures and the deck's key-figures slide
# show, in this order (only those a slice recorded).
HEADLINE = (
    "customers",
    "buyers",
    "orders",
    "revenue",
    "revenue_to_date",
    "champions_share",
    "clv_per_customer",
    "nps",
    "csat",
    "resolved_in_sla",
    "win_rate",
    "repeat_rate",
    "lapsed_share",
    "value_at_risk",
)


def get(key: str) -> Metric:
    """The metric `key`; KeyError naming the known keys when it is not registered."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(
            f"metric {key!r} is not in the registry (clientbook.metrics.registry); "
            f"known: {', '.join(METRICS)}"
        ) from None


def labels(lang: str = "en") -> dict[str, str]:
    """The catalogue's labels (``present/messages/<lang>/metrics.yaml``), read as a file."""
    import yaml

    path = Path(__file__).resolve().parents[1] / "present" / "messages" / lang / "metrics.yaml"
    return dict((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("label", {}))


def docs_markdown() -> str:
    """docs/metrics.md, generated: ``python -m clientbook.metrics.registry > docs/metrics.md``."""
    en, zh = labels("en"), labels("zh")
    lines = [
        "# Metrics",
        "",
        "Every KPI a deliverable shows, as declared in `lib/clientbook/metrics/registry.py`",
        "(generated from it: `python -m clientbook.metrics.registry > docs/metrics.md`;",
        "`tests/test_metrics.py` checks this file is current).",
        "",
        "Scope: `period` = activity inside the slice's window (a period slice's own period;",
        "for `all` and region slices the last period in the data, named in every label);",
        "`to_date` = from the first data to the window end; `as_of` = the state at the window",
        "end. In `results.json` each slice has `metrics`: key -> `{value, unit, scope, window:",
        "[start, end], window_label, n}`. A value whose `n` is below the minimum sample is",
        'shown but judged "too few to judge".',
        "",
        "| key | label (en / zh) | definition | scope | unit | better | min. sample |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in METRICS.values():
        lines.append(
            f"| `{m.key}` | {en.get(m.key, '')} / {zh.get(m.key, '')} | "
            f"{m.definition} | {m.scope} | {m.unit} | {m.better} | {m.min_n or ''} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(docs_markdown(), end="")
