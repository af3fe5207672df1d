"""Sales: the lead funnel, win rate and cycle length; cross-sell rules and next-best offers.

Funnel: a lead's `stage` is the furthest stage it reached, so a lead counts as having reached
every stage up to its own (a won lead counts as reaching the last stage whatever its stage
says). Conversion = leads reaching a stage / leads reaching the stage before.

Win rate = won / (won + lost): open leads are not decided yet. Cycle length = days from
created_date to closed_date of closed leads.

Cross-sell rules are product pairs "A -> B" over baskets (the products of one order, or of
one customer over the whole history):

- support = share of baskets holding both A and B,
- confidence = share of baskets holding A that also hold B,
- lift = confidence / share of baskets holding B (above 1: A makes B likelier).

Pairs only, counted with a sparse basket x product matrix (B^T B gives every pair's count in
one product): pairs are what a consultant turns into an action ("offer B to buyers of A"),
and this stays fast without a mining library.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from clientbook.data import fast
from clientbook.data.dataset import FUNNEL_STAGES, funnel_stages
from clientbook.present.i18n import t, value_label
from clientbook.present.numbers import format_number

DEFAULT_STAGES = FUNNEL_STAGES


def stages_from(settings: dict | None) -> list[str]:
    """Funnel stages from the audit's settings (``funnel_stages``, or ``sales.funnel_stages``)
    or the contract's default (the period cut of `clientbook.data.dataset` reads the same)."""
    return funnel_stages(settings)


def _stage_index(leads: pd.DataFrame, stages: Sequence[str]) -> pd.Series:
    """Position of each lead's stage in `stages` (won leads: the last); NaN if unknown."""
    pos = {s.lower(): i for i, s in enumerate(stages)}
    idx = leads["stage"].astype("string").str.strip().str.lower().map(pos).astype(float)
    won = _status(leads) == "won"
    return idx.mask(won, float(len(stages) - 1))


def _status(leads: pd.DataFrame) -> pd.Series:
    return leads["status"].astype("string").str.strip().str.lower()


def funnel(leads: pd.DataFrame, stages: Sequence[str] = DEFAULT_STAGES) -> pd.DataFrame:
    """Leads reaching each stage: stage, leads, conversion (from the previous stage),
    from_top (from the first stage), amount (deal value of those leads, when known).

    Leads whose stage is not one of `stages` are left out (count them with `unknown_stages`).
    """
    idx = _stage_index(leads, stages)
    amount = (
        pd.to_numeric(leads["amount"], errors="coerce")
        if "amount" in leads
        else pd.Series(np.nan, index=leads.index)
    )
    rows = []
    for i, s in enumerate(stages):
        reached = idx >= i
        rows.append(
            {
                "stage": s,
                "leads": int(reached.sum()),
                "amount": float(amount[reached].sum(min_count=1)),
            }
        )
    out = pd.DataFrame(rows)
    n = out["leads"].astype(float)
    out["conversion"] = n / n.shift(1)
    out["from_top"] = n / n.iloc[0] if len(n) and n.iloc[0] else np.nan
    out.loc[0, "conversion"] = np.nan
    out["conversion"] = out["conversion"].replace([np.inf], np.nan)
    return out[["stage", "leads", "conversion", "from_top", "amount"]]


def unknown_stages(leads: pd.DataFrame, stages: Sequence[str] = DEFAULT_STAGES) -> pd.Series:
    """Counts of stage values that are not in `stages` (a data-quality hint)."""
    idx = _stage_index(leads, stages)
    return leads.loc[idx.isna(), "stage"].astype("string").value_counts()


def _cycle_days(leads: pd.DataFrame) -> pd.Series:
    if "closed_date" not in leads:
        return pd.Series(np.nan, index=leads.index)
    d = pd.to_datetime(leads["closed_date"]) - pd.to_datetime(leads["created_date"])
    return (d.dt.total_seconds() / 86400).where(_status(leads).isin(["won", "lost"]))


