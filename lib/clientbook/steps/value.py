"""Customer value: what each customer has been worth (historical) and is likely to be worth
(predictive, BG/NBD + Gamma-Gamma from `clientbook.clv`).

Historical value is exact arithmetic on the orders. Predictive value needs enough repeat
buyers for the models to learn from; a small slice gets a `TooLittleData` result that says
why in the consultant's words, instead of a failed or meaningless fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clientbook.clv import BetaGeoModel, GammaGammaModel, calibration_holdout, summary_from_orders
from clientbook.clv.diagnostics import Trust, assess, parameter_problems
from clientbook.clv.gamma_gamma import repeat_buyers
from clientbook.clv.utils import unit_days
from clientbook.present import style
from clientbook.present.i18n import t

DAYS_PER_MONTH = 365.25 / 12
UNTRUSTED = "value.too_little.untrusted"  # a fit that failed clv.diagnostics' checks


# ---- historical value ---------------------------------------------------------------------
def customer_value(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per customer: revenue (net of refunds), margin when `cost` is mapped, number of orders,
    first and last order date, plus region / segment / channel from `customers` when present.
    """
    o = orders if as_of is None else orders[orders["order_date"] <= as_of]
    o = o.assign(customer_id=o["customer_id"].astype("string"))
    g = o.groupby("customer_id", observed=True)
    out = pd.DataFrame(
        {
            "revenue": g["amount"].sum(),
            "orders": g["order_id"].nunique(),
            "first_order": g["order_date"].min(),
            "last_order": g["order_date"].max(),
        }
    )
    if "cost" in o and o["cost"].notna().any():
        out["margin"] = out["revenue"] - g["cost"].sum()
    if customers is not None:
        keep = [c for c in ("region", "segment", "channel") if c in customers]
        if keep:
            info = customers.assign(customer_id=customers["customer_id"].astype("string"))
            info = info.drop_duplicates("customer_id").set_index("customer_id")[keep]
            out = out.join(info, how="left")
    out.index.name = "customer_id"
    return out.sort_values("revenue", ascending=False)


@dataclass(frozen=True)
class Concentration:
    """How concentrated value is: a few customers carrying most of it, or spread evenly."""

    n_customers: int
    total: float
    top20_share: float  # share of value from the top 20% of customers
    gini: float  # 0 = everyone equal, 1 = one customer has everything
    pareto: pd.DataFrame  # customer_share, value_share (cumulative, best customers first)


def gini(values: pd.Series | np.ndarray) -> float:
    """Gini coefficient of non-negative values (negatives, i.e. net refunders, count as 0)."""
    x = np.sort(np.clip(np.asarray(values, dtype=float), 0.0, None))
    n, total = len(x), x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2.0 * np.dot(i, x) / (n * total) - (n + 1.0) / n)


def concentration(values: pd.Series, points: int = 501) -> Concentration:
    """Pareto curve, top-20% share and Gini of a per-customer value (revenue or margin).

    Net refunders (negative value) count as zero: they do not carry any share of the value.
    The curve is sampled at `points` customer shares so a large book charts quickly.
    """
    x = np.sort(np.clip(values.to_numpy(dtype=float), 0.0, None))[::-1]
    n, total = len(x), float(x.sum())
    if n == 0 or total <= 0:
        empty = pd.DataFrame({"customer_share": [0.0], "value_share": [0.0]})
        return Concentration(n, total, float("nan"), float("nan"), empty)
    cum_share = np.concatenate([[0.0], np.cumsum(x) / total])
    cust_share = np.arange(n + 1) / n
    grid = np.linspace(0.0, 1.0, min(points, n + 1))
    curve = pd.DataFrame(
        {"customer_share": grid, "value_share": np.interp(grid, cust_share, cum_share)}
    )
    top = math.ceil(0.2 * n)
    return Concentration(n, total, float(x[:top].sum() / total), gini(x), curve)


