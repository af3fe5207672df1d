"""Chinese complete: value labels through the catalogue, no Markdown syntax leaking into a
report, and a zh report whose visible text has no English words outside an allow-list."""

from __future__ import annotations

import re
import string

import pandas as pd
import pytest

from clientbook.present import i18n


class _Any(dict):
    def __missing__(self, key: str) -> str:
        return "12"


def _filled(text: str) -> str:
    return string.Formatter().vformat(text, (), _Any()) if "{" in text else text


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_no_markdown_syntax_survives_rendering(lang):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    leaks = []
    for key, text in i18n.catalogue(lang).items():
        if "**" not in text and "__" not in text:
            continue
        shown = re.sub(r"<[^>]+>", "", markdown2html_mistune(_filled(text)))
        if "**" in shown:
            leaks.append(key)
    assert not leaks


def test_value_labels_known_vocabularies():
    assert i18n.value_label("channel", "chat", "zh") == "在线客服"
    assert i18n.value_label("category", "Complaint", "zh") == "投诉"
    assert i18n.value_label("stage", "negotiation", "zh") == "谈判"
    assert i18n.value_label("region", "Unknown", "zh") == "未知"  # the common default
    assert i18n.value_label("channel", "chat", "en") == "Chat"
    assert i18n.value_label("channel", "线上商城", "zh") == "线上商城"  # the client's own word
    assert i18n.value_label("channel", None, "zh") == ""
    df = pd.DataFrame({"channel": ["phone", "fax"], "n": [1, 2]})
    out = i18n.value_labels(df, {"channel": "channel", "absent": "stage"}, "zh")
    assert out["channel"].tolist() == ["电话", "fax"] and out["n"].tolist() == [1, 2]


def test_every_value_label_has_both_languages():
    en = {k for k in i18n.catalogue("en") if k.startswith("values.")}
    zh = {k for k in i18n.catalogue("zh") if k.startswith("values.")}
    assert en == zh and len(en) >= 30


# English words a Chinese reader may see: units and method names, the data contract's column
# identifiers (the data audit names them next to the client's headers), the client's own values.
ALLOWED = {
    "RFM",
    "ABC",
    "CLV",
    "NPS",
    "CSAT",
    "SLA",
    "KPI",
    "FCR",
    "ID",
    "BG",
    "NBD",
    "Gamma",
    "Wilson",
    "Pareto",
    "PII",
    "P",
    "R",
    "F",
    "M",
    "A",
    "B",
    "C",
    "x",
    "pp",
    "Excel",
    "PDF",
    "PowerPoint",
    "clientbook",
    "Small",
    "Co",
    "mask_pii",
    "xlsx",
    "csv",
}


def _contract_names() -> set[str]:
    from clientbook.data.contract import SCHEMAS

    return {c.name for cols in SCHEMAS.values() for c in cols}


def _visible_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    return soup.get_text(" ")


def english_words(text: str, allowed: set[str]) -> set[str]:
    """ASCII words of two letters or more that are not IDs (digits), file names or allowed."""
    out = set()
    for w in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text):
        w = w.strip(".-_")
        if any(ch.isdigit() for ch in w) or "." in w or len(w) < 2:
            continue
        if w in allowed or w.lower() in allowed:
            continue
        out.add(w)
    return out


def test_english_words_finds_what_it_should():
    assert english_words(
        "共 12 位客户 Unknown 渠道 chat，C000123 文件 orders.csv RFM", {"RFM"}
    ) == {"Unknown", "chat"}


def test_a_small_chinese_report_reads_chinese(tmp_path):
    from clientbook.config import audit_file as audit_mod
    from clientbook.run import runner
    from conftest import write_audit, write_small_export

    export = tmp_path / "export"
    write_small_export(export)
    cust = pd.read_csv(export / "customers.csv", dtype=str)
    cust.loc[cust.index[-1], "region"] = None  # one customer without a region: "Unknown"
    cust.to_csv(export / "customers.csv", index=False)
    rows = []
    for i, c in enumerate(cust["customer_id"]):
        opened = pd.Timestamp("2025-01-05") + pd.Timedelta(days=3 * i)
        rows.append(
            (
                f"T{i:03d}",
                c,
                ["phone", "email", "chat"][i % 3],
                opened,
                opened + pd.Timedelta(hours=1 + i % 5),
                opened + pd.Timedelta(hours=20 + i),
                ["complaint", "question"][i % 2],
            )
        )
    pd.DataFrame(
        rows,
        columns=[
            "ticket_id",
            "customer_id",
            "channel",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "category",
        ],
    ).to_csv(export / "tickets.csv", index=False)
    path = write_audit(
        tmp_path / "small.yaml",
        export,
        "lang: zh\ncurrency: CNY\nsteps: [data_audit, classification, service]\n",
    )
    text = path.read_text().replace(
        "slicing: {by: [region, period], period: quarter}", "slicing: {by: [region]}"
    )
    text = text.replace("sources:\n", f"sources:\n  tickets:\n    path: {export / 'tickets.csv'}\n")
    path.write_text(text, encoding="utf-8")
    summary = runner.run(audit_mod.load(path), tmp_path / "out", jobs=1, show_progress=False)
    assert summary.failures == []
    root = tmp_path / "out" / "small"
    allowed = ALLOWED | _contract_names() | {"East", "North"}  # the client's region names
    page = _visible_text((root / "slices" / "all" / "report.html").read_text(encoding="utf-8"))
    assert "客户分类" in page and "**" not in page
    assert english_words(page, allowed) == set()
    index = _visible_text((root / "index.html").read_text(encoding="utf-8"))
    assert english_words(index, allowed) == set()