def _row(g: pd.DataFrame, stages: Sequence[str]) -> dict[str, float | int]:
    st = _status(g)
    won, lost = int((st == "won").sum()), int((st == "lost").sum())
    cycle = _cycle_days(g)
    amount = (
        pd.to_numeric(g["amount"], errors="coerce")
        if "amount" in g
        else pd.Series(np.nan, index=g.index)
    )
    return {
        "leads": len(g),
        "open": int((st == "open").sum()),
        "won": won,
        "lost": lost,
        "win_rate": won / (won + lost) if won + lost else math.nan,
        "cycle_days_median": float(cycle[st == "won"].median()) if won else math.nan,
        # sum(min_count=1): no amounts is "unknown", not 0
        "won_amount": float(amount[st == "won"].sum(min_count=1)),
        "pipeline_amount": float(amount[st == "open"].sum(min_count=1)),
    }


@dataclass(frozen=True)
class SalesSummary:
    leads: int
    open: int
    won: int
    lost: int
    win_rate: float  # won / (won + lost)
    cycle_days_median: float  # won leads, created -> closed
    won_amount: float
    pipeline_amount: float  # amount of open leads


def summary(leads: pd.DataFrame, stages: Sequence[str] = DEFAULT_STAGES) -> SalesSummary:
    return SalesSummary(**_row(leads, stages))


def scorecard(leads: pd.DataFrame, by: str, stages: Sequence[str] = DEFAULT_STAGES) -> pd.DataFrame:
    """Per owner / region / source: leads, open, won, lost, win_rate, cycle_days_median,
    won_amount, pipeline_amount, and each group's conversion to the last stage (reached_last).
    Missing values of `by` show as 'Unknown'. Sorted by won amount, then leads."""
    if by not in leads:
        return pd.DataFrame()
    key = leads[by].astype("string").fillna("Unknown")
    idx = _stage_index(leads, stages)
    rows = []
    for k, g in leads.groupby(key, sort=True):
        row = {by: k, **_row(g, stages)}
        known = idx[g.index].dropna()
        row["reached_last"] = float((known >= len(stages) - 1).mean()) if len(known) else math.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["won_amount", "leads", by], ascending=[False, False, True],
                           ignore_index=True)  # fmt: skip


# ---------------------------------------------------------------- cross-sell


def pair_rules(
    orders: pd.DataFrame,
    basket: str = "order_id",
    min_support: float = 0.01,
    min_count: int = 3,
    min_confidence: float = 0.05,
) -> pd.DataFrame:
    """Association rules A -> B between pairs of products (see the module docstring).

    `basket` is ``"order_id"`` (bought together) or ``"customer_id"`` (bought by the same
    customer, at any time). Refund lines (amount <= 0) do not make a product "bought".
    Columns: antecedent, consequent, baskets (holding both), support, confidence, lift,
    antecedent_baskets, consequent_support. Rules below `min_support`, `min_count` baskets or
    `min_confidence` are dropped; sorted by lift, then support.
    """
    cols = ["antecedent", "consequent", "baskets", "support", "confidence", "lift",
            "antecedent_baskets", "consequent_support"]  # fmt: skip
    if "product" not in orders or orders.empty:
        return pd.DataFrame(columns=cols)
    lines = orders[[basket, "product"]]
    if "amount" in orders:
        lines = lines[pd.to_numeric(orders["amount"], errors="coerce") > 0]
    lines = lines.dropna().astype("string").drop_duplicates()
    if lines.empty:
        return pd.DataFrame(columns=cols)
    b_codes, _ = pd.factorize(lines[basket])
    p_codes, products = pd.factorize(lines["product"])
    n_baskets = int(b_codes.max()) + 1
    m = sparse.csr_matrix(
        (np.ones(len(lines), dtype=np.int32), (b_codes, p_codes)),
        shape=(n_baskets, len(products)),
    )
    item = np.asarray(m.sum(axis=0)).ravel().astype(float)  # baskets holding each product
    both = (m.T @ m).tocoo()  # pair counts (symmetric; diagonal = item counts)
    keep = (both.row != both.col) & (both.data >= min_count)
    a, c, k = both.row[keep], both.col[keep], both.data[keep].astype(float)
    out = pd.DataFrame(
        {
            "antecedent": np.asarray(products)[a],
            "consequent": np.asarray(products)[c],
            "baskets": k.astype(int),
            "support": k / n_baskets,
            "confidence": k / item[a],
            "lift": (k / item[a]) / (item[c] / n_baskets),
            "antecedent_baskets": item[a].astype(int),
            "consequent_support": item[c] / n_baskets,
        }
    )
    out = out[(out["support"] >= min_support) & (out["confidence"] >= min_confidence)]
    return out.sort_values(
        ["lift", "support", "antecedent", "consequent"],
        ascending=[False, False, True, True],
        ignore_index=True,
    )[cols]