def value_by(cv: pd.DataFrame, by: str) -> pd.DataFrame:
    """Customers, revenue, share and revenue per customer for each value of column `by`."""
    if by not in cv:
        raise KeyError(f"column {by!r} is not in the customer value table")
    keys = cv[by].astype("string").fillna("Unknown")
    aggs = {"customers": ("revenue", "size"), "revenue": ("revenue", "sum")}
    if "margin" in cv:
        aggs["margin"] = ("margin", "sum")
    out = cv.assign(**{by: keys}).groupby(by, observed=True).agg(**aggs)
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    return out.sort_values("revenue", ascending=False)


# ---- predictive value ---------------------------------------------------------------------
@dataclass(frozen=True)
class TooLittleData:
    """The models were not fitted (or not trusted) on this slice, and why."""

    reason: str  # catalogue key under value.too_little.*
    n_customers: int
    n_repeat: int
    needed: int = 0
    detail: str = ""
    # For an untrusted fit: the failed checks (clv.diagnostics.CODES) and what was fitted
    # (parameters, fit information), kept for the record (models.json), never shown as value.
    reasons: tuple[str, ...] = ()
    fitted: dict[str, Any] = field(default_factory=dict, compare=False)
    ok: bool = field(default=False, init=False)

    def message(self, lang: str | None = None) -> str:
        """Why there is no forecast, in the consultant's words (one paragraph)."""
        text = t(
            self.reason,
            lang,
            n_customers=self.n_customers,
            n_repeat=self.n_repeat,
            needed=self.needed,
        ).strip()
        if self.reasons and self.reason == UNTRUSTED:
            why = "; ".join(t(f"value.untrusted.{code}", lang) for code in self.reasons)
            text += " " + t("value.untrusted.because", lang, why=why)
        return text

    def finding(self, lang: str | None = None) -> str:
        """The one-line finding for the executive summary."""
        if self.reasons:
            why = "; ".join(t(f"value.untrusted.{code}", lang) for code in self.reasons)
            return t("value.finding.untrusted", lang, why=why)
        return t("value.finding.no_forecast", lang)


@dataclass
class PredictiveValue:
    """Per-customer forecast plus the fitted models behind it."""

    customers: pd.DataFrame  # index customer_id; p_alive, expected_purchases, expected_spend, clv
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel
    as_of: pd.Timestamp
    unit: str
    horizon_months: int
    annual_discount_rate: float
    uses_margin: bool
    spend_frequency_corr: float  # Gamma-Gamma assumes ~0; large values deserve a caveat
    trust: Trust | None = None  # the checks it passed (clv.diagnostics)
    ok: bool = field(default=True, init=False)

    @property
    def total_clv(self) -> float:
        return float(self.customers["clv"].sum())


def _fit_models(
    summary: pd.DataFrame, min_customers: int, min_repeat_buyers: int
) -> tuple[BetaGeoModel, GammaGammaModel] | TooLittleData:
    n, n_rep = len(summary), int(len(repeat_buyers(summary)))
    if n < min_customers:
        return TooLittleData("value.too_little.customers", n, n_rep, min_customers)
    if n_rep < min_repeat_buyers:
        return TooLittleData("value.too_little.repeat_buyers", n, n_rep, min_repeat_buyers)
    bg = BetaGeoModel().fit(summary)
    assert bg.fit_info_ is not None
    if not bg.fit_info_.converged:
        return TooLittleData(
            "value.too_little.no_fit",
            n,
            n_rep,
            detail=bg.fit_info_.message,
            reasons=("no_fit",),
            fitted=fit_record(bg, None),
        )
    gg = GammaGammaModel().fit(summary)
    assert gg.fit_info_ is not None
    if not gg.fit_info_.converged or gg.params_["q"] <= 1.0:  # type: ignore[index]
        return TooLittleData(
            "value.too_little.spend",
            n,
            n_rep,
            detail=gg.fit_info_.message,
            reasons=("spend",) if gg.fit_info_.converged else ("no_fit",),
            fitted=fit_record(bg, gg),
        )
    return bg, gg


def fit_record(bg: BetaGeoModel | None, gg: GammaGammaModel | None) -> dict[str, Any]:
    """Parameters and fit information of the fitted models, for the record (JSON-ready)."""
    out: dict[str, Any] = {}
    for name, m in (("bgnbd", bg), ("gamma_gamma", gg)):
        if m is None or m.params_ is None or m.fit_info_ is None:
            continue
        info = m.fit_info_
        out[name] = {
            "params": dict(m.params_),
            "converged": info.converged,
            "log_likelihood": info.log_likelihood,
            "iterations": info.iterations,
            "message": info.message,
        }
    return out


