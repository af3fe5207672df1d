"""`clientbook init`: from a client's export files to a first, commented audit file.

For every file: how to read it (`sniff`), which canonical table it is, and which header feeds
which canonical column (exact names, English and Chinese synonyms, or a vendor preset from
`presets/*.yaml`). Every guess is written with how sure it is; a required column that
nothing maps to is written as `TODO`, which `clientbook validate` reports until it is fixed.
Nothing is guessed silently: the audit file is the record of what was assumed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from clientbook.data import sniff as sniff_mod
from clientbook.data.contract import SCHEMAS

PRESETS_DIR = Path(__file__).parent / "presets"
TODO = "TODO"
READABLE = {".csv", ".txt", ".tsv", ".dat", ".xlsx", ".xlsm", ".parquet", ".pq"}

# Header synonyms per canonical column (compared without case, spaces, '_', '-', '.', '#').
_ID = [
    "customer id",
    "customer",
    "customer no",
    "customer number",
    "customer code",
    "client",
    "client id",
    "cust id",
    "account id",
    "buyer",
    "member id",
    "客户编号",
    "客户id",
    "客户",
    "客户代码",
    "客户号",
    "会员编号",
    "会员id",
]
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "orders": {
        "order_id": [
            "order id",
            "order no",
            "order number",
            "order",
            "invoice",
            "invoice no",
            "invoice number",
            "transaction id",
            "订单号",
            "订单编号",
            "单号",
            "销售单号",
        ],
        "customer_id": _ID,
        "order_date": [
            "order date",
            "date",
            "invoice date",
            "transaction date",
            "purchase date",
            "order time",
            "下单日期",
            "订单日期",
            "下单时间",
            "日期",
            "成交日期",
            "销售日期",
        ],
        "amount": [
            "amount",
            "sales",
            "net amount",
            "revenue",
            "total",
            "order total",
            "net sales",
            "line total",
            "金额",
            "销售额",
            "订单金额",
            "实付金额",
            "成交金额",
            "销售金额",
        ],
        "product": [
            "product",
            "product name",
            "item",
            "item name",
            "description",
            "产品",
            "产品名称",
            "商品",
            "商品名称",
        ],
        "category": ["category", "product category", "类别", "品类", "产品类别", "分类"],
        "quantity": ["quantity", "qty", "units", "items sold", "数量", "件数", "销量"],
        "unit_price": ["unit price", "price", "单价", "销售单价"],
        "cost": ["cost", "cogs", "成本"],
        "profit": ["profit", "margin", "gross profit", "利润", "毛利"],
        "region": ["region", "area", "territory", "区域", "地区", "大区", "销售区域"],
        "channel": ["channel", "sales channel", "渠道", "销售渠道"],
        "segment": ["segment", "customer segment", "customer type", "客户类型", "客户分群", "细分"],
    },
    "customers": {
        "customer_id": _ID,
        "name": [
            "name",
            "customer name",
            "company",
            "company name",
            "account name",
            "客户名称",
            "名称",
            "公司名称",
            "客户姓名",
        ],
        "region": ["region", "area", "territory", "区域", "地区", "大区"],
        "channel": ["channel", "acquisition channel", "渠道"],
        "signup_date": [
            "signup date",
            "sign up date",
            "registration date",
            "created",
            "created date",
            "create date",
            "customer since",
            "注册日期",
            "注册时间",
            "创建时间",
            "开户日期",
        ],
        "industry": ["industry", "行业", "所属行业"],
        "segment": ["segment", "customer segment", "customer type", "客户类型", "客户级别"],
        "city": ["city", "城市"],
        "email": ["email", "e-mail", "email address", "邮箱", "电子邮件", "邮件"],
        "phone": ["phone", "telephone", "mobile", "phone number", "电话", "手机", "联系电话"],
    },
    "surveys": {
        "response_id": ["response id", "survey id", "answer id", "问卷编号", "回访编号"],
        "customer_id": _ID,
        "survey_date": [
            "survey date",
            "response date",
            "answered at",
            "date",
            "调查日期",
            "回访日期",
        ],
        "nps_score": [
            "nps",
            "nps score",
            "likelihood to recommend",
            "recommend",
            "推荐意愿",
            "推荐度",
            "nps评分",
        ],
        "csat_score": ["csat", "csat score", "satisfaction", "满意度", "满意度评分"],
        "comment": ["comment", "comments", "feedback", "remarks", "评论", "意见", "留言"],
        "ticket_id": ["ticket id", "case id", "工单号"],
    },
    "tickets": {
        "ticket_id": ["ticket id", "case id", "case number", "ticket", "工单号", "工单编号"],
        "customer_id": _ID,
        "channel": ["channel", "origin", "case origin", "渠道", "来源渠道"],
        "opened_at": [
            "opened at",
            "opened",
            "created",
            "created at",
            "open date",
            "创建时间",
            "开单时间",
            "受理时间",
        ],
        "first_response_at": [
            "first response",
            "first response at",
            "first reply",
            "首次响应时间",
            "首次回复时间",
        ],
        "resolved_at": [
            "resolved at",
            "resolved",
            "closed at",
            "closed date",
            "resolution date",
            "解决时间",
            "关闭时间",
        ],
        "contacts": ["contacts", "contact count", "联系次数"],
        "reopened": ["reopened", "reopen count", "重开次数"],
        "category": ["category", "type", "case type", "类型", "问题类型"],
        "priority": ["priority", "优先级"],
    },
    "leads": {
        "lead_id": ["lead id", "opportunity id", "deal id", "线索编号", "商机编号"],
        "created_date": ["created date", "create date", "created", "创建日期", "创建时间"],
        "stage": ["stage", "deal stage", "pipeline stage", "阶段", "销售阶段"],
        "status": ["status", "lead status", "状态"],
        "closed_date": ["close date", "closed date", "closing date", "关闭日期", "成交日期"],
        "owner": ["owner", "lead owner", "sales rep", "负责人", "销售"],
        "region": ["region", "territory", "区域"],
        "source": ["source", "lead source", "来源", "线索来源"],
        "amount": ["amount", "deal value", "value", "金额", "商机金额"],
        "customer_id": _ID,
    },
    "targets": {
        "kpi": ["kpi", "指标"],
        "target": ["target", "goal", "目标"],
        "region": ["region", "区域"],
        "period": ["period", "期间"],
    },
    "marketing": {
        "period": ["period", "month", "quarter", "期间"],
        "spend": ["spend", "marketing spend", "budget", "营销费用", "花费"],
        "region": ["region", "区域"],
    },
}
# Words in a file or sheet name that say which table it is.
NAME_HINTS: dict[str, list[str]] = {
    "orders": ["order", "sales", "transaction", "invoice", "订单", "销售"],
    "customers": ["customer", "client", "account", "contact", "客户", "会员"],
    "surveys": ["survey", "nps", "feedback", "response", "问卷", "满意度", "回访"],
    "tickets": ["ticket", "case", "service", "support", "工单", "服务"],
    "leads": ["lead", "opportunit", "deal", "pipeline", "线索", "商机"],
    "targets": ["target", "goal", "目标"],
    "marketing": ["marketing", "spend", "campaign", "营销"],
}


def norm(text: str) -> str:
    """'Order No.' -> 'orderno'; Chinese kept as is."""
    return re.sub(r"[\s_\-.#:/()（）]+", "", str(text).strip().lower())


@dataclass
class Match:
    header: str
    sure: str  # sure | likely | guess | preset
    why: str


@dataclass
class Plan:
    """What init decided for one file (or sheet)."""

    sniffed: sniff_mod.Sniffed
    table: str | None
    table_sure: str
    table_why: str
    columns: dict[str, Match] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)  # required columns nothing maps to
    extra: dict[str, Any] = field(default_factory=dict)  # preset options (where, derive, ...)
    unused: list[str] = field(default_factory=list)
    extra_why: str = "preset"


def map_headers(headers: list[str], table: str) -> dict[str, Match]:
    """Canonical column -> the client's header, best match first, each header used once."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm(h), h)
    candidates: list[tuple[int, int, str, Match]] = []
    cols = sorted(SCHEMAS[table], key=lambda c: not c.required)
    for order, col in enumerate(cols):
        if norm(col.name) in by_norm:
            candidates.append(
                (3, -order, col.name, Match(by_norm[norm(col.name)], "sure", "canonical name"))
            )
        for syn in SYNONYMS.get(table, {}).get(col.name, []):
            if norm(syn) in by_norm:
                candidates.append(
                    (
                        2,
                        -order,
                        col.name,
                        Match(by_norm[norm(syn)], "likely", f"synonym of {col.name}"),
                    )
                )
    out: dict[str, Match] = {}
    used: set[str] = set()
    for _, _, name, m in sorted(candidates, key=lambda x: (-x[0], -x[1])):
        if name in out or m.header in used:
            continue
        out[name] = m
        used.add(m.header)
    return out


