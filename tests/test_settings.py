"""Typed analysis settings: one model per step with today's defaults, validated when the audit
file is loaded (a misspelled key fails `clientbook validate`, naming the key and the step),
read by the steps, and documented from the models."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from clientbook.config import audit_file, resources
from clientbook.config import settings as cfg
from clientbook.steps import (
    action_plan,
    classification,
    performance_review,
    retention,
    sales,
    satisfaction,
    service,
    value,
)

REPO = Path(__file__).resolve().parents[1]


def test_one_model_per_step_and_one_field_per_step_model():
    playbooks = sorted(resources.playbooks_dir().glob("[0-9][0-9]_*.ipynb"))
    steps = [audit_file.step_name(p) for p in playbooks]
    assert list(cfg.AnalysisSettings.model_fields) == steps  # in playbook order
    for step in steps:
        model = cfg.AnalysisSettings.model_fields[step].annotation
        assert model.model_config["extra"] == "forbid", step


def test_the_models_hold_the_defaults_the_steps_use():
    d = cfg.AnalysisSettings()
    assert d.value.model_dump() == value.DEFAULTS
    assert d.retention.model_dump() == retention.DEFAULTS
    assert tuple(d.sales.funnel_stages) == sales.DEFAULT_STAGES
    assert d.service.sla.model_dump() == service.DEFAULT_SLA
    assert d.satisfaction.min_sample == satisfaction.MIN_SAMPLE
    assert d.performance_review.thresholds == {"near": performance_review.DEFAULT_NEAR}
    assert d.action_plan.list_limit == action_plan.DEFAULT_LIST_LIMIT
    assert d.action_plan.mask_pii is True and d.action_plan.rules is None
    tiers = inspect.signature(classification.value_tiers).parameters
    assert d.classification.abc_shares == (tiers["a_share"].default, tiers["b_share"].default)
    behaviour = inspect.signature(classification.behaviour_classes).parameters
    assert d.classification.high_frequency_days == behaviour["high_frequency_days"].default
    # the default rule tables themselves validate against the rule models
    for rule in classification.DEFAULT_RULES:
        cfg.SegmentRule.model_validate(rule)
    for rule in action_plan.DEFAULT_RULES:
        cfg.ActionRule.model_validate(rule)
    from clientbook.steps import churn

    for rule in churn.DEFAULT_RULES:
        cfg.WinBackRule.model_validate(rule)


def _audit(tmp_path: Path, settings: str) -> Path:
    p = tmp_path / "a.yaml"
    p.write_text(
        f"client: X\nsources: {{orders: {{path: o.csv}}}}\nsettings:\n{settings}\n",
        encoding="utf-8",
    )
    return p


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ("  value: {horizon_month: 24}", "settings.value.horizon_month: unknown key of step value"),
        (
            "  retention: {inactive_day: 90}",
            "settings.retention.inactive_day: unknown key of step retention",
        ),
        ("  valeu: {horizon_months: 24}", "settings.valeu: unknown step or key"),
        (
            "  action_plan: {rules: [{segment: x, action: y, wen: {tier: A}}]}",
            "settings.action_plan.rules[0].wen: unknown key of step action_plan",
        ),
        (
            "  sla: {first_respons_hours: 2}",  # an older top-level key, read under its step
            "settings.service.sla.first_respons_hours: unknown key of step service",
        ),
        (
            "  performance_review: {thresholds: {nps: {better: up}}}",
            "settings.performance_review.thresholds.nps.better: "
            "Input should be 'higher' or 'lower'",
        ),
        (
            "  classification: {abc_shares: [0.95, 0.8]}",
            "settings.classification.abc_shares: expected two shares 0 < A < B <= 1",
        ),
    ],
)
def test_load_names_the_wrong_key_and_its_step_on_one_line(tmp_path, settings, line):
    with pytest.raises(audit_file.AuditFileError) as e:
        audit_file.load(_audit(tmp_path, settings))
    lines = str(e.value).splitlines()
    assert lines[0].endswith("the audit file has 1 problem(s):")
    assert len(lines) == 2 and lines[1].startswith(f"  - {line}"), lines


def test_every_problem_at_once(tmp_path):
    with pytest.raises(audit_file.AuditFileError) as e:
        audit_file.load(
            _audit(
                tmp_path, "  value: {horizon_month: 24, unit: M}\n  sales: {funnel_stages: [won]}"
            )
        )
    text = str(e.value)
    assert "3 problem(s)" in text
    assert "settings.value.horizon_month" in text and "settings.value.unit" in text
    assert "settings.sales.funnel_stages" in text


def test_clientbook_validate_fails_with_one_line_and_no_traceback(tmp_path):
    audit = _audit(tmp_path, "  value: {horizon_month: 24}")
    done = subprocess.run(
        [sys.executable, "-m", "clientbook.run.cli", "validate", str(audit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    wrong = [ln for ln in done.stderr.splitlines() if "horizon_month" in ln]
    assert len(wrong) == 1 and "step value" in wrong[0]


def test_the_demo_audits_validate():
    for lang in ("en", "zh"):
        a = audit_file.load(resources.demo_audit(lang))
        assert a.analysis == cfg.AnalysisSettings()


def test_steps_read_the_validated_values():
    given = {
        "value": {"horizon_months": 24},
        "retention": {"inactive_days": 90},
        "sales": {"funnel_stages": ["lead", "won"]},
        "service": {"sla": {"first_response_hours": {"default": 2, "chat": 0.5}}},
        "satisfaction": {"min_sample": 5},
        "performance_review": {"thresholds": {"near": 0.2}},
        "action_plan": {"mask_pii": False, "list_limit": 0},
    }
    assert value.settings(given)["horizon_months"] == 24
    assert value.settings(given)["unit"] == "W"  # the rest stays at its default
    assert retention.settings(given)["inactive_days"] == 90
    assert sales.stages_from(given) == ["lead", "won"]
    sla = service.sla_targets(given)
    assert (sla.first_response("chat"), sla.first_response("phone")) == (0.5, 2.0)
    assert sla.resolution("chat") == 48.0  # not given: the default, not dropped
    assert performance_review.setting(given, "min_sample", 30, "satisfaction") == 5
    assert performance_review.near_band(given) == 0.2
    assert action_plan.masking_on(given) is False
    assert action_plan.list_limit(given) is None  # 0 = no limit
    assert action_plan.list_limit({}) == 10_000
    assert action_plan.rules_from({}) is action_plan.DEFAULT_RULES


def test_older_top_level_keys_are_read_under_their_step_and_the_step_wins():
    old = {
        "sla": {"first_response_hours": 8},
        "funnel_stages": ["a", "b", "won"],
        "mask_pii": False,
        "min_sample": 7,
        "targets": {"nps": 30},
    }
    s = cfg.parse(old)
    assert s.service.sla.first_response_hours == 8
    assert s.sales.funnel_stages == ["a", "b", "won"]
    assert s.action_plan.mask_pii is False and s.satisfaction.min_sample == 7
    assert s.performance_review.targets == {"nps": 30}
    both = cfg.parse({"mask_pii": False, "action_plan": {"mask_pii": True}})
    assert both.action_plan.mask_pii is True


def test_a_books_extra_top_level_keys_are_ignored_but_step_keys_are_checked():
    # Book.settings carries the audit's targets and, in hand-built books, other keys.
    assert cfg.for_step({"churn_rate": 0, "value": {"unit": "D"}}, "value")["unit"] == "D"
    with pytest.raises(ValueError, match=r"settings\.value\.horizon_month"):
        value.settings({"value": {"horizon_month": 1}})
    with pytest.raises(cfg.SettingsError):
        cfg.parse({"churn_rate": 0})  # the audit file itself is strict


def test_rule_tables_come_back_as_written():
    mine = [{"segment": "x", "action": "y", "when": {"tier": "A"}}]
    assert action_plan.rules_from({"action_plan": {"rules": mine}}) == mine
    seg = [{"segment": "all", "r": [1, 5]}]
    assert cfg.for_step({"classification": {"segment_rules": seg}}, "classification")[
        "segment_rules"
    ] == [{"segment": "all", "r": (1, 5)}]


def test_the_settings_doc_is_generated_from_the_models():
    doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert doc == cfg.markdown(), "run: python -m clientbook.config.settings > docs/settings.md"
    for step, field in cfg.AnalysisSettings.model_fields.items():
        assert f"## `{step}`" in doc
        for key in field.annotation.model_fields:
            assert f"| `{key}` |" in doc, (step, key)