def predict_value(
    orders: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    unit: str = "W",
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    min_customers: int = 50,
    min_repeat_buyers: int = 20,
) -> PredictiveValue | TooLittleData:
    """P(alive), expected purchases and spend over the horizon, and discounted CLV per customer.

    CLV sums, month by month, expected purchases x expected spend (x the customer's margin
    rate when `cost` is mapped), discounted at `annual_discount_rate`.
    """
    summary = summary_from_orders(orders, as_of, unit)
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else orders["order_date"].max().normalize()
    fitted = _fit_models(summary, min_customers, min_repeat_buyers)
    if isinstance(fitted, TooLittleData):
        return fitted
    bg, gg = fitted
    out = summary.copy()
    out["p_alive"] = bg.predict_p_alive(summary)
    month = DAYS_PER_MONTH / unit_days(unit)
    out["expected_purchases"] = bg.predict_purchases(summary, horizon_months * month)
    out["expected_spend"] = gg.predict_spend(summary)
    uses_margin = "cost" in summary and summary["cost"].notna().any()
    out["margin_rate"] = _margin_rate(summary) if uses_margin else 1.0
    out["clv"] = (
        _discounted_clv(bg, summary, horizon_months, month, annual_discount_rate)
        * out["expected_spend"]
        * out["margin_rate"]
    )
    if not np.isfinite(out[["p_alive", "expected_purchases", "clv"]].to_numpy()).all():
        # A fit at the edge of the parameter space can overflow the closed forms.
        n_rep = int(len(repeat_buyers(summary)))
        return TooLittleData(
            UNTRUSTED,
            len(summary),
            n_rep,
            detail="non-finite",
            reasons=(*parameter_problems(bg.params_, gg.params_)[0], "non_finite"),
            fitted=fit_record(bg, gg),
        )
    rep = repeat_buyers(summary)
    corr = float(rep["frequency"].corr(rep["monetary_value"])) if len(rep) > 2 else float("nan")
    return PredictiveValue(
        customers=out.sort_values("clv", ascending=False),
        bgnbd=bg,
        gamma_gamma=gg,
        as_of=as_of_ts,
        unit=unit,
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        uses_margin=bool(uses_margin),
        spend_frequency_corr=corr,
    )


def _margin_rate(summary: pd.DataFrame) -> pd.Series:
    """Each customer's own margin share of revenue, the book's for customers without revenue."""
    revenue, margin = summary["revenue"], summary["revenue"] - summary["cost"].fillna(0.0)
    book = float(margin.sum() / revenue.sum()) if revenue.sum() > 0 else 0.0
    rate = (margin / revenue.where(revenue > 0)).fillna(book)
    return rate.clip(0.0, 1.0)


def _discounted_clv(
    bg: BetaGeoModel, summary: pd.DataFrame, months: int, month: float, annual_rate: float
) -> pd.Series:
    """Sum over months of the expected purchases in that month, discounted to today."""
    total = pd.Series(0.0, index=summary.index)
    before = pd.Series(0.0, index=summary.index)
    for i in range(1, months + 1):
        upto = bg.predict_purchases(summary, i * month)
        total += (upto - before) / (1.0 + annual_rate) ** (i / 12.0)
        before = upto
    return total


# ---- does the model forecast well here? ---------------------------------------------------
@dataclass
class HoldoutCheck:
    """Predicted vs actual repeat purchases in a holdout window the model did not see."""

    by_frequency: pd.DataFrame  # index: calibration repeat purchases (0..6, "7+"); customers,
    # actual, predicted (mean purchases per customer in the holdout)
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    actual_total: float
    predicted_total: float
    ok: bool = field(default=True, init=False)

    def window_text(self) -> dict[str, str]:
        """Calibration end and holdout window as dates, for the report text."""
        start = self.calibration_end + pd.Timedelta(days=1)
        return {
            "cal_end": str(self.calibration_end.date()),
            "start": str(start.date()),
            "end": str(self.holdout_end.date()),
        }

    @property
    def error(self) -> float:
        """Relative error of the total predicted repeat purchases (+ = over-forecast)."""
        return self.predicted_total / self.actual_total - 1.0 if self.actual_total else np.nan