def rule_sentences(rules: pd.DataFrame, top: int = 5, min_lift: float = 1.0) -> list[str]:
    """The strongest rules in plain words (catalogue key ``sales.rule.sentence``, worded for
    order-level rules), one per product pair (the direction with the higher confidence)."""
    r = rules[rules["lift"] > min_lift]
    pair = r.apply(lambda x: tuple(sorted((x["antecedent"], x["consequent"]))), axis=1)
    r = r.assign(_pair=pair).sort_values(["lift", "confidence"], ascending=False)
    r = r.drop_duplicates("_pair").head(top)
    return [
        t(
            "sales.rule.sentence",
            a=x.antecedent,
            b=x.consequent,
            confidence=f"{x.confidence * 100:.0f}%",
            lift=f"{x.lift:.1f}",
        )
        for x in r.itertuples()
    ]


def best_offers(orders: pd.DataFrame, rules: pd.DataFrame, min_lift: float = 1.0) -> pd.DataFrame:
    """Each customer's best offer: the product they have not bought with the highest-confidence
    rule (lift above `min_lift`) from a product they have (ties: the rule listed first).

    Columns: customer_id, offer, confidence, because (the rule's antecedent). Customers with no
    applicable rule are left out. Works on integer codes, one rule at a time over the customers
    holding its antecedent, so it stays fast on Arrow strings.
    """
    cols = ["customer_id", "offer", "confidence", "because"]
    r = rules[rules["lift"] > min_lift]
    if r.empty or "product" not in orders:
        return pd.DataFrame(columns=cols)
    r = r.sort_values(["confidence", "lift"], ascending=False, kind="stable")
    owned = orders[["customer_id", "product"]].dropna().astype("string").drop_duplicates()
    c_codes, customers = pd.factorize(owned["customer_id"])
    # every product a rule names gets a code, bought in these orders or not
    products = pd.unique(
        pd.concat([owned["product"], r["antecedent"].astype("string"),
                   r["consequent"].astype("string")])
    )  # fmt: skip
    code = {p: k for k, p in enumerate(products)}
    p_codes = owned["product"].map(code).to_numpy(dtype=int)
    holds = sparse.csc_matrix(
        (np.ones(len(owned), dtype=bool), (c_codes, p_codes)),
        shape=(len(customers), len(products)),
    )
    # best[c] = (confidence, consequent code, antecedent code) so far
    best_conf = np.zeros(len(customers))
    best_offer = np.full(len(customers), -1)
    best_from = np.full(len(customers), -1)
    for a, b, conf in zip(r["antecedent"], r["consequent"], r["confidence"], strict=True):
        ia, ib = code[a], code[b]
        who = holds.indices[holds.indptr[ia] : holds.indptr[ia + 1]]
        who = who[conf > best_conf[who]]  # strictly better: the earlier rule wins ties
        has_b = holds[who, ib].toarray().ravel() if len(who) else np.array([], dtype=bool)
        who = who[~has_b]
        best_conf[who], best_offer[who], best_from[who] = conf, ib, ia
    got = best_offer >= 0
    prods = np.asarray(products, dtype=object)
    return pd.DataFrame(
        {
            "customer_id": pd.array(np.asarray(customers, dtype=object)[got], dtype="string"),
            "offer": pd.array(prods[best_offer[got]], dtype="string"),
            "confidence": best_conf[got],
            "because": pd.array(prods[best_from[got]], dtype="string"),
        }
    )


