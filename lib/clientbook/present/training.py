"""Training mode: the same playbooks, as a trainer walks a class through the method.

In a playbook, trainer-facing text comes from the catalogue (`messages/<lang>/training.yaml`)
and is shown from code cells tagged `training`, so it follows the run's `lang`:

    training.intro("classification")          # what the step is for, its decision, its charts
    training.mistake("classification.relative_scores")   # a common mistake, where it happens
    training.exercise("classification.champions")        # an exercise question

Exercises are a markdown cell and a code cell to fill, both tagged `exercise`; the answer is a
code cell tagged `solution` right after them. Client deliverables drop every cell carrying one
of `TRAINING_TAGS`; the training handbook (`render_handbook`) keeps them all, shows the code
and folds each solution into a `<details>` block (`clientbook.deliver.handbook`).
"""

from __future__ import annotations

import json
from typing import Any

import nbformat
from nbformat import NotebookNode

from clientbook.present import i18n

TRAINING_TAGS = frozenset({"training", "exercise", "solution"})
PARAMETER_TAGS = frozenset({"injected-parameters"})
# Where each step sits in the 5S cycle (screen, satisfy, serve, sell, statistics); the action
# plan closes the cycle.
STAGES = {
    "data_audit": "screen",
    "classification": "screen",
    "value": "screen",
    "satisfaction": "satisfy",
    "service": "serve",
    "retention": "serve",
    "sales": "sell",
    "performance_review": "statistics",
    "action_plan": "act",
}


# ---- in the playbook ----------------------------------------------------------------------


def _key(key: str) -> str:
    return key if key.startswith("training.") else f"training.{key}"


def _callout(kind: str, body: str) -> str:
    """A labelled Markdown block quote (renders the same in JupyterLab and in the handbook)."""
    label = i18n.t(f"training.label.{kind}")
    lines = [f"**{label}** {body.strip().splitlines()[0]}", *body.strip().splitlines()[1:]]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _show(markdown: str) -> None:
    from IPython.display import display

    display({"text/markdown": markdown, "text/plain": markdown}, raw=True)


def note(key: str, **fields: Any) -> None:
    """Show one trainer note from the catalogue (`training.<step>.<name>`)."""
    _show(_callout("note", i18n.t(_key(key), **fields)))


def _kind_key(key: str, kind: str) -> str:
    """`step.name` -> `training.<step>.<kind>.<name>` (a full key passes unchanged)."""
    k = _key(key)
    if f".{kind}." not in k:
        step, name = k.removeprefix("training.").split(".", 1)
        k = f"training.{step}.{kind}.{name}"
    return k


def mistake(key: str, **fields: Any) -> None:
    """Call out a common mistake where it happens (`training.<step>.mistake.<name>`)."""
    _show(_callout("mistake", i18n.t(_kind_key(key, "mistake"), **fields)))


def exercise(key: str, **fields: Any) -> None:
    """Show an exercise question (`training.<step>.exercise.<name>`)."""
    _show(_callout("exercise", i18n.t(_kind_key(key, "exercise"), **fields)))


def intro_markdown(step: str) -> str:
    """What the step is for in the method, the decision it supports, how to read its charts."""
    stage = STAGES.get(step, "screen")
    parts = [
        f"**{i18n.t('training.label.stage')}** {i18n.t(f'training.stage.{stage}')}",
        f"**{i18n.t('training.label.purpose')}** {i18n.t(f'training.{step}.purpose')}",
        f"**{i18n.t('training.label.decision')}** {i18n.t(f'training.{step}.decision')}",
        f"**{i18n.t('training.label.charts')}** {i18n.t(f'training.{step}.charts')}",
    ]
    return "\n>\n".join("> " + p.strip().replace("\n", "\n> ") for p in parts)


def intro(step: str) -> None:
    """The opening trainer note of a playbook."""
    _show(intro_markdown(step))


# ---- notebooks ----------------------------------------------------------------------------


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def role(cell: Any) -> str | None:
    """'solution', 'exercise' or 'training' for a training cell, None for a client cell."""
    tags = _tags(cell)
    for r in ("solution", "exercise", "training"):
        if r in tags:
            return r
    return None


def client_notebook(nb: NotebookNode) -> NotebookNode:
    """A copy without any training, exercise or solution cell (what a client run may execute)."""
    out = nbformat.from_dict(json.loads(json.dumps(nb)))
    out.cells = [c for c in out.cells if not _tags(c) & TRAINING_TAGS]
    return out