def holdout_check(
    orders: pd.DataFrame,
    calibration_end: pd.Timestamp | str | None = None,
    holdout_end: pd.Timestamp | str | None = None,
    unit: str = "W",
    holdout_share: float = 0.3,
    min_customers: int = 50,
    min_repeat_buyers: int = 20,
    top_bucket: int = 7,
) -> HoldoutCheck | TooLittleData:
    """Fit on the calibration window, forecast the holdout window, compare with what happened.

    By default the holdout is the last `holdout_share` of the span of the orders.
    """
    first, last = orders["order_date"].min().normalize(), orders["order_date"].max().normalize()
    hold_end = pd.Timestamp(holdout_end) if holdout_end is not None else last
    if calibration_end is None:
        span = (hold_end - first).days
        cal_end = hold_end - pd.Timedelta(days=round(span * holdout_share))
    else:
        cal_end = pd.Timestamp(calibration_end)
    if cal_end <= first or hold_end <= cal_end:
        return TooLittleData("value.too_little.holdout", orders["customer_id"].nunique(), 0)
    cal = calibration_holdout(orders, cal_end, hold_end, unit)
    fitted = _fit_models(cal, min_customers, min_repeat_buyers)
    if isinstance(fitted, TooLittleData):
        return fitted
    bg, _ = fitted
    duration = float(cal["duration_holdout"].iloc[0])
    pred = bg.predict_purchases(cal, duration)
    bucket = cal["frequency"].clip(upper=top_bucket).astype("int64")
    labels = bucket.astype(str).where(bucket < top_bucket, f"{top_bucket}+")
    table = (
        pd.DataFrame(
            {
                "bucket": bucket,
                "label": labels,
                "actual": cal["frequency_holdout"],
                "predicted": pred,
            }
        )
        .groupby(["bucket", "label"], observed=True)
        .agg(
            customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
        )
        .reset_index("bucket", drop=True)
    )
    table.index.name = "repeat_purchases"
    return HoldoutCheck(
        by_frequency=table,
        calibration_end=cal_end,
        holdout_end=hold_end,
        actual_total=float(cal["frequency_holdout"].sum()),
        predicted_total=float(pred.sum()),
    )


# ---- report pieces (settings, charts, findings) -------------------------------------------
DEFAULTS: dict[str, Any] = {
    "unit": "W",  # model time unit: "W" weeks or "D" days
    "horizon_months": 12,
    "annual_discount_rate": 0.10,
    "min_customers": 50,
    "min_repeat_buyers": 20,
    "holdout_share": 0.3,
}
SHORT_HISTORY_DAYS = 180  # under this, a forecast gets a caution in the findings


def settings(book_settings: dict[str, Any] | None) -> dict[str, Any]:
    """The audit's `settings: value:` over the defaults, validated by
    `clientbook.config.settings.ValueSettings` (a wrong key raises SettingsError, a ValueError)."""
    from clientbook.config.settings import for_step

    return for_step(book_settings, "value")


def pareto_chart(conc: Concentration) -> Any:
    """Cumulative share of value against share of customers, best customers first."""
    fig, ax = style.fig(6.5, 4.2)
    c = conc.pareto
    ax.plot(c["customer_share"], c["value_share"], color=style.PRIMARY, lw=2.2)
    ax.plot([0, 1], [0, 1], color=style.PALETTE[6], ls="--", lw=1)
    ax.axvline(0.2, color=style.ACCENT, lw=1)
    ax.annotate(
        style.pct(conc.top20_share),
        (0.2, conc.top20_share),
        xytext=(8, -14),
        textcoords="offset points",
        color=style.ACCENT,
        fontweight="bold",
    )
    ax.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.yaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("value.axis.customer_share"))
    ax.set_ylabel(t("value.axis.revenue_share"))
    ax.set_title(t("value.chart.pareto"))
    return fig