def best_offers_by_segment(
    orders: pd.DataFrame, segments: pd.Series, min_lift: float = 1.0
) -> pd.DataFrame:
    """Each customer's best offer learnt inside their own segment: customer-level pair rules
    counted among the segment's customers only, so a rule's lift is over the segment's own
    baseline (how common the product already is in the segment), then `best_offers` (never a
    product the customer already has). `segments` maps customer_id -> segment.
    Columns: customer_id, segment, offer, confidence, lift, because."""
    cols = ["customer_id", "segment", "offer", "confidence", "lift", "because"]
    if "product" not in orders or orders.empty:
        return pd.DataFrame(columns=cols)
    seg = segments.copy()
    seg.index = seg.index.astype("string")
    ids = orders["customer_id"].astype("string")
    parts = []
    for name, members in seg.groupby(seg.astype("string"), sort=True):
        o = orders[ids.isin(members.index)]
        rules = pair_rules(o, basket="customer_id")
        best = best_offers(o, rules, min_lift)
        if best.empty:
            continue
        lift = rules.set_index(["antecedent", "consequent"])["lift"]
        pairs = pd.MultiIndex.from_arrays([best["because"], best["offer"]])
        parts.append(best.assign(segment=name, lift=lift.reindex(pairs).to_numpy()))
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def next_best_offer(
    orders: pd.DataFrame,
    segments: pd.Series,
    rules: pd.DataFrame | None = None,
    min_lift: float = 1.0,
) -> pd.DataFrame:
    """The product to offer next, per segment.

    `segments` maps customer_id (index) to a segment label. Without `rules`, each customer's
    best offer is learnt inside their segment (`best_offers_by_segment`: lift over the
    segment's own baseline); with `rules` (customer-level, ``pair_rules(orders,
    basket="customer_id")``) the same rules serve every segment. A segment's offer is the one
    most of its customers get.
    Columns: segment, customers, offer, customers_offered (who get it as best offer), share
    (of the segment), confidence (their mean), because (the most common antecedent).
    """
    cols = ["segment", "customers", "offer", "customers_offered", "share", "confidence",
            "because"]  # fmt: skip
    seg = segments.copy()
    seg.index = seg.index.astype("string")
    seg = seg.astype("string").fillna("Unknown")
    if rules is None:
        best = best_offers_by_segment(orders, seg, min_lift).drop(columns=["segment", "lift"])
    else:
        best = best_offers(orders, rules, min_lift)
    if best.empty:
        return pd.DataFrame(columns=cols)
    best = best.assign(segment=best["customer_id"].map(seg).fillna("Unknown"))
    sizes = seg.value_counts()
    rows = []
    for s, g in best.groupby("segment", sort=True):
        counts = g["offer"].value_counts().sort_index()
        top_offer = counts.sort_values(ascending=False, kind="stable").index[0]
        h = g[g["offer"] == top_offer]
        size = int(sizes.get(s, g["customer_id"].nunique()))
        rows.append(
            {
                "segment": s,
                "customers": size,
                "offer": top_offer,
                "customers_offered": len(h),
                "share": len(h) / size if size else math.nan,
                "confidence": float(h["confidence"].mean()),
                "because": h["because"].value_counts().index[0],
            }
        )
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- playbook helpers


