"""Write the small preset fixtures in this folder (run once; the files are committed).

Each fixture uses the columns of the vendor's documented export (see the `source:` line of
the matching `lib/clientbook/data/presets/<name>.yaml`) with made-up values: 40-60
customers, 80-200 rows, two years, a few regions. `python tests/data/presets/make_fixtures.py`
rewrites them byte for byte (fixed seed).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
START = pd.Timestamp("2024-01-01")
DAYS = 700


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _write(
    path: Path,
    header: list[str],
    rows: list[list[object]],
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _days(rng: np.random.Generator, n: int) -> list[pd.Timestamp]:
    return sorted(START + pd.Timedelta(days=int(d)) for d in rng.integers(0, DAYS, n))


def salesforce() -> None:
    rng = _rng(1)
    states = ["CA", "NY", "TX", "WA"]
    accounts = []
    for i in range(45):
        created = START + pd.Timedelta(days=int(rng.integers(0, 200)))
        accounts.append(
            [
                f"0015g00000Acc{i:05d}",
                f"Account {i:02d} Inc.",
                "Customer - Direct",
                str(rng.choice(["Technology", "Retail", "Manufacturing"])),
                f"City {i % 7}",
                states[i % 4],
                "USA",
                f"(555) 01{i:02d}-000",
                f"https://acc{i}.example.com",
                int(rng.integers(1, 90)) * 100000,
                int(rng.integers(10, 900)),
                "0055g00000Own0001",
                created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            ]
        )
    _write(
        HERE / "salesforce" / "Account.csv",
        [
            "Id",
            "Name",
            "Type",
            "Industry",
            "BillingCity",
            "BillingState",
            "BillingCountry",
            "Phone",
            "Website",
            "AnnualRevenue",
            "NumberOfEmployees",
            "OwnerId",
            "CreatedDate",
        ],
        accounts,
    )
    opps = []
    for n, day in enumerate(_days(rng, 160)):
        acc = accounts[int(rng.integers(0, 45))][0]
        stage = str(
            rng.choice(
                [
                    "Closed Won",
                    "Closed Won",
                    "Closed Won",
                    "Closed Lost",
                    "Prospecting",
                    "Negotiation/Review",
                ]
            )
        )
        won, closed = stage == "Closed Won", stage.startswith("Closed")
        opps.append(
            [
                f"0065g00000Opp{n:05d}",
                acc,
                f"Deal {n}",
                stage,
                f"{rng.gamma(2, 4000):.2f}",
                day.strftime("%Y-%m-%d"),
                (day - pd.Timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                str(rng.choice(["New Business", "Existing Business"])),
                str(rng.choice(["Web", "Partner Referral", "Phone Inquiry"])),
                100 if won else (0 if closed else 40),
                str(closed).lower(),
                str(won).lower(),
                "0055g00000Own0001",
                "Closed" if won else ("Omitted" if closed else "Pipeline"),
                day.year,
            ]
        )
    _write(
        HERE / "salesforce" / "Opportunity.csv",
        [
            "Id",
            "AccountId",
            "Name",
            "StageName",
            "Amount",
            "CloseDate",
            "CreatedDate",
            "Type",
            "LeadSource",
            "Probability",
            "IsClosed",
            "IsWon",
            "OwnerId",
            "ForecastCategoryName",
            "FiscalYear",
        ],
        opps,
    )


def hubspot() -> None:
    rng = _rng(2)
    contacts = []
    for i in range(50):
        created = START + pd.Timedelta(days=int(rng.integers(0, 200)))
        contacts.append(
            [
                str(51000 + i),
                f"First{i}",
                f"Last{i}",
                f"contact{i}@example.com",
                f"+1 555 02{i:02d}",
                created.strftime("%Y-%m-%d %H:%M"),
                str(rng.choice(["Customer", "Opportunity", "Lead"])),
                "Jane Owner",
                f"City {i % 5}",
                str(rng.choice(["Massachusetts", "Ontario", "Bavaria"])),
                "United States",
                str(rng.choice(["Software", "Retail"])),
                str(rng.choice(["Organic Search", "Paid Social", "Direct Traffic"])),
            ]
        )
    _write(
        HERE / "hubspot" / "all-contacts.csv",
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Create Date",
            "Lifecycle Stage",
            "Contact owner",
            "City",
            "State/Region",
            "Country/Region",
            "Industry",
            "Original Source",
        ],
        contacts,
    )
    deals = []
    for n, day in enumerate(_days(rng, 150)):
        stage = str(
            rng.choice(["Closed Won", "Closed Won", "Closed Lost", "Appointment Scheduled"])
        )
        deals.append(
            [
                str(9100000 + n),
                f"Deal {n}",
                stage,
                "Sales Pipeline",
                f"{rng.gamma(2, 1500):.0f}",
                day.strftime("%Y-%m-%d %H:%M"),
                (day - pd.Timedelta(days=20)).strftime("%Y-%m-%d %H:%M"),
                "Jane Owner",
                str(rng.choice(["newbusiness", "existingbusiness"])),
                contacts[int(rng.integers(0, 50))][0],
            ]
        )
    _write(
        HERE / "hubspot" / "all-deals.csv",
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Pipeline",
            "Amount",
            "Close Date",
            "Create Date",
            "Deal owner",
            "Deal Type",
            "Associated Contact IDs",
        ],
        deals,
    )


def zoho() -> None:
    rng = _rng(3)
    accounts = []
    for i in range(40):
        created = START + pd.Timedelta(days=int(rng.integers(0, 200)))
        accounts.append(
            [
                f"zcrm_4876{i:06d}",
                "Ann Owner",
                f"Zoho Account {i:02d}",
                str(rng.choice(["Retail", "Government", "Manufacturing"])),
                f"City {i % 4}",
                str(rng.choice(["Karnataka", "Maharashtra", "Delhi"])),
                "India",
                f"+91 80 4000 {i:04d}",
                created.strftime("%d/%m/%Y %H:%M"),
                str(rng.choice(["Customer", "Partner"])),
            ]
        )
    _write(
        HERE / "zoho" / "Accounts_export.csv",
        [
            "Record Id",
            "Account Owner",
            "Account Name",
            "Industry",
            "Billing City",
            "Billing State",
            "Billing Country",
            "Phone",
            "Created Time",
            "Account Type",
        ],
        accounts,
    )
    deals = []
    for n, day in enumerate(_days(rng, 140)):
        stage = str(rng.choice(["Closed Won", "Closed Won", "Closed Lost", "Qualification"]))
        deals.append(
            [
                f"zcrm_5123{n:06d}",
                "Ann Owner",
                f"Deal {n}",
                accounts[int(rng.integers(0, 40))][2],
                str(rng.choice(["New Business", "Existing Business"])),
                stage,
                f"{rng.gamma(2, 20000):.2f}",
                day.strftime("%d/%m/%Y"),
                str(rng.choice(["Advertisement", "Web Download", "Partner"])),
                f"Contact {n % 30}",
                (day - pd.Timedelta(days=15)).strftime("%d/%m/%Y %H:%M"),
                100 if stage == "Closed Won" else 10,
            ]
        )
    _write(
        HERE / "zoho" / "Deals_export.csv",
        [
            "Record Id",
            "Deal Owner",
            "Deal Name",
            "Account Name",
            "Type",
            "Stage",
            "Amount",
            "Closing Date",
            "Lead Source",
            "Contact Name",
            "Created Time",
            "Probability (%)",
        ],
        deals,
    )


def shopify() -> None:
    rng = _rng(4)
    header = [
        "Name",
        "Email",
        "Financial Status",
        "Paid at",
        "Fulfillment Status",
        "Fulfilled at",
        "Accepts Marketing",
        "Currency",
        "Subtotal",
        "Shipping",
        "Taxes",
        "Total",
        "Discount Code",
        "Discount Amount",
        "Shipping Method",
        "Created at",
        "Lineitem quantity",
        "Lineitem name",
        "Lineitem price",
        "Lineitem compare at price",
        "Lineitem sku",
        "Lineitem requires shipping",
        "Lineitem taxable",
        "Lineitem fulfillment status",
        "Billing Name",
        "Billing City",
        "Billing Province",
        "Billing Country",
        "Shipping City",
        "Shipping Province",
        "Shipping Country",
        "Notes",
        "Payment Method",
        "Refunded Amount",
        "Vendor",
        "Id",
        "Tags",
        "Source",
    ]
    products = [
        ("Canvas Tote", 24.0, "Acme Bags"),
        ("Wool Beanie", 18.5, "Knit Co"),
        ("Travel Mug", 12.0, "Acme Home"),
        ("Trail Socks", 9.5, "Knit Co"),
    ]
    provinces = ["Ontario", "Quebec", "British Columbia"]
    rows = []
    for n, day in enumerate(_days(rng, 120)):
        c = int(rng.integers(0, 55))
        lines = [products[int(k)] for k in rng.choice(4, int(rng.integers(1, 3)), replace=False)]
        qty = [int(rng.integers(1, 4)) for _ in lines]
        sub = sum(q * p[1] for q, p in zip(qty, lines, strict=True))
        created = (day + pd.Timedelta(hours=int(rng.integers(8, 20)))).strftime(
            "%Y-%m-%d %H:%M:%S -0500"
        )
        for k, (q, (name, price, vendor)) in enumerate(zip(qty, lines, strict=True)):
            first = k == 0
            rows.append(
                [
                    f"#{1001 + n}",
                    f"customer{c}@example.com",
                    "paid" if first else "",
                    created if first else "",
                    "fulfilled" if first else "",
                    "",
                    "yes" if first else "",
                    "CAD" if first else "",
                    f"{sub:.2f}" if first else "",
                    "5.00" if first else "",
                    f"{sub * 0.13:.2f}" if first else "",
                    f"{sub * 1.13 + 5:.2f}" if first else "",
                    "",
                    "0.00" if first else "",
                    "Standard" if first else "",
                    created,
                    q,
                    name,
                    f"{price:.2f}",
                    "",
                    f"SKU-{name[:4].upper()}",
                    "true",
                    "true",
                    "fulfilled",
                    f"Customer {c}",
                    f"Town {c % 6}",
                    provinces[c % 3],
                    "CA",
                    f"Town {c % 6}",
                    provinces[c % 3],
                    "CA",
                    "",
                    "Shopify Payments" if first else "",
                    "0.00" if first else "",
                    vendor,
                    str(450000 + n) if first else "",
                    "",
                    "web" if first else "",
                ]
            )
    _write(HERE / "shopify" / "orders_export_1.csv", header, rows)


def woocommerce() -> None:
    rng = _rng(5)
    rows = []
    for n, day in enumerate(_days(rng, 130)):
        c = int(rng.integers(0, 50))
        items = int(rng.integers(1, 5))
        status = str(
            rng.choice(
                ["Completed", "Completed", "Completed", "Processing", "Refunded", "Cancelled"]
            )
        )
        rows.append(
            [
                (day + pd.Timedelta(hours=int(rng.integers(8, 20)))).strftime("%Y-%m-%d %H:%M:%S"),
                str(2000 + n),
                status,
                f"Customer {c:02d}",
                "returning" if n > 40 else "new",
                f"{items}× Hoodie",
                items,
                "",
                f"{items * 35.0:.2f}",
                str(rng.choice(["Direct", "Organic: Google"])),
            ]
        )
    _write(
        HERE / "woocommerce" / "wc-orders-report-export.csv",
        [
            "Date",
            "Order #",
            "Status",
            "Customer",
            "Customer type",
            "Product(s)",
            "Items sold",
            "Coupon(s)",
            "Net Sales",
            "Attribution",
        ],
        rows,
    )


def fxiaoke() -> None:
    rng = _rng(6)
    provinces = ["广东", "浙江", "江苏", "北京"]
    customers = []
    for i in range(45):
        created = START + pd.Timedelta(days=int(rng.integers(0, 200)))
        customers.append(
            [
                f"KH{i:05d}",
                f"客户{i:02d}有限公司",
                str(rng.choice(["A类", "B类", "C类"])),
                str(rng.choice(["展会", "官网", "转介绍"])),
                str(rng.choice(["制造业", "零售", "教育"])),
                provinces[i % 4],
                f"城市{i % 6}",
                "王经理",
                created.strftime("%Y-%m-%d %H:%M"),
                "已成交",
                f"1380000{i:04d}",
            ]
        )
    _write(
        HERE / "fxiaoke" / "客户.csv",
        [
            "客户编号",
            "客户名称",
            "客户级别",
            "来源",
            "所属行业",
            "省份",
            "城市",
            "负责人",
            "创建时间",
            "成交状态",
            "电话",
        ],
        customers,
        encoding="gb18030",
    )
    orders = []
    for n, day in enumerate(_days(rng, 180)):
        c = customers[int(rng.integers(0, 45))]
        status = str(rng.choice(["已确认", "已确认", "已完成", "已作废"]))
        qty = int(rng.integers(1, 6))
        orders.append(
            [
                f"XS{day:%Y%m%d}{n:04d}",
                c[1],
                day.strftime("%Y/%m/%d"),
                f"{qty * 880:,.2f}",
                str(rng.choice(["打印机", "硒鼓", "办公椅"])),
                qty,
                "王经理",
                "华南大区",
                status,
                day.strftime("%Y-%m-%d %H:%M"),
                "对公转账",
            ]
        )
    _write(
        HERE / "fxiaoke" / "销售订单.csv",
        [
            "销售订单编号",
            "客户名称",
            "下单日期",
            "订单金额",
            "产品名称",
            "数量",
            "负责人",
            "归属部门",
            "订单状态",
            "创建时间",
            "结算方式",
        ],
        orders,
        encoding="gb18030",
    )


if __name__ == "__main__":
    for make in (salesforce, hubspot, zoho, shopify, woocommerce, fxiaoke):
        make()