def value_by_chart(table: pd.DataFrame, title: str) -> Any:
    """Share of customers vs share of revenue for each group (e.g. region or segment)."""
    fig, ax = style.fig(8, 0.45 * len(table) + 1.6)
    y = np.arange(len(table))
    cust_share = table["customers"] / table["customers"].sum()
    ax.barh(y - 0.2, cust_share, 0.4, label=t("value.column.customer_share"))
    ax.barh(y + 0.2, table["revenue_share"], 0.4, label=t("value.column.revenue_share"))
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def clv_deciles(pv: PredictiveValue) -> pd.DataFrame:
    """Customers in ten equal groups by predicted CLV: past revenue vs CLV per group."""
    c = pv.customers
    # Compare like with like: past margin against a margin-based CLV.
    past = c["revenue"] - c["cost"].fillna(0.0) if pv.uses_margin else c["revenue"]
    c = c.assign(past_value=past)
    rank = c["clv"].rank(method="first", ascending=False)
    decile = np.ceil(rank / len(c) * 10).clip(1, 10).astype(int)
    out = c.groupby(decile).agg(
        customers=("clv", "size"),
        past_value=("past_value", "sum"),
        clv=("clv", "sum"),
        p_alive=("p_alive", "mean"),
    )
    out["clv_share"] = out["clv"] / out["clv"].sum() if out["clv"].sum() else np.nan
    out.index.name = "decile"
    out.attrs["past"] = "margin" if pv.uses_margin else "revenue"
    return out


def clv_chart(deciles: pd.DataFrame) -> Any:
    fig, ax = style.fig(8, 4.0)
    x = deciles.index.to_numpy()
    past = deciles.attrs.get("past", "revenue")
    ax.bar(x - 0.2, deciles["past_value"], 0.4, label=t(f"value.column.past_{past}"))
    ax.bar(x + 0.2, deciles["clv"], 0.4, label=t("value.column.clv"))
    ax.set_xticks(x, [str(i) for i in x])
    ax.yaxis.set_major_formatter(lambda v, _: style.money(v))
    ax.set_xlabel(t("value.axis.decile"))
    ax.set_title(t("value.chart.clv_deciles"))
    ax.legend()
    return fig


def distribution_chart(pv: PredictiveValue) -> Any:
    """How CLV and P(alive) spread over the customers: a histogram of CLV (log scale when it
    spans more than two orders of magnitude) and the cumulative share of customers by P(alive)."""
    import seaborn as sns

    c = pv.customers
    fig, (left, right) = style.fig(9.0, 3.6, ncols=2)
    clv = c["clv"].astype(float)
    clv = clv[np.isfinite(clv) & (clv >= 1)]  # below one currency unit: nothing to forecast
    wide = bool(len(clv) > 1 and clv.max() / clv.min() > 100)
    sns.histplot(x=clv, ax=left, bins=30, log_scale=wide, color=style.PRIMARY, edgecolor="white")
    if wide:  # one tick per power of ten: ¥10, ¥100, ¥1,000, ¥1.0万
        from matplotlib.ticker import LogLocator

        left.xaxis.set_major_locator(LogLocator(base=10))
        left.xaxis.set_minor_formatter(lambda v, _: "")
    style.money_axis(left, "x")
    left.set_xlabel(t("distributions.value.clv_axis"))
    left.set_ylabel(t("distributions.customers_axis"))
    left.set_title(t("distributions.value.clv_title"))
    sns.ecdfplot(x=c["p_alive"].astype(float).dropna(), ax=right, color=style.PALETTE[1], lw=2)
    right.axvline(0.5, color=style.BAD, ls="--", lw=1)
    right.xaxis.set_major_formatter(lambda v, _: style.pct(v))
    right.yaxis.set_major_formatter(lambda v, _: style.pct(v))
    right.set_xlim(0, 1)
    right.set_xlabel(t("distributions.value.p_alive_axis"))
    right.set_ylabel(t("distributions.value.share_axis"))
    right.set_title(t("distributions.value.p_alive_title"))
    return fig