def upsell(orders: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Up-sell per category: customers who only buy the category's entry-level products
    (unit price below the median product price of the category) and the premium product to
    offer them (the one bought by most customers among those priced at or above the median).

    Needs product, category and quantity; returns an empty table otherwise. Refund lines are
    left out. Columns: category, entry_customers, entry_revenue, offer, price_ratio
    (offer's unit price / the entry products' average unit price), largest groups first.
    """
    cols = ["category", "entry_customers", "entry_revenue", "offer", "price_ratio"]
    if not {"product", "category", "quantity"} <= set(orders.columns):
        return pd.DataFrame(columns=cols)
    lines = orders[(orders["amount"] > 0) & (orders["quantity"] > 0)].dropna(
        subset=["product", "category", "customer_id"]
    )
    products = (
        lines.groupby(["category", "product"], observed=True)
        .agg(
            amount=("amount", "sum"),
            quantity=("quantity", "sum"),
            customers=("customer_id", "nunique"),
        )
        .reset_index()
    )
    products["price"] = products["amount"] / products["quantity"]
    products["median"] = products.groupby("category", observed=True)["price"].transform("median")
    products["entry"] = products["price"] < products["median"]
    rows = []
    for category, prods in products.groupby("category", observed=True):
        premium = prods[~prods["entry"]].sort_values(["customers", "price"], ascending=False)
        entry = prods[prods["entry"]]
        if premium.empty or entry.empty:
            continue
        in_cat = lines[lines["category"] == category]
        is_entry = fast.isin(in_cat["product"], entry["product"])
        stepped_up = in_cat.loc[~is_entry, "customer_id"].unique()
        bought = in_cat[~fast.isin(in_cat["customer_id"], pd.Series(stepped_up))]
        who = bought["customer_id"].unique()
        if len(who) == 0:
            continue
        offer = premium.iloc[0]
        rows.append(
            {
                "category": category,
                "entry_customers": len(who),
                "entry_revenue": float(bought["amount"].sum()),
                "offer": offer["product"],
                "price_ratio": float(
                    offer["price"] / (bought["amount"].sum() / bought["quantity"].sum())
                ),
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values("entry_customers", ascending=False, kind="mergesort")
    return out.head(top).reset_index(drop=True)


def upsell_sentences(table: pd.DataFrame, top: int = 3) -> list[str]:
    return [
        t(
            "sales.upsell_sentence",
            n=int(r.entry_customers),
            category=r.category,
            offer=r.offer,
            ratio=f"{r.price_ratio:.1f}",
        )
        for r in table.head(top).itertuples()
    ]


def upsell_table(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "category": table["category"],
            "entry_customers": table["entry_customers"].astype(int),
            "entry_revenue": table["entry_revenue"].map(money_text),
            "offer": table["offer"],
            "price_ratio": table["price_ratio"].map(lambda x: f"{x:.1f}x"),
        }
    )
    return out.rename(columns={c: t(f"sales.column.{c}") for c in out.columns})


def _pct(x: float) -> str:
    return "–" if x is None or pd.isna(x) else f"{x * 100:.0f}%"


def summary_fields(summary: SalesSummary) -> dict[str, str | int]:
    """The funnel summary sentence's figures as the reader sees them (`sales.summary`)."""
    return {
        "leads": summary.leads,
        "won": summary.won,
        "lost": summary.lost,
        "open": summary.open,
        "win_rate": format_number(summary.win_rate, "rate"),
        "cycle": format_number(summary.cycle_days_median, "ratio", digits=0),
        "won_amount": money_text(summary.won_amount),
        "pipeline": money_text(summary.pipeline_amount),
    }


def window_fields(window: dict[str, tuple[float, int | None]]) -> dict[str, str]:
    """The window sentence's figures (`sales.window`): leads created, closed, win rate."""
    return {
        "created": format_number(window["leads_created"][0], "count"),
        "closed": format_number(window["win_rate"][1], "count"),
        "win_rate": format_number(window["win_rate"][0], "rate"),
    }


def kpis(summary: SalesSummary) -> dict[str, float | int]:
    """The funnel's headline numbers for results.json."""
    return {
        "leads": summary.leads,
        "win_rate": summary.win_rate,
        "lead_to_won_rate": summary.won / summary.leads if summary.leads else None,
        "cycle_days_median": summary.cycle_days_median,
        "won_amount": summary.won_amount,
        "pipeline_amount": summary.pipeline_amount,
    }


def money_text(x: float) -> str:
    """Compact money, or '–' when unknown."""
    from clientbook.present.style import money

    return "–" if x is None or pd.isna(x) else money(x)


def stage_labels(stages: Sequence[str]) -> list[str]:
    """Funnel stages in the reader's language (known stage names through the catalogue)."""
    return [value_label("stage", s) for s in stages]


def funnel_chart(table: pd.DataFrame) -> Any:
    """Leads reaching each stage (bars, widest on top) with stage-to-stage conversion."""
    from clientbook.present import style

    fig, ax = style.fig(8.0, max(2.6, 0.55 * len(table) + 1.0))
    y = np.arange(len(table))[::-1]
    top = float(table["leads"].max()) if len(table) else 1.0
    ax.barh(y, table["leads"], color=style.PRIMARY)
    for yi, (n, conv) in zip(y, zip(table["leads"], table["conversion"], strict=True), strict=True):
        label = f"{int(n):,}" + ("" if pd.isna(conv) else f"  ({conv * 100:.0f}%)")
        ax.text(n + top * 0.01, yi, label, va="center", fontsize=9)
    ax.set_yticks(y, [value_label("stage", v) for v in table["stage"]])
    ax.set_xlim(0, top * 1.2 if top else 1)
    ax.set_xlabel(t("sales.axis.leads"))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(t("sales.chart.funnel"))
    return fig


def funnel_table(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "stage": [value_label("stage", v) for v in table["stage"]],
            "leads": table["leads"].astype(int),
            "conversion": table["conversion"].map(_pct),
            "from_top": table["from_top"].map(_pct),
            "amount": table["amount"].map(money_text),
        }
    )
    return out.rename(columns={c: t(f"sales.column.{c}") for c in out.columns})


