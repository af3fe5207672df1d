"""Action plan: what to do, per segment, and what matters most overall.

The plan's segments are the classification's segments (step 01): the same names, the same
customers, so a list called "New" holds exactly the customers the classification calls New.
Each segment gets one action and an uplift (the share of its value at stake the action is
expected to win or save); expected impact = value at stake x uplift ranks the segments.

| segment (01)       | action (default)                                  | uplift |
|--------------------|---------------------------------------------------|--------|
| champions          | dedicated service, exclusive offers               | 5%     |
| loyal              | loyalty programme, up-sell                        | 5%     |
| potential_loyalist | promotions to raise purchase frequency            | 8%     |
| new                | onboarding: welcome series, second-purchase offer | 10%    |
| promising          | a second-purchase incentive                       | 8%     |
| need_attention     | a personalised reactivation offer                 | 5%     |
| about_to_sleep     | a reminder with a limited-time offer              | 5%     |
| at_risk            | win-back: personal call and a tailored offer      | 15%    |
| cant_lose          | personal win-back by the account owner            | 20%    |
| hibernating        | automated, low-cost reactivation                  | 3%     |

Value at stake is each customer's CLV when the slice's forecast is trusted, else the revenue
of the 12 months to the current period's end. Both come from the slice's customer table
(`customer_table`), like the segments and the churn risk: nothing is recomputed here.

An audit can replace the rules (`settings.action_plan.rules`): a rule is
``{segment, when, action, uplift}``; ``when`` maps a column of the customer profile to a value
(equality), a list (any of) or ``{min, max}`` (inclusive range); every condition must hold;
the first matching rule wins. A custom plan segment may reuse a classification segment's name
only for exactly that segment (``when: {rfm_segment: <name>}``): one word never names two
groups. A condition on an optional column the profile lacks (clv, ...) never holds; any
other unknown column is an error.

Next best offer: per segment, product pair rules are counted among the segment's own
customers (lift over the segment's baseline, `sales.best_offers_by_segment`), and a customer
is never offered a product they already buy.

Settings (the audit's `settings:`, or under `settings.action_plan`):
- `rules`: a list of rules replacing the defaults.
- `mask_pii`: false to keep names, e-mails and phones readable in actions.xlsx (default true).
- `list_limit`: most customers per list, highest value first (default 10000; 0 = no limit).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clientbook.data.book import Book
from clientbook.present import i18n
from clientbook.present.i18n import t
from clientbook.steps.performance_review import (
    KPIS,
    format_change,
    format_value,
    scorecard_from,
    setting,
)

STEP = "action_plan"
PII_COLUMNS = ("name", "email", "phone")
DEFAULT_LIST_LIMIT = 10_000  # rows per list: beyond that a CRM import, not a spreadsheet

# classification segment -> (action, uplift)
SEGMENT_ACTIONS: dict[str, tuple[str, float]] = {
    "champions": ("dedicated_service", 0.05),
    "loyal": ("loyalty_upsell", 0.05),
    "potential_loyalist": ("frequency_promotion", 0.08),
    "new": ("onboarding", 0.10),
    "promising": ("second_purchase", 0.08),
    "need_attention": ("reactivation_offer", 0.05),
    "about_to_sleep": ("reminder_offer", 0.05),
    "at_risk": ("win_back", 0.15),
    "cant_lose": ("personal_win_back", 0.20),
    "hibernating": ("automated_marketing", 0.03),
}
DEFAULT_RULES: list[dict[str, Any]] = [
    {"segment": seg, "when": {"rfm_segment": seg}, "action": action, "uplift": uplift}
    for seg, (action, uplift) in SEGMENT_ACTIONS.items()
]


# ---------------------------------------------------------------- who is in which segment


def customer_profile(
    book: Book,
    value: pd.Series | None = None,
    churn_risk: pd.Series | None = None,
    table: Any = None,
) -> pd.DataFrame:
    """One row per buying customer: the classification (rfm_segment, tier, behaviour, r/f/m,
    recency_days, frequency, monetary, region, channel), is_new (acquired in the current
    period), revenue_12m (the 12 months to the current period's end), the PII columns of
    customers, `clv` and `churn_risk`. All of it comes from the slice's customer table
    (`table`, default `customer_table(book)`); `value` / `churn_risk` (Series by customer_id)
    override the table's CLV / churn risk. `value` (what is at stake) is the CLV when there is
    one (a trusted forecast), else revenue_12m."""
    from clientbook.steps.customer_table import customer_table

    ct = table if table is not None else customer_table(book)
    prof = ct.classified.rename(columns={"segment": "rfm_segment"})
    prof["customer_id"] = prof["customer_id"].astype("string")
    by_id = ct.customers.set_index("customer_id")
    start = book.period.start if book.period else book.as_of
    prof["is_new"] = prof["first_order"] >= start
    if "signup_date" in book.customers.columns and book.period is not None:
        signup = book.customers.assign(customer_id=book.customers["customer_id"].astype("string"))
        signup = signup.drop_duplicates("customer_id").set_index("customer_id")["signup_date"]
        s = signup.reindex(prof["customer_id"]).to_numpy()
        signup = pd.Series(s, index=prof.index)
        # acquired = the earlier of signup and first order (the scorecard's rule too)
        acquired = signup.where(signup < prof["first_order"], prof["first_order"])
        prof["is_new"] = acquired >= start
    prof["revenue_12m"] = by_id["revenue_12m"].reindex(prof["customer_id"]).fillna(0.0).to_numpy()
    pii = [c for c in PII_COLUMNS if c in book.customers.columns]
    if pii:
        info = book.customers.assign(customer_id=book.customers["customer_id"].astype("string"))
        info = info.drop_duplicates("customer_id")[["customer_id", *pii]]
        prof = prof.merge(info, on="customer_id", how="left")
    clv = value if value is not None else (by_id["clv"] if ct.trusted else None)
    risk = churn_risk if churn_risk is not None else by_id["churn_risk"]
    prof["value"] = prof["revenue_12m"]
    if clv is not None:
        clv = clv.set_axis(clv.index.astype("string")).reindex(prof["customer_id"])
        prof["clv"] = clv.to_numpy()
        prof["value"] = prof["clv"].fillna(prof["revenue_12m"])
    risk = risk.set_axis(risk.index.astype("string"))
    prof["churn_risk"] = risk.reindex(prof["customer_id"]).to_numpy()
    return prof


def _condition(df: pd.DataFrame, column: str, wanted: Any) -> pd.Series:
    if column not in df.columns:
        return pd.Series(False, index=df.index)
    col = df[column]
    if isinstance(wanted, Mapping):
        num = pd.to_numeric(col, errors="coerce")
        ok = num.notna()
        if wanted.get("min") is not None:
            ok &= num >= float(wanted["min"])
        if wanted.get("max") is not None:
            ok &= num <= float(wanted["max"])
        return ok.fillna(False).astype(bool)
    if isinstance(wanted, list | tuple | set):
        return col.isin(list(wanted)).fillna(False).astype(bool)
    return (col == wanted).fillna(False).astype(bool)


def rules_from(settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The audit's action rules (validated: `config.settings.ActionRule`), else the defaults."""
    rules = setting(settings, "rules", None, step=STEP)
    return DEFAULT_RULES if rules is None else list(rules)


# Columns a rule may name that a profile has only when the data or a step provides them.
OPTIONAL_COLUMNS = {"clv", "churn_risk", "region", "channel", *PII_COLUMNS}


def _classification_names() -> dict[str, str]:
    """Every name a classification segment goes by (key, en and zh name, lower case) -> key."""
    from clientbook.steps.classification import SEGMENTS

    out = {}
    for key in SEGMENTS:
        out[key.lower()] = key
        for lang in i18n.LANGS:
            out[t(f"classification.segment.{key}", lang).strip().lower()] = key
    return out


def check_rules(rules: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Fail with the rule's number on a condition no profile can have (a typo would otherwise
    silently never match), and on a plan segment named like a classification segment that
    holds a different group (one word never names two groups)."""
    known = set(columns) | OPTIONAL_COLUMNS
    names = _classification_names()
    for i, rule in enumerate(rules):
        key = names.get(str(rule.get("segment", "")).strip().lower())
        if key is not None:
            wanted = (rule.get("when") or {}).get("rfm_segment")
            same = wanted == key or (isinstance(wanted, list | tuple) and list(wanted) == [key])
            if not same or set(rule.get("when") or {}) != {"rfm_segment"}:
                raise ValueError(
                    f"rules[{i}]: the plan segment {rule.get('segment')!r} is named like the "
                    f"classification segment {key!r} but holds a different group; give it "
                    f"another name, or make its rule exactly when: {{rfm_segment: {key}}}"
                )
        unknown = sorted(set(rule.get("when") or {}) - known)
        if unknown:
            raise ValueError(
                f"rules[{i}] ({rule.get('segment')}): unknown column(s) {', '.join(unknown)}; "
                f"a rule can test {', '.join(sorted(known))}"
            )


def assign_actions(
    profile: pd.DataFrame, rules: Sequence[Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """The profile with `plan_segment`, `action` and `uplift`: the first matching rule wins;
    customers no rule matches get segment `other` and no action."""
    rules = DEFAULT_RULES if rules is None else rules
    out = profile.copy()
    seg = pd.Series(pd.NA, index=out.index, dtype="string")
    action = pd.Series(pd.NA, index=out.index, dtype="string")
    uplift = pd.Series(0.0, index=out.index)
    for rule in rules:
        hit = pd.Series(True, index=out.index)
        for column, wanted in (rule.get("when") or {}).items():
            hit &= _condition(out, column, wanted)
        new = hit & seg.isna()
        seg[new] = str(rule["segment"])
        action[new] = str(rule["action"])
        uplift[new] = float(rule.get("uplift", 0.0))
    out["plan_segment"] = seg.fillna("other")
    out["action"] = action
    out["uplift"] = uplift
    return out


def segment_name(key: str, lang: str | None = None) -> str:
    """A plan segment's name: the classification's name for its segments (the same word in
    every step), the catalogue's for other known keys, else the rule's own text."""
    for k in (f"classification.segment.{key}", f"strategy.segment.{key}"):
        if i18n.has(k):
            return t(k, lang)
    return str(key)


def action_name(key: Any, lang: str | None = None) -> str:
    """Catalogue text for a known action key; a custom rule's free text is shown as written."""
    if key is None or key is pd.NA or (isinstance(key, float) and math.isnan(key)):
        return t("strategy.action.none", lang)
    k = f"strategy.action.{key}"
    return t(k, lang) if i18n.has(k) else str(key)


def strategy_matrix(assigned: pd.DataFrame, offers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per plan segment: customers, value at stake, their shares, action, uplift, expected
    impact (value x uplift), ranked by expected impact (1 = act first); with `offers`
    (`segment_offers`), the segment's next best offer and how many of its customers get it."""
    cols = [
        "rank",
        "segment",
        "action",
        "customers",
        "customer_share",
        "value_at_stake",
        "value_share",
        "uplift",
        "expected_impact",
        "avg_recency_days",
        "avg_orders",
        "offer",
        "customers_offered",
    ]
    if assigned.empty:
        return pd.DataFrame(columns=cols)
    g = assigned.groupby("plan_segment", sort=False)
    out = pd.DataFrame(
        {
            "action": g["action"].first(),
            "customers": g.size(),
            "value_at_stake": g["value"].sum(),
            "uplift": g["uplift"].first(),
            "avg_recency_days": g["recency_days"].mean(),
            "avg_orders": g["frequency"].mean(),
        }
    )
    out["customer_share"] = out["customers"] / out["customers"].sum()
    total = out["value_at_stake"].clip(lower=0).sum()
    out["value_share"] = out["value_at_stake"] / total if total > 0 else math.nan
    out["expected_impact"] = out["value_at_stake"].clip(lower=0) * out["uplift"]
    top = segment_top_offer(offers)
    out["offer"] = top["offer"].reindex(out.index).astype("string")
    out["customers_offered"] = top["customers_offered"].reindex(out.index).fillna(0).astype(int)
    out = out.rename_axis("segment").reset_index()
    out = out.sort_values(["expected_impact", "customers"], ascending=False, kind="stable")
    out["rank"] = range(1, len(out) + 1)
    return out[cols].reset_index(drop=True)


def segment_offers(orders: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """Each customer's next best offer within their plan segment (`sales.best_offers_by_segment`:
    lift over the segment's own baseline, never a product the customer already buys).
    Columns: customer_id, segment, offer, confidence, lift, because."""
    from clientbook.steps import sales

    seg = assigned.set_index(assigned["customer_id"].astype("string"))["plan_segment"]
    return sales.best_offers_by_segment(orders, seg)


def segment_top_offer(offers: pd.DataFrame | None) -> pd.DataFrame:
    """Per segment: the offer most of its customers get, and how many get it."""
    if offers is None or offers.empty:
        return pd.DataFrame({"offer": pd.Series(dtype="string"),
                             "customers_offered": pd.Series(dtype="int64")})  # fmt: skip
    counts = offers.groupby(["segment", "offer"], observed=True).size().rename("n").reset_index()
    counts = counts.sort_values(["segment", "n", "offer"], ascending=[True, False, True])
    top = counts.drop_duplicates("segment").set_index("segment")
    return top.rename(columns={"n": "customers_offered"})[["offer", "customers_offered"]]


@dataclass
class ActionPlan:
    customers: pd.DataFrame  # the profile with plan_segment, action, uplift, offer
    matrix: pd.DataFrame
    value_basis: str  # "clv" or "revenue_12m"
    offers: pd.DataFrame | None = None  # segment_offers: one row per customer with an offer
    forecast_note: str = ""  # why there is no CLV (the value step's words), when there is none

    def basis_text(self, lang: str | None = None) -> str:
        """What the value at stake is, and when it is not the CLV, why."""
        return t(f"strategy.value_basis.{self.value_basis}", lang, reason=self.forecast_note)


def forecasts(book: Book) -> tuple[pd.Series | None, pd.Series | None]:
    """(CLV, churn risk) per customer from the slice's customer table, exactly as the value
    and retention steps use them; CLV is None unless the slice's forecast is trusted."""
    from clientbook.steps.customer_table import customer_table

    ct = customer_table(book)
    by_id = ct.customers.set_index("customer_id")
    clv = by_id["clv"].dropna() if ct.trusted else None
    risk = by_id["churn_risk"].dropna()
    return clv, (risk if len(risk) else None)


def action_plan(
    book: Book,
    value: pd.Series | None = None,
    churn_risk: pd.Series | None = None,
    table: Any = None,
) -> ActionPlan:
    """The plan for a slice, from its customer table (`table`, default
    `customer_table(book)`): segments, CLV when trusted, churn risk, next best offers."""
    from clientbook.steps.customer_table import customer_table

    table = table if table is not None else customer_table(book)
    profile = customer_profile(book, value, churn_risk, table)
    rules = rules_from(book.settings)
    check_rules(rules, list(profile.columns))
    assigned = assign_actions(profile, rules)
    offers = segment_offers(book.orders, assigned) if len(assigned) else None
    if offers is not None and len(offers):
        best = offers.set_index("customer_id")["offer"]
        assigned["offer"] = best.reindex(assigned["customer_id"].astype("string")).to_numpy()
    else:
        assigned["offer"] = pd.Series(pd.NA, index=assigned.index, dtype="string")
    basis = "clv" if "clv" in profile and profile["clv"].notna().any() else "revenue_12m"
    note = "" if basis == "clv" else table.forecast().message()
    return ActionPlan(assigned, strategy_matrix(assigned, offers), basis, offers, note)


def matrix_table(matrix: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The strategy matrix as the client reads it."""
    from clientbook.present.style import money, pct

    return pd.DataFrame(
        {
            t("strategy.col.rank", lang): matrix["rank"].astype(int),
            t("strategy.col.segment", lang): [segment_name(s, lang) for s in matrix["segment"]],
            t("strategy.col.action", lang): [action_name(a, lang) for a in matrix["action"]],
            t("strategy.col.customers", lang): matrix["customers"].map(lambda v: f"{v:,.0f}"),
            t("strategy.col.value_at_stake", lang): matrix["value_at_stake"].map(money),
            t("strategy.col.value_share", lang): matrix["value_share"].map(
                lambda v: "–" if pd.isna(v) else pct(v)
            ),
            t("strategy.col.expected_impact", lang): matrix["expected_impact"].map(money),
            t("strategy.col.offer", lang): [
                "–" if pd.isna(o) else str(o) for o in matrix.get("offer", [pd.NA] * len(matrix))
            ],
        }
    )


def matrix_headline(matrix: pd.DataFrame, lang: str | None = None) -> str:
    """The matrix in one sentence: which segment comes first, and why."""
    from clientbook.present.style import money

    if matrix.empty:
        return t("strategy.chart.matrix_title", lang)
    r = matrix.iloc[0]
    return t(
        "strategy.headline.first",
        lang,
        segment=segment_name(r["segment"], lang),
        customers=f"{int(r['customers']):,}",
        impact=money(float(r["expected_impact"])),
    )


def matrix_chart(matrix: pd.DataFrame, lang: str | None = None) -> Any:
    """Bubble chart: customers (x) vs value at stake (y), bubble = expected impact."""
    from clientbook.present import style

    fig, ax = style.fig(8.0, 4.6)
    if matrix.empty:
        return fig
    size = matrix["expected_impact"].clip(lower=0)
    size = 200 + 2200 * size / size.max() if size.max() > 0 else pd.Series(400, matrix.index)
    colours = [style.PALETTE[i % len(style.PALETTE)] for i in range(len(matrix))]
    ax.scatter(
        matrix["customers"],
        matrix["value_at_stake"],
        s=size,
        c=colours,
        alpha=0.6,
        edgecolors="white",
    )
    for r in matrix.itertuples(index=False):
        ax.annotate(
            f"{r.rank}. {segment_name(r.segment, lang)}",
            (r.customers, r.value_at_stake),
            ha="center",
            va="center",
            fontsize=9,
        )
    ax.set_xlabel(t("strategy.chart.customers_axis", lang))
    ax.set_ylabel(t("strategy.chart.value_axis", lang))
    ax.set_title(t("strategy.chart.matrix_title", lang))
    ax.yaxis.set_major_formatter(lambda v, _pos: style.money(v))
    ax.margins(0.2)
    return fig


# ---------------------------------------------------------------- lists and masking


def _mask_text(text: str) -> str:
    """Keep the first character of each word: 'Alice Wang' -> 'A**** W***', '王小明' -> '王**'."""
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in text.split(" "))


def _mask_email(text: str) -> str:
    user, at, domain = text.partition("@")
    return (user[:1] + "***" + at + domain) if at else _mask_text(text)


def _mask_phone(text: str) -> str:
    """Only the last four digits stay readable."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    keep = set(digits[-4:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(text))


def mask_pii(df: pd.DataFrame, columns: Sequence[str] = PII_COLUMNS) -> pd.DataFrame:
    """A copy with names, e-mails and phones masked (missing values stay missing)."""
    fn = {"name": _mask_text, "email": _mask_email, "phone": _mask_phone}
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].astype("string").map(fn.get(c, _mask_text), na_action="ignore")
    return out


def masking_on(settings: Mapping[str, Any]) -> bool:
    return bool(setting(settings, "mask_pii", True, step=STEP))


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(segment: str, lang: str | None = None) -> str:
    """Excel sheet name for a segment's list (<= 31 characters, no []:*?/\\)."""
    name = t("strategy.sheet", lang, segment=segment_name(segment, lang))
    return _SHEET_BAD.sub("-", name)[:31]


def list_limit(settings: Mapping[str, Any]) -> int | None:
    """Most customers per list (highest value first); None = everyone."""
    limit = setting(settings, "list_limit", DEFAULT_LIST_LIMIT, step=STEP)
    return None if limit in (None, 0) else int(limit)


def action_lists(
    plan: ActionPlan, lang: str | None = None, mask: bool = True, limit: int | None = None
) -> dict[str, pd.DataFrame]:
    """One sheet per plan segment (matrix rank order): its customers, highest value first
    (at most `limit`), with the action; PII masked unless `mask` is False. Headers in the
    report's language."""
    cust = plan.customers.sort_values("value", ascending=False, kind="stable")
    if limit is not None:
        cust = cust.groupby("plan_segment", sort=False).head(limit)
    cust = mask_pii(cust) if mask else cust
    base = ["customer_id", *[c for c in PII_COLUMNS if c in cust.columns]]
    extra = [c for c in ("region", "channel") if c in cust.columns]
    sheets: dict[str, pd.DataFrame] = {}
    for seg in plan.matrix["segment"]:
        part = cust[cust["plan_segment"] == seg]
        df = pd.DataFrame({c: part[c].to_numpy() for c in base + extra})
        df["rfm_segment"] = [
            t(f"classification.segment.{s}", lang) if i18n.has(f"classification.segment.{s}") else s
            for s in part["rfm_segment"]
        ]
        df["tier"] = part["tier"].to_numpy()
        df["recency_days"] = part["recency_days"].to_numpy()
        df["orders"] = part["frequency"].to_numpy()
        df["value"] = part["value"].round(2).to_numpy()
        if "churn_risk" in part.columns:
            df["churn_risk"] = part["churn_risk"].round(3).to_numpy()
        df["action"] = [action_name(a, lang) for a in part["action"]]
        if "offer" in part.columns:
            df["next_best_offer"] = part["offer"].to_numpy()
        df.columns = [
            t(f"strategy.col.{c}", lang) if i18n.has(f"strategy.col.{c}") else c for c in df.columns
        ]
        sheets[sheet_name(seg, lang)] = df
    return sheets


def lists_note(
    plan: ActionPlan, path: Path, mask: bool, limit: int | None, lang: str | None = None
) -> str:
    """The sentence telling the reader where the lists are and what was done to them."""
    largest = int(plan.matrix["customers"].max()) if len(plan.matrix) else 0
    limited = limit is not None and largest > limit
    return t(
        "strategy.lists_written",
        lang,
        file=Path(path).name,
        sheets=len(plan.matrix),
        masked=t("strategy.masked", lang) if mask else "",
        limited=t("strategy.limited", lang, limit=f"{limit:,}") if limited else "",
    )


def load_results(book: Book) -> dict[str, Any]:
    """The slice's results so far (results.json written by the runner); {} when there is none
    yet (a playbook opened alone in JupyterLab). A file that exists but cannot be read is an
    error that names the file: a summary silently built on nothing would mislead the client."""
    path = Path(book.output_dir) / "results.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the earlier steps' results in {path}: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected the earlier steps' results (a JSON object), got "
                         f"{type(data).__name__}")  # fmt: skip
    return data


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def executive_summary(
    results: Mapping[str, Any],
    scorecard: list[dict[str, Any]] | None = None,
    matrix: pd.DataFrame | None = None,
    lang: str | None = None,
    limit: int = 5,
) -> list[dict[str, str]]:
    """The 3-5 findings that matter most, each {finding, evidence, action}.

    Candidates, strongest first: KPIs that missed their target (the further behind, the
    higher), the plan segments with the largest expected impact, the headline (first)
    finding of each earlier step, KPIs near their target, the data audit's headline. At most
    3 come from the scorecard, 2 from the plan and 2 from other steps, and no two share an
    action, so the summary spans the steps. `scorecard` (records as 07 records them)
    defaults to the one in `results`.
    """
    card = scorecard if scorecard is not None else scorecard_from(results)
    cands: list[tuple[float, str, dict[str, str]]] = []  # (priority, source, item)

    def add(priority: float, source: str, finding: str, evidence: str, action: str) -> None:
        cands.append(
            (priority, source, {"finding": finding, "evidence": evidence, "action": action})
        )

    for r in card:
        status, kpi = r.get("status"), str(r.get("kpi"))
        if status not in ("missed", "near") or kpi not in KPIS:
            continue
        unit = KPIS[kpi].unit
        behind = abs(_num(r.get("vs_target"))) if r.get("vs_target") is not None else 0.0
        finding = t(
            f"strategy.summary.kpi_{status}",
            lang,
            kpi=t(f"performance.kpi.{kpi}", lang),
            actual=format_value(unit, _num(r.get("actual"))),
            target=format_value(unit, _num(r.get("target"))),
        )
        if math.isnan(_num(r.get("previous"))):
            evidence = t("strategy.summary.kpi_evidence_first", lang)
        else:
            evidence = t(
                "strategy.summary.kpi_evidence",
                lang,
                previous=format_value(unit, _num(r.get("previous"))),
                change=format_change(unit, _num(r.get("change")), lang),
            )
        base = 3.0 if status == "missed" else 1.5
        add(
            base + min(behind, 1.0),
            "scorecard",
            finding,
            evidence,
            t(f"strategy.kpi_action.{kpi}", lang),
        )

    judged = [r for r in card if r.get("status") in ("met", "near", "missed") and r["kpi"] in KPIS]
    if judged and all(r.get("status") == "met" for r in judged):
        add(
            1.4,
            "scorecard",
            t("strategy.summary.all_met", lang, n=len(judged)),
            ", ".join(t(f"performance.kpi.{r['kpi']}", lang) for r in judged),
            t("strategy.summary.raise_targets", lang),
        )

    if matrix is not None and len(matrix):
        from clientbook.present.style import money, pct

        total = matrix["expected_impact"].sum()
        for r in matrix.head(2).itertuples(index=False):
            if not r.expected_impact > 0:
                continue  # nothing at stake is no finding
            share = r.expected_impact / total
            finding = t(
                "strategy.summary.segment",
                lang,
                segment=segment_name(r.segment, lang),
                customers=f"{r.customers:,.0f}",
                value=money(r.value_at_stake),
            )
            evidence = t(
                "strategy.summary.segment_evidence",
                lang,
                share=pct(r.value_share) if pd.notna(r.value_share) else "–",
                impact=money(r.expected_impact),
            )
            add(2.5 + share, "plan", finding, evidence, action_name(r.action, lang))

    for i, (step, step_results) in enumerate(results.items()):
        if step in ("performance_review", STEP) or not isinstance(step_results, Mapping):
            continue
        found = step_results.get("findings")
        if not isinstance(found, list) or not found:
            continue
        first = found[0]
        text = first.get("finding") if isinstance(first, Mapping) else str(first)
        name = t(f"common.step.{step}", lang) if i18n.has(f"common.step.{step}") else step
        key = f"strategy.step_action.{step}"
        action = t(key, lang) if i18n.has(key) else t("strategy.step_action.default", lang)
        # A step's headline outranks a KPI merely near its target; data quality matters less
        # to the client's decisions than the management steps.
        priority = (0.5 if step == "data_audit" else 1.6) - 0.01 * i
        add(priority, "steps", str(text), t("strategy.summary.from_step", lang, step=name), action)

    caps = {"scorecard": 3, "plan": 2, "steps": 2}
    taken: dict[str, int] = {}
    out: list[dict[str, str]] = []
    for _priority, source, item in sorted(cands, key=lambda c: -c[0]):
        if len(out) >= limit:
            break
        # one finding per action: NPS and CSAT missing together call for the same fix
        if taken.get(source, 0) >= caps[source] or item["action"] in {o["action"] for o in out}:
            continue
        taken[source] = taken.get(source, 0) + 1
        out.append(item)
    return out


def summary_markdown(summary: list[dict[str, str]], lang: str | None = None) -> str:
    """The summary as Markdown: one numbered finding with its evidence and action."""
    lines = []
    for i, s in enumerate(summary, 1):
        evidence = t("strategy.summary.evidence_line", lang, text=s["evidence"])
        action = t("strategy.summary.action_line", lang, text=s["action"])
        lines.append(f"{i}. **{s['finding']}**  \n   {evidence}  \n   {action}")
    return "\n".join(lines)