def holdout_chart(hc: HoldoutCheck) -> Any:
    t_ = hc.by_frequency
    fig, ax = style.fig(7, 3.8)
    x = np.arange(len(t_))
    ax.bar(x - 0.2, t_["actual"], 0.4, label=t("value.column.actual"), color=style.PALETTE[6])
    ax.bar(x + 0.2, t_["predicted"], 0.4, label=t("value.column.predicted"), color=style.PRIMARY)
    ax.set_xticks(x, list(t_.index))
    ax.set_xlabel(t("value.axis.calibration_purchases"))
    ax.set_ylabel(t("value.axis.holdout_purchases"))
    ax.set_title(t("value.chart.holdout"))
    ax.legend()
    return fig


def historical_findings(conc: Concentration, by_region: pd.DataFrame | None) -> list[str]:
    if conc.n_customers == 0 or not np.isfinite(conc.top20_share):
        return [t("value.finding.no_revenue")]
    out = [
        t(
            "value.finding.top20",
            share=style.pct(conc.top20_share),
            gini=f"{conc.gini:.2f}",
        )
    ]
    if by_region is not None and len(by_region) > 1:
        top = by_region.iloc[0]
        out.append(
            t(
                "value.finding.top_region",
                region=str(by_region.index[0]),
                share=style.pct(top["revenue_share"]),
                per_customer=style.money(top["revenue_per_customer"]),
            )
        )
    return out


def predictive_findings(
    pv: PredictiveValue | TooLittleData, hc: HoldoutCheck | TooLittleData | None = None
) -> list[str]:
    if not isinstance(pv, PredictiveValue):
        return [pv.finding()]
    c = pv.customers
    deciles = clv_deciles(pv)
    out = [
        t(
            "value.finding.clv_margin" if pv.uses_margin else "value.finding.clv",
            months=pv.horizon_months,
            total=style.money(pv.total_clv),
            top=style.pct(float(deciles["clv_share"].iloc[0])),
        ),
        t(
            "value.finding.alive",
            share=style.pct(float((c["p_alive"] >= 0.5).mean())),
            n=int((c["p_alive"] < 0.5).sum()),
        ),
    ]
    if hc is not None and hc.ok:
        assert isinstance(hc, HoldoutCheck)
        out.append(
            t(
                "value.finding.holdout",
                error=style.pct(abs(hc.error)),
                direction=t("value.word.over" if hc.error > 0 else "value.word.under"),
            )
        )
    span = (c["last_purchase"].max() - c["first_purchase"].min()).days
    if span < SHORT_HISTORY_DAYS:
        out.append(t("value.finding.short_history", days=span))
    if np.isfinite(pv.spend_frequency_corr) and abs(pv.spend_frequency_corr) > 0.3:
        out.append(t("value.finding.spend_corr", corr=f"{pv.spend_frequency_corr:.2f}"))
    return out


def findings(
    conc: Concentration,
    by_region: pd.DataFrame | None,
    pv: PredictiveValue | TooLittleData,
    hc: HoldoutCheck | TooLittleData | None = None,
) -> list[str]:
    """The step's findings: historical value first, then the forecast (or why there is none)."""
    return historical_findings(conc, by_region) + predictive_findings(pv, hc)


def predict(
    orders: pd.DataFrame, as_of: pd.Timestamp, cfg: dict[str, Any]
) -> PredictiveValue | TooLittleData:
    """`predict_value` with the audit's settings (see `settings`)."""
    return predict_value(
        orders,
        as_of,
        unit=cfg["unit"],
        horizon_months=int(cfg["horizon_months"]),
        annual_discount_rate=float(cfg["annual_discount_rate"]),
        min_customers=int(cfg["min_customers"]),
        min_repeat_buyers=int(cfg["min_repeat_buyers"]),
    )


def forecast(
    orders: pd.DataFrame, as_of: pd.Timestamp, cfg: dict[str, Any]
) -> tuple[PredictiveValue | TooLittleData, HoldoutCheck | TooLittleData]:
    """Predictive value and its holdout check with the audit's settings, then the verdict of
    `clv.diagnostics.assess`: a forecast that fails a check comes back as TooLittleData
    (reason UNTRUSTED, the failed checks in `reasons`), so no step can show it by mistake."""
    hc = holdout_check(
        orders,
        holdout_end=as_of,
        unit=cfg["unit"],
        holdout_share=float(cfg["holdout_share"]),
        min_customers=int(cfg["min_customers"]),
        min_repeat_buyers=int(cfg["min_repeat_buyers"]),
    )
    return judge(predict(orders, as_of, cfg), hc), hc