def scorecard_table(card: pd.DataFrame, by: str) -> pd.DataFrame:
    """Owner / region scorecard for reading."""
    out = pd.DataFrame(
        {
            by: card[by],
            "leads": card["leads"].astype(int),
            "won": card["won"].astype(int),
            "lost": card["lost"].astype(int),
            "open": card["open"].astype(int),
            "win_rate": card["win_rate"].map(_pct),
            "cycle_days_median": card["cycle_days_median"].map(
                lambda x: "–" if pd.isna(x) else f"{x:.0f}"
            ),
            "won_amount": card["won_amount"].map(money_text),
            "pipeline_amount": card["pipeline_amount"].map(money_text),
        }
    )
    return out.rename(columns={c: t(f"sales.column.{c}") for c in out.columns})


def win_rate_chart(card: pd.DataFrame, by: str, overall: float) -> Any:
    """Win rate per owner (or region), the overall rate as a line; decided leads as n."""
    from clientbook.present import style

    c = card.dropna(subset=["win_rate"]).sort_values("win_rate")
    fig, ax = style.fig(8.0, max(2.4, 0.42 * len(c) + 1.2))
    y = np.arange(len(c))
    ax.barh(y, c["win_rate"] * 100, color=style.PRIMARY)
    if not pd.isna(overall):
        ax.axvline(overall * 100, color=style.ACCENT, ls="--", lw=1.2)
    names = [f"{k} (n={w + lo})" for k, w, lo in zip(c[by], c["won"], c["lost"], strict=True)]
    ax.set_yticks(y, names)
    ax.set_xlabel(t("sales.axis.win_rate"))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(t("sales.chart.win_rate", dim=t(f"sales.dim.{by}")))
    return fig


def rules_table(rules: pd.DataFrame, top: int = 10, min_lift: float = 1.0) -> pd.DataFrame:
    """The strongest rules (lift above `min_lift`) for reading."""
    r = rules[rules["lift"] > min_lift].head(top)
    out = pd.DataFrame(
        {
            "antecedent": r["antecedent"],
            "consequent": r["consequent"],
            "baskets": r["baskets"].astype(int),
            "support": r["support"].map(lambda x: f"{x * 100:.1f}%"),
            "confidence": r["confidence"].map(_pct),
            "lift": r["lift"].map(lambda x: f"{x:.1f}"),
        }
    )
    return out.rename(columns={c: t(f"sales.column.{c}") for c in out.columns})