def score_table(headers: list[str], name: str, table: str) -> tuple[float, dict[str, Match]]:
    mapped = map_headers(headers, table)
    required = [c.name for c in SCHEMAS[table] if c.required]
    got = sum(c in mapped for c in required)
    optional = len(mapped) - got
    hint = any(h in name.lower() for h in NAME_HINTS[table])
    score = 10 * got / len(required) + 0.5 * optional + (4 if hint else 0)
    if got < len(required) and not hint:
        score -= 5  # a table whose required columns are missing needs its name to say so
    return score, mapped


def load_preset(name: str) -> dict[str, Any]:
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(PRESETS_DIR.glob("*.yaml")))
        raise ValueError(f"--preset {name!r}: unknown; presets are {known}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def presets() -> dict[str, str]:
    """Preset name -> what it is for."""
    return {
        p.stem: yaml.safe_load(p.read_text(encoding="utf-8")).get("title", p.stem)
        for p in sorted(PRESETS_DIR.glob("*.yaml"))
    }


def _plan_preset(sn: sniff_mod.Sniffed, preset: dict[str, Any], taken: set[str]) -> Plan | None:
    headers = {norm(h): h for h in sn.headers}
    best: tuple[float, dict[str, Any]] | None = None
    for entry in preset.get("files", []):
        if entry["table"] in taken:
            continue
        wanted = [str(h) for h in entry.get("columns", {}).values()]
        found = sum(norm(h) in headers for h in wanted)
        share = found / max(len(wanted), 1)
        hint = any(m.lower() in sn.path.name.lower() for m in entry.get("match", []))
        score = share + (0.5 if hint else 0)
        if share >= 0.5 and (best is None or score > best[0]):
            best = (score, entry)
    if best is None:
        return None
    entry = best[1]
    plan = Plan(
        sn,
        entry["table"],
        "sure" if best[0] >= 1 else "likely",
        f"preset {preset['name']}: {entry.get('what', entry['table'])}",
    )
    for canonical, header in entry.get("columns", {}).items():
        if norm(str(header)) in headers:
            plan.columns[canonical] = Match(
                headers[norm(str(header))], "preset", f"preset {preset['name']}"
            )
    plan.extra = {
        k: v
        for k, v in entry.items()
        if k in ("where", "derive", "dayfirst", "date_format", "decimal")
    }
    return plan


def guess_positional(sn: sniff_mod.Sniffed) -> tuple[dict[str, Match], dict] | None:
    """Orders columns of a file without a header, from what the values look like: a date
    column, an amount column (decimals), a quantity column (small whole numbers) and a
    customer column (the first other one). None when no date and amount column is found."""
    if sn.options.get("header") is None or sn.options["header"].value != "none":
        return None
    from clientbook.data import intake

    sample = sn.sample.astype("string")
    cols: dict[str, Match] = {}
    for c in sample.columns:
        v = sample[c].str.strip().dropna()
        if v.empty:
            continue
        if "order_date" not in cols and (intake._shapes(v) != "text").mean() > 0.9:
            cols["order_date"] = Match(
                str(c), "guess", f"column {c} holds dates, e.g. {v.iloc[0]!r}"
            )
        elif "amount" not in cols and v.str.match(r"^-?\d+[.,]\d+$").mean() > 0.5:
            cols["amount"] = Match(
                str(c), "guess", f"column {c} holds decimals, e.g. {v.iloc[0]!r}"
            )
    if "order_date" not in cols or "amount" not in cols:
        return None
    used = {m.header for m in cols.values()}
    for c in sample.columns:
        v = sample[c].str.strip().dropna()
        if str(c) in used or v.empty:
            continue
        small = v.str.fullmatch(r"-?[1-9]\d{0,3}").mean() > 0.9
        if "quantity" not in cols and small and "customer_id" in cols:
            cols["quantity"] = Match(str(c), "guess", f"column {c} holds small whole numbers")
        elif "customer_id" not in cols:
            cols["customer_id"] = Match(
                str(c), "guess", f"column {c} is the first other column, e.g. {v.iloc[0]!r}"
            )
    if "customer_id" not in cols:
        return None
    return cols, {"order_id": ["customer_id", "order_date"]}


def plan_files(paths: list[Path], preset: str | None = None) -> tuple[list[Plan], list[str]]:
    """Sniff every file, decide its table and column mapping. Returns plans and notes."""
    notes: list[str] = []
    sniffed: list[sniff_mod.Sniffed] = []
    for p in paths:
        for sn in sniff_mod.sniff(p):
            if sn.problem:
                notes.append(f"{p}: {sn.problem} (left out)")
            else:
                sniffed.append(sn)
    pre = load_preset(preset) if preset else None
    plans: list[Plan] = []
    taken: set[str] = set()
    rest: list[sniff_mod.Sniffed] = []
    for sn in sniffed:
        plan = _plan_preset(sn, pre, taken) if pre else None
        if plan:
            taken.add(plan.table or "")
            plans.append(plan)
        else:
            rest.append(sn)
    # Every (file, table) pair scored; the best pairs first, one file per table.
    scored = []
    for i, sn in enumerate(rest):
        label = sn.path.stem + " " + (sn.sheet or "")
        for table in SCHEMAS:
            s, mapped = score_table(sn.headers, label, table)
            scored.append((s, i, table, mapped))
    done: set[int] = set()
    for s, i, table, mapped in sorted(scored, key=lambda x: -x[0]):
        if i in done or table in taken or s < 6:
            continue
        sn = rest[i]
        others = sorted((x[0] for x in scored if x[1] == i and x[2] != table), reverse=True)
        margin = s - (others[0] if others else 0)
        sure = "sure" if margin >= 4 else ("likely" if margin >= 1.5 else "guess")
        required = [c.name for c in SCHEMAS[table] if c.required]
        why = f"{sum(c in mapped for c in required)} of {len(required)} required columns found" + (
            "; the file name says so"
            if any(h in sn.path.name.lower() for h in NAME_HINTS[table])
            else ""
        )
        plans.append(Plan(sn, table, sure, why, mapped))
        taken.add(table)
        done.add(i)
    for i, sn in enumerate(rest):
        if i in done:
            continue
        guessed = guess_positional(sn) if "orders" not in taken else None
        if guessed:
            columns, derive = guessed
            plans.append(
                Plan(
                    sn,
                    "orders",
                    "guess",
                    "no header row; the columns' values look like customer, date and amount",
                    columns,
                    extra={"derive": derive},
                    extra_why="guess: no order number; one order per customer and day",
                )
            )
            taken.add("orders")
        else:
            plans.append(Plan(sn, None, "unknown", "no table fits its headers"))
    for plan in plans:
        if plan.table is None:
            continue
        derived = set(plan.extra.get("derive", {}))
        if plan.table in SYNONYMS and pre:  # preset gaps filled from synonyms
            for name, m in map_headers(plan.sniffed.headers, plan.table).items():
                if (
                    name not in plan.columns
                    and name not in derived
                    and m.header not in {x.header for x in plan.columns.values()}
                ):
                    plan.columns[name] = m
        plan.todo = [
            c.name
            for c in SCHEMAS[plan.table]
            if c.required and c.name not in plan.columns and c.name not in derived
        ]
        used = {m.header for m in plan.columns.values()}
        plan.unused = [h for h in plan.sniffed.headers if h not in used]
    if "orders" not in taken:
        notes.append(
            "no file looks like orders (order id, customer, date, amount): the audit "
            "has a TODO orders source"
        )
    return plans, notes


def _yaml(v: Any) -> str:
    text = yaml.safe_dump(v, allow_unicode=True, default_flow_style=True, width=1000).strip()
    return text.removesuffix("...").strip()


def _rel(path: Path, out: Path) -> str:
    try:
        rel = os.path.relpath(path.resolve(), out.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(path.resolve())
    return str(path.resolve()) if rel.startswith(os.path.join("..", "..", "..")) else rel


def _as_of(plans: list[Plan]) -> str | None:
    """The day after the last order date (a guess the consultant confirms)."""
    from clientbook.data import intake

    for plan in plans:
        if plan.table == "orders" and "order_date" in plan.columns and not plan.todo:
            try:
                src = source_of(plan)
                df, problems = intake.load_source("orders", src, plan.sniffed.path)
            except ValueError:
                return None
            if not problems and "order_date" in df and df["order_date"].notna().any():
                return (
                    (df["order_date"].max().normalize() + pd.Timedelta(days=1)).date().isoformat()
                )
    return None


def source_of(plan: Plan) -> Any:
    from clientbook.config.audit_file import Source

    opts = plan.sniffed.settings()
    opts.update(plan.extra)
    cols = {k: m.header for k, m in plan.columns.items()}
    if opts.get("header") == "none":
        cols = {k: int(v) for k, v in cols.items() if str(v).isdigit()}
    return Source(path=plan.sniffed.path, sheet=plan.sniffed.sheet, columns=cols, **opts)


def _currency(plans: list[Plan]) -> str | None:
    for plan in plans:
        for h in plan.sniffed.headers:
            if norm(h) in ("currency", "币种", "货币", "currencycode", "currencyisocode"):
                vals = plan.sniffed.sample[h].astype("string").str.strip().dropna().unique()
                vals = [v for v in vals if re.fullmatch(r"[A-Za-z]{3}", v)]
                if len(vals) == 1:
                    return vals[0].upper()
    return None


def render(
    plans: list[Plan],
    notes: list[str],
    out: Path,
    client: str,
    preset: str | None = None,
    lang: str = "en",
) -> str:
    """The commented audit file."""
    lines = [
        f"# Written by `clientbook init` from {len(plans)} file(s)"
        + (f" with the {preset} preset" if preset else "")
        + ".",
        "# Every guess says how sure it is (sure / likely / guess). Check the 'guess' lines and",
        "# replace every TODO, then: clientbook validate <this file>, clientbook run <this file>.",
        "# Keys: docs/audit-file.md; tables and columns: docs/data-contract.md.",
        "#",
        "# What was guessed:",
    ]
    for plan in plans:
        where = plan.sniffed.path.name + (f" [{plan.sniffed.sheet}]" if plan.sniffed.sheet else "")
        lines.append(
            f"#   {where} -> {plan.table or 'not used'} ({plan.table_sure}: {plan.table_why})"
        )
        for text in sniff_mod.describe(plan.sniffed):
            if ": default (sure:" not in text and ": default (likely:" not in text:
                lines.append(f"#     {text}")
        if plan.todo:
            lines.append(f"#     TODO: nothing maps to {', '.join(plan.todo)}")
    for n in notes:
        lines.append(f"#   note: {n}")
    lines += ["", f"client: {_yaml(client)}", f"lang: {lang}"]
    last = _as_of(plans)
    seen = (pd.Timestamp(last) - pd.Timedelta(days=1)).strftime("%Y-%m-%d") if last else ""
    lines.append(
        f'# as_of: "{last or "YYYY-MM-DD"}"   # TODO the export date (default: today)'
        + (f"; the last order is dated {seen}" if seen else "")
    )
    cur = _currency(plans)
    lines.append(
        f"currency: {cur}                 # from the export's currency column"
        if cur
        else "# currency: USD               # TODO: ISO code of every money figure"
    )
    lines += ["", "sources:"]
    tables = [p for p in plans if p.table]
    if not any(p.table == "orders" for p in tables):
        lines += [
            "  orders:",
            f"    path: {TODO}   # TODO: the file with one row per order (line)",
            "    columns: {order_id: TODO, customer_id: TODO, order_date: TODO, amount: TODO}",
        ]
    for plan in sorted(tables, key=lambda p: list(SCHEMAS).index(p.table or "orders")):
        sn = plan.sniffed
        lines.append(f"  {plan.table}:")
        lines.append(f"    path: {_yaml(_rel(sn.path, out))}")
        if sn.sheet:
            lines.append(f"    sheet: {_yaml(sn.sheet)}")
        for key, g in sn.options.items():
            if key == "dayfirst" and g.sure == "unknown" and key not in plan.extra:
                lines.append(
                    f"    dayfirst: {TODO}   # TODO true (31/12) or false (12/31): {g.why}"
                )
            if g.value is None or key in plan.extra:
                continue
            lines.append(f"    {key}: {_yaml(g.value)}   # {g.sure}: {g.why}")
        for key, value in plan.extra.items():
            lines.append(f"    {key}: {_yaml(value)}   # {plan.extra_why}")
        lines.append("    columns:")
        positional = sn.options.get("header") and sn.options["header"].value == "none"
        for col in SCHEMAS[plan.table or "orders"]:
            m = plan.columns.get(col.name)
            if m is None:
                if col.name in plan.todo:
                    hint = (
                        "column number, e.g. 1"
                        if positional
                        else "one of: " + ", ".join(plan.unused[:8])
                    )
                    lines.append(f"      {col.name}: {TODO}   # TODO required: {hint}")
                continue
            value: Any = int(m.header) if positional and m.header.isdigit() else m.header
            lines.append(f"      {col.name}: {_yaml(value)}   # {m.sure}: {m.why}")
        if plan.unused:
            lines.append(f"    # not used: {', '.join(plan.unused)}")
    lines += [
        "",
        "slicing:",
        "  by: [region, period]",
        "  period: quarter",
        "  region_from: customer   # or order: a region's slice holds its own order lines",
        "",
        "outputs: [html]",
        "",
    ]
    return "\n".join(lines)


def expand(inputs: list[str | Path]) -> list[Path]:
    """Files given, folders opened (their readable files, sorted)."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in READABLE)
        else:
            out.append(p)
    return out


def init(
    inputs: list[str | Path],
    out: Path,
    preset: str | None = None,
    client: str | None = None,
    lang: str = "en",
) -> tuple[str, list[Plan], list[str]]:
    """Plan the export and return the audit file's text (not written), plans and notes."""
    paths = expand(inputs)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"no such file: {', '.join(missing)}")
    if not paths:
        raise FileNotFoundError("no CSV, XLSX or Parquet file in " + ", ".join(map(str, inputs)))
    plans, notes = plan_files(paths, preset)
    name = client or (
        Path(inputs[0]).resolve().name
        if Path(inputs[0]).is_dir()
        else Path(inputs[0]).resolve().parent.name
    )
    return render(plans, notes, out, name, preset, lang), plans, notes


def summary(plans: list[Plan], notes: list[str]) -> list[str]:
    """What init tells the consultant on the terminal."""
    out = []
    for plan in plans:
        where = plan.sniffed.path.name + (f" [{plan.sniffed.sheet}]" if plan.sniffed.sheet else "")
        out.append(f"{where} -> {plan.table or 'not used'} ({plan.table_sure}: {plan.table_why})")
        for text in sniff_mod.describe(plan.sniffed):
            if ": default (sure:" not in text and ": default (likely:" not in text:
                out.append(f"    {text}")
        for name, m in plan.columns.items():
            if m.sure not in ("sure", "preset"):
                out.append(f"    {name} <- {m.header!r} ({m.sure}: {m.why})")
        if plan.todo:
            out.append(f"    TODO: {', '.join(plan.todo)} not found; marked TODO in the file")
    out += [f"note: {n}" for n in notes]
    return out