def judge(
    pv: PredictiveValue | TooLittleData, hc: HoldoutCheck | TooLittleData | None
) -> PredictiveValue | TooLittleData:
    """`pv` with its trust verdict: trusted (pv.trust set) or TooLittleData(UNTRUSTED)."""
    if not isinstance(pv, PredictiveValue):
        return pv
    ratio = None
    if isinstance(hc, HoldoutCheck):
        ratio = hc.predicted_total / hc.actual_total if hc.actual_total else float("inf")
    assert pv.bgnbd.fit_info_ is not None and pv.gamma_gamma.fit_info_ is not None
    verdict = assess(
        pv.bgnbd.params_,
        pv.gamma_gamma.params_,
        converged=pv.bgnbd.fit_info_.converged and pv.gamma_gamma.fit_info_.converged,
        frequency=pv.customers["frequency"],
        p_alive=pv.customers["p_alive"],
        holdout_ratio=ratio,
        holdout_failed=isinstance(hc, TooLittleData) and bool(hc.reasons),
    )
    if verdict.trusted:
        pv.trust = verdict
        return pv
    c = pv.customers
    return TooLittleData(
        UNTRUSTED,
        len(c),
        int((c["frequency"] > 0).sum()),
        detail=", ".join(verdict.reasons),
        reasons=tuple(verdict.reasons),
        fitted=fit_record(pv.bgnbd, pv.gamma_gamma) | {"checks": verdict.checks},
    )


def with_segments(cv: pd.DataFrame, classified: pd.DataFrame) -> pd.DataFrame:
    """Adds `rfm_segment` (the segment's name in the current language) from classification."""
    from clientbook.steps import classification as cls

    seg = classified.set_index(classified["customer_id"].astype("string"))["segment"]
    seg = seg.reindex(cv.index)
    names = pd.Series(
        [cls.segment_names([k])[0] if pd.notna(k) else pd.NA for k in seg],
        index=cv.index,
        dtype="string",
    )
    return cv.assign(rfm_segment=names)


def kpis(
    conc: Concentration,
    pv: PredictiveValue | TooLittleData,
    hc: HoldoutCheck | TooLittleData,
) -> dict[str, Any]:
    """Headline numbers for results.json (None where the forecast was not made)."""
    out: dict[str, Any] = {
        "customers": conc.n_customers,
        "revenue": conc.total,
        "top20_share": conc.top20_share,
        "gini": conc.gini,
        "forecast": bool(pv.ok),
        "forecast_reason": None if pv.ok else pv.reason,  # type: ignore[union-attr]
    }
    if isinstance(pv, TooLittleData):
        # Why there is no forecast, for the index and the decks (they show it, not a CLV).
        out["forecast_checks_failed"] = list(pv.reasons)
        out["forecast_note"] = pv.message()
    if isinstance(pv, PredictiveValue):
        c = pv.customers
        out |= {
            "horizon_months": pv.horizon_months,
            "clv_total": pv.total_clv,
            "clv_per_customer": pv.total_clv / len(c) if len(c) else None,
            "active_share": float((c["p_alive"] >= 0.5).mean()),
            "expected_purchases": float(c["expected_purchases"].sum()),
            "bgnbd": pv.bgnbd.params_,
            "gamma_gamma": pv.gamma_gamma.params_,
        }
    if isinstance(hc, HoldoutCheck):
        out["holdout_error"] = hc.error
    return out


def top_customers(pv: PredictiveValue, n: int = 10) -> pd.DataFrame:
    """The customers with the highest predicted CLV, for a table in the report."""
    cols = ["revenue", "purchases", "p_alive", "expected_purchases", "expected_spend", "clv"]
    out = pv.customers.head(n)[cols].reset_index()
    out["p_alive"] = out["p_alive"].map(lambda v: style.pct(v))
    for c in ("revenue", "expected_spend", "clv"):
        out[c] = out[c].map(lambda v: f"{v:,.0f}")
    out["expected_purchases"] = out["expected_purchases"].map(lambda v: f"{v:.1f}")
    return out