def offers_table(nbo: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "segment": nbo["segment"],
            "customers": nbo["customers"].astype(int),
            "offer": nbo["offer"],
            "because": nbo["because"],
            "customers_offered": nbo["customers_offered"].astype(int),
            "share": nbo["share"].map(_pct),
            "confidence": nbo["confidence"].map(_pct),
        }
    )
    return out.rename(columns={c: t(f"sales.column.{c}") for c in out.columns})


def findings(
    funnel_table_: pd.DataFrame,
    summary_: SalesSummary,
    owners: pd.DataFrame | None,
    rules: pd.DataFrame,
    nbo: pd.DataFrame,
) -> list[str]:
    """Plain-language findings for the executive summary (in the current language)."""
    out: list[str] = []
    if summary_.leads:
        out.append(
            t("sales.finding.funnel", leads=summary_.leads, won=summary_.won,
              share=_pct(summary_.won / summary_.leads),
              win_rate=format_number(summary_.win_rate, "rate"),
              cycle="–" if pd.isna(summary_.cycle_days_median)
              else f"{summary_.cycle_days_median:.0f}")
        )  # fmt: skip
    conv = funnel_table_.dropna(subset=["conversion"])
    if len(conv):
        worst = conv.loc[conv["conversion"].idxmin()]
        prev = funnel_table_["stage"].iloc[int(conv["conversion"].idxmin()) - 1]
        out.append(
            t(
                "sales.finding.leak",
                frm=value_label("stage", prev),
                to=value_label("stage", worst["stage"]),
                conv=_pct(worst["conversion"]),
            )
        )
    if owners is not None and len(owners):
        ok = owners[(owners["won"] + owners["lost"]) >= 10].dropna(subset=["win_rate"])
        if len(ok) >= 2:
            hi, lo = ok.loc[ok["win_rate"].idxmax()], ok.loc[ok["win_rate"].idxmin()]
            out.append(
                t("sales.finding.owners", best=hi["owner"], best_rate=_pct(hi["win_rate"]),
                  worst=lo["owner"], worst_rate=_pct(lo["win_rate"]))
            )  # fmt: skip
    out += rule_sentences(rules, top=2)
    if len(nbo):
        big = nbo.sort_values("customers_offered", ascending=False).iloc[0]
        out.append(
            t("sales.finding.offer", segment=big["segment"], offer=big["offer"],
              n=int(big["customers_offered"]))
        )  # fmt: skip
    return out


def window_metrics(
    leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, tuple[float, int | None]]:
    """The step's registered KPIs (``clientbook.metrics``) of the window [start, end]: leads
    created in it, the win rate and won value of the leads *closed* in it, and the open
    pipeline at its end: key -> (value, sample)."""
    st = _status(leads)
    created = pd.to_datetime(leads["created_date"])
    closed = (
        pd.to_datetime(leads["closed_date"])
        if "closed_date" in leads
        else pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns]")
    )
    amount = (
        pd.to_numeric(leads["amount"], errors="coerce")
        if "amount" in leads
        else pd.Series(np.nan, index=leads.index)
    )
    made = (created >= start) & (created <= end)
    shut = (closed >= start) & (closed <= end) & st.isin(["won", "lost"]).fillna(False)
    won = shut & (st == "won").fillna(False)
    decided = int(shut.sum())
    return {
        "leads_created": (float(made.sum()), int(made.sum())),
        "win_rate": (int(won.sum()) / decided if decided else math.nan, decided),
        "won_amount": (float(amount[won].sum(min_count=1)), int(won.sum())),
        "pipeline_amount": (float(amount[(st == "open").fillna(False)].sum(min_count=1)), None),
    }
