"""The analysis settings of the audit file (`settings:`), typed: one model per step.

Every model holds today's defaults and forbids unknown keys, so `clientbook validate` names a
misspelled key and its step before anything runs. Steps read their block with `for_step`
(or `parse(...).<step>`) instead of digging in a dict. docs/settings.md is generated from
these models (`python -m clientbook.config.settings > docs/settings.md`; a test keeps it
current).

Older audit files put some keys at the top of `settings:` (`sla`, `funnel_stages`,
`thresholds`, `targets`, `rules`, `mask_pii`, `list_limit`, `min_sample`); they are still
read, as if written under their step (`LEGACY_KEYS`); a key under the step wins.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticUndefined


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- rule tables --------------------------------------------------------------------------


class SegmentRule(_Step):
    """One RFM segment rule (first match wins): inclusive score ranges [low, high]."""

    segment: str = Field(description="segment key (classification.segment.<key> names it)")
    r: tuple[int, int] | None = Field(default=None, description="recency score 1-5")
    f: tuple[int, int] | None = Field(default=None, description="frequency score 1-5")
    m: tuple[int, int] | None = Field(default=None, description="monetary score 1-5")
    fm: tuple[int, int] | None = Field(default=None, description="rounded mean of F and M")
    f_orders: tuple[int, int] | None = Field(default=None, description="number of orders")


class WinBackRule(_Step):
    """One win-back rule of the retention step (first match wins)."""

    action: str = Field(description="a catalogue key (churn.action.*) or the text to show")
    reasons_any: (
        list[Literal["overdue", "one_time_lapsed", "spend_falling", "low_p_alive"]] | None
    ) = Field(default=None, description="any of these warning reasons")
    min_value_percentile: float | None = Field(
        default=None, ge=0, le=1, description="the customer's value rank in the book, 0..1"
    )
    min_risk: float | None = Field(default=None, ge=0, le=1, description="churn risk, 0..1")
    max_purchases: int | None = Field(default=None, description="at most this many orders")
    min_purchases: int | None = Field(default=None, description="at least this many orders")


class ActionRule(_Step):
    """One action-plan rule (first match wins): `when` maps a profile column to a value, a
    list (any of) or {min, max}."""

    segment: str = Field(description="plan segment (at_risk, new, high_value, ...)")
    action: str = Field(description="action key (strategy.action.<key>) or text")
    when: dict[str, Any] = Field(
        default_factory=dict,
        description="profile column: value, [values] or {min, max}; "
        "all must hold (empty: everyone)",
    )
    uplift: float = Field(
        default=0.0, ge=0, le=1, description="share of the value at stake the action wins or saves"
    )


class KpiThreshold(_Step):
    """One KPI's traffic light: its own band and direction (defaults: the scorecard's)."""

    near: float | None = Field(
        default=None, ge=0, description="share of the target that still counts as near"
    )
    better: Literal["higher", "lower"] | None = Field(
        default=None, description="which way is good for this KPI"
    )


class SlaHours(_Step):
    """SLA targets in hours: one number, or per channel ({default: 4, chat: 0.5})."""

    first_response_hours: float | dict[str, float] = Field(
        default=4.0, description="hours to the first answer"
    )
    resolution_hours: float | dict[str, float] = Field(
        default=48.0, description="hours to resolution"
    )


# ---- one model per step -------------------------------------------------------------------


class DataAuditSettings(_Step):
    """00 data audit: no settings yet."""


class ClassificationSettings(_Step):
    """01 classification: RFM segments, ABC tiers, behaviour classes."""

    abc_shares: tuple[float, float] = Field(
        default=(0.8, 0.95), description="revenue shares closing tiers A and B"
    )
    high_frequency_days: float = Field(
        default=60, gt=0, description="3+ orders at most this many days apart: high frequency"
    )
    segment_rules: list[SegmentRule] | None = Field(
        default=None, description="replaces the segment rule table (classification.DEFAULT_RULES)"
    )

    @field_validator("abc_shares")
    @classmethod
    def _shares(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] < v[1] <= 1:
            raise ValueError("expected two shares 0 < A < B <= 1, e.g. [0.8, 0.95]")
        return v


class ValueSettings(_Step):
    """02 value: BG/NBD + Gamma-Gamma forecast."""

    unit: Literal["W", "D"] = Field(default="W", description="model time unit: weeks or days")
    horizon_months: int = Field(default=12, gt=0, description="forecast horizon of the CLV")
    annual_discount_rate: float = Field(
        default=0.10, ge=0, lt=1, description="discount rate of the CLV"
    )
    min_customers: int = Field(default=50, ge=1, description="fewer: no forecast")
    min_repeat_buyers: int = Field(default=20, ge=1, description="fewer: no forecast")
    holdout_share: float = Field(
        default=0.3, gt=0, lt=1, description="share of the history kept back to test the model"
    )


class SatisfactionSettings(_Step):
    """03 satisfaction: NPS and CSAT."""

    min_sample: int = Field(
        default=30, ge=1, description="fewer answers: the score is shown as indicative"
    )
    csat_scale: tuple[float, float] = Field(
        default=(1.0, 5.0), description="the surveys' CSAT scale; scores outside it are findings"
    )


class ServiceSettings(_Step):
    """04 service: tickets against their SLA."""

    sla: SlaHours = Field(
        default_factory=SlaHours,
        description="first_response_hours, resolution_hours (or per channel)",
    )


class SalesSettings(_Step):
    """05 sales: the funnel."""

    funnel_stages: list[str] = Field(
        default=["lead", "qualified", "proposal", "negotiation", "won"],
        min_length=2,
        description="stage names in order, the last one won",
    )


class RetentionSettings(_Step):
    """06 retention: cohorts, churn warnings, win-back list."""

    cohort_freq: Literal["month", "quarter"] = Field(default="month", description="cohort period")
    cohort_periods: int = Field(default=12, ge=1, description="columns of the cohort heatmap")
    inactive_days: int = Field(default=180, ge=1, description="no purchase this long = churned")
    overdue_multiple: float = Field(
        default=3.0, gt=0, description="warning: silent for this many usual intervals"
    )
    min_interval_days: int = Field(default=14, ge=0, description="floor for the usual interval")
    min_risk: float = Field(default=0.5, ge=0, le=1, description="win-back list: lowest risk")
    min_value_percentile: float = Field(
        default=0.5, ge=0, le=1, description="win-back list: lowest value rank in the book"
    )
    top: int = Field(default=100, ge=1, description="rows in the win-back list")
    win_back_rules: list[WinBackRule] | None = Field(
        default=None, description="replaces the win-back rules (churn.DEFAULT_RULES)"
    )


class PerformanceReviewSettings(_Step):
    """07 performance review: the KPI scorecard against targets."""

    thresholds: dict[str, float | KpiThreshold] = Field(
        default_factory=lambda: {"near": 0.05},
        description="traffic lights: {near: 0.05, <kpi>: 0.1 or {near, better: higher|lower}}",
    )
    targets: dict[str, float] = Field(
        default_factory=dict, description="KPI targets (the audit's top-level `targets`)"
    )
    min_sample: int | dict[str, int] | None = Field(
        default=None,
        description="fewest cases (customers, answers, tickets) for a light: a "
        "number, or {kpi: number}; default: the metric registry's minimum per KPI (0: judge all)",
    )
    min_slice_customers: int = Field(
        default=30,
        ge=0,
        description="region/period slices with fewer customers are marked "
        "'too few to judge' on the index",
    )
    confidence: float = Field(
        default=0.95,
        ge=0,
        lt=1,
        description="confidence level of the intervals that decide "
        "'on track within uncertainty' and significant changes (0: no intervals)",
    )

    @field_validator("thresholds")
    @classmethod
    def _near(cls, v: dict[str, float | KpiThreshold]) -> dict[str, float | KpiThreshold]:
        if isinstance(v.get("near"), KpiThreshold):
            raise ValueError("near: expected a number, the default band (e.g. 0.05)")
        return v


class ActionPlanSettings(_Step):
    """08 action plan: segments, actions, customer lists."""

    rules: list[ActionRule] | None = Field(
        default=None, description="replaces the action rules (action_plan.DEFAULT_RULES)"
    )
    mask_pii: bool = Field(
        default=True, description="names, e-mails, phones masked in actions.xlsx"
    )
    list_limit: int = Field(
        default=10_000, ge=0, description="customers per action list; 0 = no limit"
    )

    @field_validator("list_limit", mode="before")
    @classmethod
    def _no_limit(cls, v: Any) -> Any:
        return 0 if v is None else v


class AnalysisSettings(_Step):
    """The audit file's `settings:`, one block per step."""

    data_audit: DataAuditSettings = Field(default_factory=DataAuditSettings)
    classification: ClassificationSettings = Field(default_factory=ClassificationSettings)
    value: ValueSettings = Field(default_factory=ValueSettings)
    satisfaction: SatisfactionSettings = Field(default_factory=SatisfactionSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    sales: SalesSettings = Field(default_factory=SalesSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    performance_review: PerformanceReviewSettings = Field(default_factory=PerformanceReviewSettings)
    action_plan: ActionPlanSettings = Field(default_factory=ActionPlanSettings)


STEPS: tuple[str, ...] = tuple(AnalysisSettings.model_fields)
# Top-level keys of older audit files -> (step, key).
LEGACY_KEYS: dict[str, tuple[str, str]] = {
    "sla": ("service", "sla"),
    "funnel_stages": ("sales", "funnel_stages"),
    "thresholds": ("performance_review", "thresholds"),
    "targets": ("performance_review", "targets"),
    "rules": ("action_plan", "rules"),
    "mask_pii": ("action_plan", "mask_pii"),
    "list_limit": ("action_plan", "list_limit"),
    "min_sample": ("satisfaction", "min_sample"),
    "csat_scale": ("satisfaction", "csat_scale"),
    "min_slice_customers": ("performance_review", "min_slice_customers"),
}


class SettingsError(ValueError):
    """The settings do not validate; `problems` are (key path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{where}: {msg}" for where, msg in problems))


def _where(loc: tuple[Any, ...]) -> str:
    out = "settings"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("float", "int", "KpiThreshold", "dict[str,float]", "list[str]"):
            out += f".{part}"
    return out


def _message(err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        if len(loc) == 1:
            return f"unknown step or key (check the spelling); steps: {', '.join(STEPS)}"
        model = _model_at(loc[:-1])
        known = ", ".join(model.model_fields) if model else ""
        step = loc[0]
        return f"unknown key of step {step} (check the spelling)" + (
            f"; known: {known}" if known else ""
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    return msg if isinstance(got, dict | list) else f"{msg} (got {got!r})"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: Any = AnalysisSettings
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if model is None:
            return None
    return model


def normalize(raw: Mapping[str, Any] | None, strict: bool = True) -> dict[str, Any]:
    """`raw` with the legacy top-level keys moved under their step (a key already under the
    step wins). With strict=False, other unknown top-level keys are dropped (a Book's
    settings may carry more than the audit's, e.g. its targets)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SettingsError([("settings", f"expected a mapping of steps, got {raw!r}")])
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in STEPS:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise SettingsError([(f"settings.{key}", f"expected a mapping, got {value!r}")])
            out.setdefault(key, {}).update(value)
        elif key not in LEGACY_KEYS and strict:
            out[key] = value  # reported as unknown by the model
    for key, (step, name) in LEGACY_KEYS.items():
        if key in raw and raw[key] is not None:
            out.setdefault(step, {}).setdefault(name, raw[key])
    return out


def parse(
    raw: Mapping[str, Any] | AnalysisSettings | None, strict: bool = True
) -> AnalysisSettings:
    """The typed settings; raises SettingsError naming every wrong key with its step."""
    if isinstance(raw, AnalysisSettings):
        return raw
    try:
        return AnalysisSettings.model_validate(normalize(raw, strict))
    except ValidationError as e:
        found = [(_where(tuple(x["loc"])), _message(x)) for x in e.errors()]
        # A union (a number or a mapping) fails once per branch: keep the deeper message.
        deeper = [
            (w, m) for w, m in found if not any(o != w and o.startswith(w + ".") for o, _ in found)
        ]
        raise SettingsError(list(dict.fromkeys(deeper))) from None


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, Mapping) else v
    return out


def for_step(raw: Mapping[str, Any] | AnalysisSettings | None, step: str) -> dict[str, Any]:
    """One step's settings, validated, as a plain dict: what the audit gives (rule tables as
    written) over the defaults. A default of None means "the step's own rule table"."""
    if step not in STEPS:
        raise KeyError(f"no settings for step {step!r}; steps: {', '.join(STEPS)}")
    block = getattr(parse(raw, strict=False), step)
    defaults = type(block)().model_dump()
    return _merge(defaults, block.model_dump(exclude_unset=True, exclude_none=True))


# ---- documentation ------------------------------------------------------------------------


def _type_text(ann: Any) -> str:
    import re

    text = ann.__name__ if isinstance(ann, type) else str(ann)
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)  # no module paths
    text = re.sub(r"^Optional\[(.*)\]$", r"\1 | None", text)
    return text.replace(" | ", " or ").replace("NoneType", "none").replace("|", "\\|")


def _default_text(name: str, field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return ", ".join(f"{k}: {v}" for k, v in value.model_dump().items()) or "-"
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
        return str(value) if value else "none"
    if field.default is None:
        return "the step's own table" if name.endswith("rules") else "none"
    if field.default is PydanticUndefined:
        return "required"
    if isinstance(field.default, tuple | list):
        return "[" + ", ".join(str(x) for x in field.default) + "]"
    return str(field.default).lower() if isinstance(field.default, bool) else str(field.default)


def _table(model: type[BaseModel]) -> list[str]:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, f in model.model_fields.items():
        meaning = (f.description or "").replace("|", "\\|")
        lines.append(
            f"| `{name}` | {_type_text(f.annotation)} | {_default_text(name, f)} | {meaning} |"
        )
    return [*lines, ""]


def markdown() -> str:
    """docs/settings.md: every step's settings with type, default and meaning."""
    lines = [
        "# Analysis settings",
        "",
        "<!-- generated from lib/clientbook/config/settings.py by",
        "     `python -m clientbook.config.settings > docs/settings.md`; do not edit -->",
        "",
        "The audit file's `settings:` holds one block per step. Every key is optional (the "
        "default below applies); an unknown key is an error that `clientbook validate` "
        "reports with its step. Example:",
        "",
        "```yaml",
        "settings:",
        "  value: {horizon_months: 24}",
        "  service: {sla: {first_response_hours: {default: 4, chat: 0.5}}}",
        "  action_plan: {mask_pii: false}",
        "```",
        "",
        "Older audit files may put these keys at the top of `settings:`; they are read as if "
        "written under their step: "
        + ", ".join(f"`{k}` -> `{s}.{n}`" for k, (s, n) in LEGACY_KEYS.items())
        + ".",
        "",
    ]
    for step, field in AnalysisSettings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        lines += [f"## `{step}`", "", inspect.cleandoc(model.__doc__ or ""), ""]
        if model.model_fields:
            lines += _table(model)
    lines += ["## Rule tables and nested settings", ""]
    for model in (SegmentRule, WinBackRule, ActionRule, KpiThreshold, SlaHours):
        lines += [
            f"### {model.__name__}",
            "",
            inspect.cleandoc(model.__doc__ or ""),
            "",
            *_table(model),
        ]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
