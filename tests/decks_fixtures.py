"""Executed-playbook look-alikes for the slides / deck / browser tests.

They carry outputs exactly as `playbook.chart`, `playbook.table` and `playbook.say` display
them, plus the cells a papermill run adds, so the renderers can be tested before (and
independently of) the real runner.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import nbformat
import pandas as pd

from clientbook.present import style

matplotlib.use("Agg")

TEXT = {
    "en": {
        "heading": "## Customer segments",
        "intro": "We grouped customers by recency, frequency and value.",
        "chart_headline": "Champions bring 61% of revenue",
        "chart_notes": "Protect this group first.",
        "x": ["Champions", "At risk", "New"],
        "title": "Revenue by segment",
        "after": "Most at-risk customers were champions a year ago.",
        "table_headline": "Segment scorecard",
        "columns": ["Segment", "Customers", "Revenue"],
        "heading2": "## Service quality",
        "chart2_headline": "First-contact resolution fell to 71%",
    },
    "zh": {
        "heading": "## 客户细分",
        "intro": "我们按最近购买、频率和金额对客户分组。",
        "chart_headline": "冠军客户贡献 61% 的收入",
        "chart_notes": "优先保护这一群体。",
        "x": ["冠军客户", "流失风险", "新客户"],
        "title": "各细分收入",
        "after": "多数流失风险客户一年前是冠军客户。",
        "table_headline": "细分记分卡",
        "columns": ["细分", "客户数", "收入"],
        "heading2": "## 服务质量",
        "chart2_headline": "首次解决率降至 71%",
    },
}
ROWS = [["A", 120, 61000.0], ["B", 80, 25000.5], ["C", 200, 14000.0]]


def chart_png(lang: str, title: str, x: list[str]) -> str:
    style.apply(lang)
    f, ax = style.fig(6, 3)
    ax.bar(x, [61.0, 25.0, 14.0])
    ax.set_title(title)
    buf = io.BytesIO()
    f.savefig(buf, format="png")
    matplotlib.pyplot.close(f)
    style.apply("en")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def md_out(text: str):
    return nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": text})


def chart_out(headline: str, notes: str, png: str):
    return nbformat.v4.new_output(
        "display_data",
        data={"image/png": png, "text/plain": headline},
        metadata={"clientbook": {"kind": "chart", "headline": headline, "notes": notes}},
    )


def table_out(headline: str, columns: list[str], rows: list[list]):
    # As playbook.table shows it: the headline above the table, for the report.
    df = pd.DataFrame(rows, columns=columns)
    html = df.to_html(index=False, classes="cb-table", border=0, na_rep="")
    return nbformat.v4.new_output(
        "display_data",
        data={
            "text/html": f"<h4 class='cb-headline'>{headline}</h4>{html}",
            "text/plain": headline,
        },
        metadata={
            "clientbook": {
                "kind": "table",
                "headline": headline,
                "notes": "",
                "columns": columns,
                "rows": rows,
            }
        },
    )


def executed_playbook(lang: str = "en", rows: list[list] | None = None):
    """Step 1: heading, intro, a chart with notes, narrative, a table; plus papermill cells."""
    x = TEXT[lang]
    rows = ROWS if rows is None else rows
    training = nbformat.v4.new_markdown_cell("# Trainer: explain RFM before running this")
    training.metadata["tags"] = ["training"]
    params = nbformat.v4.new_code_cell('dataset_dir = ""\nslice_id = "all"\nlang = "en"')
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell('# Parameters\nslice_id = "region-north"\n')
    injected.metadata["tags"] = ["injected-parameters"]
    injected.outputs = [nbformat.v4.new_output("stream", name="stdout", text="INJECTED\n")]
    c1 = nbformat.v4.new_code_cell(
        "playbook.say('rfm.heading')", outputs=[md_out(x["heading"] + "\n\n" + x["intro"])]
    )
    c2 = nbformat.v4.new_code_cell(
        "playbook.chart(fig, ...)",
        outputs=[
            chart_out(x["chart_headline"], x["chart_notes"], chart_png(lang, x["title"], x["x"])),
            nbformat.v4.new_output("stream", name="stderr", text="some warning\n"),
        ],
    )
    c3 = nbformat.v4.new_code_cell("playbook.say('rfm.after')", outputs=[md_out(x["after"])])
    c4 = nbformat.v4.new_code_cell(
        "playbook.table(df, ...)", outputs=[table_out(x["table_headline"], x["columns"], rows)]
    )
    nb = nbformat.v4.new_notebook(cells=[training, params, injected, c1, c2, c3, c4])
    nb.metadata["papermill"] = {"input_path": "playbooks/02_segments.ipynb"}
    return nb


def second_playbook(lang: str = "en"):
    """Step 2: one chart; plus a step with no key content (its table is missing)."""
    x = TEXT[lang]
    c1 = nbformat.v4.new_code_cell("say", outputs=[md_out(x["heading2"])])
    c2 = nbformat.v4.new_code_cell(
        "chart", outputs=[chart_out(x["chart2_headline"], "", chart_png(lang, x["title"], x["x"]))]
    )
    return nbformat.v4.new_notebook(cells=[c1, c2])


def missing_playbook():
    out = md_out("## Leads\n\nThis step needs leads.")
    c1 = nbformat.v4.new_code_cell("missing", outputs=[out])
    return nbformat.v4.new_notebook(cells=[c1])


def playbooks(lang: str = "en"):
    return [executed_playbook(lang), missing_playbook(), second_playbook(lang)]
