"""A deterministic sample client: the raw CRM export a consultant would receive.

`generate()` writes a two-year book of a Chinese office-supplies distributor (printers, toner,
computers, accessories, paper, furniture) selling through four channels in seven regions:

- ``customers.csv``: UTF-8 *with BOM*, ``,``, Chinese headers
  ``客户编号,客户名称,区域,渠道,行业,注册日期,城市,电话,邮箱`` (dates ``YYYY-MM-DD``, IDs like
  ``C000123``: leading zeros matter). Names, phones and e-mails are fake (example.* domains).
- ``orders.csv``: UTF-8, ``;``, decimal comma, day-first dates ``DD/MM/YYYY``, headers
  ``Order No;Customer;Order Date;Product;Category;Qty;Net Amount;Cost``, one row per order line.
- ``surveys.csv``, ``tickets.csv``, ``leads.csv``, ``targets.csv``, ``marketing.csv``: UTF-8,
  ``,``, English headers already close to the canonical names (see the module constants).

The export date (``as_of``) is the first day after the last month: ``start`` + ``months``.

What is planted, so every later playbook has something real to find:

- behaviour: purchases are Poisson with gamma-distributed rates while a customer is alive and
  a geometric drop-out after each repeat purchase (the BG/NBD story), order values scale with a
  gamma-distributed customer size (Gamma-Gamma), new customers arrive every month with ~3 %
  monthly growth, Q4 peak (Double 11), Chinese New Year dip, fewer orders at weekends;
- regions differ: East China is the biggest and most valuable, Northeast churns most,
  Northwest and Northeast are served slowest and are least satisfied;
- cross-sell: printers pull toner/ink, laptops pull bags and mice, desks pull chairs
  (basket lift well above 1); margins differ by category;
- data-quality problems (counts from `planted_counts`): refund lines (negative Net Amount,
  order number ``<original>-R``), exact duplicate rows, rows with an empty Customer, orders
  dated after the export date, orders whose Customer is not in customers.csv. Nothing is
  unparseable. About 2 % of registered customers never order.

``regions=N`` splits the seven regions into N sales regions (a franchise or distributor with
many territories, for big audits): region k behaves like macro region k mod 7 and is named
after it (``East China 2``); customers of a macro region are spread evenly over its regions.
The default (None) keeps the seven regions and writes the same files as before.

``fmt="parquet"`` writes the same tables as ``<table>.parquet`` with the *canonical English*
column names and types of docs/data-contract.md (IDs as strings, dates as timestamps, amounts as
floats). Use it for benchmarks with millions of rows, where CSV parsing would dominate.

Everything is vectorised numpy (no loop over customers or orders) and driven by one
``numpy.random.default_rng(seed)``: the same arguments give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# ---------------------------------------------------------------------------------------------
# The export's file layout (the lead's audits/demo.yaml maps these headers).

CUSTOMER_HEADERS = [
    "客户编号",
    "客户名称",
    "区域",
    "渠道",
    "行业",
    "注册日期",
    "城市",
    "电话",
    "邮箱",
]
ORDER_HEADERS = [
    "Order No",
    "Customer",
    "Order Date",
    "Product",
    "Category",
    "Qty",
    "Net Amount",
    "Cost",
]
SURVEY_HEADERS = [
    "response_id",
    "customer_id",
    "survey_date",
    "nps",
    "csat",
    "comment",
    "ticket_id",
]
TICKET_HEADERS = [
    "ticket_id",
    "customer_id",
    "channel",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "contacts",
    "reopened",
    "category",
    "priority",
]
LEAD_HEADERS = [
    "lead_id",
    "created_date",
    "stage",
    "status",
    "closed_date",
    "owner",
    "region",
    "source",
    "amount",
    "customer_id",
]
TARGET_HEADERS = ["kpi", "target", "region", "period"]
MARKETING_HEADERS = ["period", "spend", "region"]

# Canonical names (docs/data-contract.md) used for fmt="parquet".
CANONICAL = {
    "customers": dict(
        zip(
            CUSTOMER_HEADERS,
            [
                "customer_id",
                "name",
                "region",
                "channel",
                "industry",
                "signup_date",
                "city",
                "phone",
                "email",
            ],
            strict=True,
        )
    ),
    "orders": dict(
        zip(
            ORDER_HEADERS,
            [
                "order_id",
                "customer_id",
                "order_date",
                "product",
                "category",
                "quantity",
                "amount",
                "cost",
            ],
            strict=True,
        )
    ),
    "surveys": {"nps": "nps_score", "csat": "csat_score"},
}

LANGS = ("en", "zh")
FORMATS = ("csv", "parquet")

# ---------------------------------------------------------------------------------------------
# Regions and channels: shares and behaviour multipliers (index-aligned).

REGIONS = {
    "en": [
        "East China",
        "North China",
        "South China",
        "Central China",
        "Southwest China",
        "Northwest China",
        "Northeast China",
    ],
    "zh": ["华东", "华北", "华南", "华中", "西南", "西北", "东北"],
}
REGION_SHARE = np.array([0.30, 0.17, 0.19, 0.12, 0.10, 0.05, 0.07])
REGION_RATE = np.array([1.15, 1.00, 1.05, 0.95, 0.95, 0.85, 0.90])  # purchase frequency
REGION_SPEND = np.array([1.30, 1.10, 1.00, 0.90, 0.90, 0.80, 0.85])  # basket size
REGION_CHURN = np.array([0.85, 1.00, 0.95, 1.00, 1.05, 1.20, 1.80])  # drop-out probability
REGION_SAT = np.array([0.25, 0.10, 0.15, 0.00, 0.00, -0.30, -0.45])  # satisfaction shift
REGION_SLOW = np.array([0.80, 0.90, 0.90, 1.00, 1.15, 1.70, 1.40])  # service time factor
REGION_TICKETS = np.array([0.90, 1.00, 1.00, 1.00, 1.10, 1.30, 1.30])
REGION_CAC = np.array([380.0, 420.0, 400.0, 350.0, 360.0, 540.0, 480.0])  # CNY per new customer

CITIES = [  # (en, zh) per region
    [
        ("Shanghai", "上海"),
        ("Hangzhou", "杭州"),
        ("Nanjing", "南京"),
        ("Suzhou", "苏州"),
        ("Ningbo", "宁波"),
        ("Hefei", "合肥"),
        ("Jinan", "济南"),
        ("Qingdao", "青岛"),
        ("Fuzhou", "福州"),
        ("Xiamen", "厦门"),
    ],
    [
        ("Beijing", "北京"),
        ("Tianjin", "天津"),
        ("Shijiazhuang", "石家庄"),
        ("Taiyuan", "太原"),
        ("Hohhot", "呼和浩特"),
    ],
    [
        ("Guangzhou", "广州"),
        ("Shenzhen", "深圳"),
        ("Dongguan", "东莞"),
        ("Foshan", "佛山"),
        ("Nanning", "南宁"),
        ("Haikou", "海口"),
    ],
    [("Wuhan", "武汉"), ("Changsha", "长沙"), ("Zhengzhou", "郑州"), ("Nanchang", "南昌")],
    [("Chengdu", "成都"), ("Chongqing", "重庆"), ("Kunming", "昆明"), ("Guiyang", "贵阳")],
    [
        ("Xi'an", "西安"),
        ("Lanzhou", "兰州"),
        ("Urumqi", "乌鲁木齐"),
        ("Yinchuan", "银川"),
        ("Xining", "西宁"),
    ],
    [("Shenyang", "沈阳"), ("Dalian", "大连"), ("Harbin", "哈尔滨"), ("Changchun", "长春")],
]

CHANNELS = {
    "en": ["Online store", "Retail store", "Key account", "Distributor"],
    "zh": ["线上商城", "门店", "大客户", "经销商"],
}
CHANNEL_SHARE = np.array([0.45, 0.30, 0.08, 0.17])
CHANNEL_RATE = np.array([1.00, 0.75, 1.50, 1.80])
CHANNEL_SIZE = np.array([0.80, 0.60, 3.00, 5.00])
CHANNEL_CHURN = np.array([1.25, 1.00, 0.50, 0.70])
CHANNEL_DISCOUNT = np.array([0.00, 0.00, 0.06, 0.10])
CHANNEL_SAT = np.array([0.00, 0.10, 0.20, -0.10])

INDUSTRIES = {
    "en": [
        "Retail",
        "Manufacturing",
        "Education",
        "Healthcare",
        "IT & Software",
        "Finance",
        "Government",
        "Hospitality",
        "Logistics",
    ],
    "zh": ["零售", "制造业", "教育", "医疗", "信息技术", "金融", "政府机构", "酒店餐饮", "物流"],
}
INDUSTRY_SHARE = np.array([0.18, 0.20, 0.12, 0.08, 0.14, 0.07, 0.06, 0.08, 0.07])

# ---------------------------------------------------------------------------------------------
# Products. Categories differ in margin (cost ratio) and in how many units a line carries.

CATEGORIES = {
    "en": [
        "Printers",
        "Ink & Toner",
        "Computers",
        "Accessories",
        "Paper & Stationery",
        "Furniture",
    ],
    "zh": ["打印设备", "墨盒硒鼓", "电脑", "电脑配件", "纸张文具", "办公家具"],
}
COST_RATIO = np.array([0.78, 0.50, 0.86, 0.60, 0.70, 0.65])
# Category mix of an order's main product, per channel (rows: CHANNELS).
CATEGORY_MIX = np.array(
    [
        [0.10, 0.22, 0.10, 0.25, 0.25, 0.08],
        [0.10, 0.20, 0.08, 0.22, 0.35, 0.05],
        [0.12, 0.15, 0.25, 0.13, 0.15, 0.20],
        [0.10, 0.30, 0.10, 0.15, 0.30, 0.05],
    ]
)

# en, zh, category, list price (CNY), weight within category, units per line, add-on weight
PRODUCTS = [
    ("Laser Printer", "激光打印机", 0, 1899.0, 0.45, 0.15, 0.0),
    ("Inkjet Printer", "喷墨打印机", 0, 899.0, 0.30, 0.15, 0.0),
    ("Multifunction Printer", "多功能一体机", 0, 2999.0, 0.15, 0.10, 0.0),
    ("Label Printer", "标签打印机", 0, 599.0, 0.10, 0.20, 0.0),
    ("Toner Cartridge", "硒鼓", 1, 399.0, 0.45, 1.20, 0.50),
    ("Ink Cartridge Set", "墨盒套装", 1, 259.0, 0.35, 1.00, 0.40),
    ("Drum Unit", "鼓粉组件", 1, 499.0, 0.10, 0.50, 0.10),
    ("Label Tape", "标签色带", 1, 89.0, 0.10, 2.00, 0.15),
    ("Laptop", "笔记本电脑", 2, 5999.0, 0.40, 0.30, 0.0),
    ("Desktop PC", "台式电脑", 2, 4599.0, 0.25, 0.40, 0.0),
    ("Monitor", "显示器", 2, 1299.0, 0.25, 0.50, 0.10),
    ("Tablet", "平板电脑", 2, 3299.0, 0.10, 0.20, 0.0),
    ("Wireless Mouse", "无线鼠标", 3, 129.0, 0.25, 1.00, 0.60),
    ("Keyboard", "键盘", 3, 199.0, 0.20, 0.80, 0.40),
    ("Laptop Bag", "电脑包", 3, 229.0, 0.15, 0.50, 0.25),
    ("USB-C Dock", "扩展坞", 3, 449.0, 0.15, 0.40, 0.20),
    ("Headset", "耳机", 3, 299.0, 0.25, 0.60, 0.30),
    ("A4 Copy Paper (box)", "A4复印纸（箱）", 4, 189.0, 0.35, 2.00, 0.90),
    ("Notebooks (10-pack)", "记事本（10本装）", 4, 59.0, 0.20, 2.00, 0.50),
    ("Gel Pens (box)", "中性笔（盒）", 4, 39.0, 0.20, 2.50, 0.60),
    ("Folders (pack)", "文件夹（包）", 4, 49.0, 0.15, 2.00, 0.40),
    ("Sticky Notes", "便利贴", 4, 25.0, 0.10, 3.00, 0.40),
    ("Office Chair", "办公椅", 5, 1199.0, 0.40, 1.00, 0.05),
    ("Desk", "办公桌", 5, 1899.0, 0.30, 0.80, 0.0),
    ("Filing Cabinet", "文件柜", 5, 999.0, 0.20, 0.50, 0.0),
    ("Bookshelf", "书架", 5, 699.0, 0.10, 0.40, 0.0),
]
# The planted cross-sell: main product -> [(companion, probability)], by English name.
COMPANIONS = {
    "Laser Printer": [("Toner Cartridge", 0.55), ("Drum Unit", 0.15)],
    "Multifunction Printer": [("Toner Cartridge", 0.50), ("A4 Copy Paper (box)", 0.20)],
    "Inkjet Printer": [("Ink Cartridge Set", 0.60), ("A4 Copy Paper (box)", 0.15)],
    "Label Printer": [("Label Tape", 0.70)],
    "Laptop": [("Laptop Bag", 0.35), ("Wireless Mouse", 0.35)],
    "Desktop PC": [("Monitor", 0.45), ("Keyboard", 0.30)],
    "Tablet": [("Headset", 0.25)],
    "Desk": [("Office Chair", 0.55)],
    "A4 Copy Paper (box)": [("Gel Pens (box)", 0.20)],
}

# ---------------------------------------------------------------------------------------------
# Names (fake) for customers, companies and sales reps: (hanzi, pinyin).

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("高", "Gao"),
    ("罗", "Luo"),
]
GIVEN = [
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("娜", "Na"),
    ("敏", "Min"),
    ("静", "Jing"),
    ("磊", "Lei"),
    ("强", "Qiang"),
    ("洋", "Yang"),
    ("艳", "Yan"),
    ("勇", "Yong"),
    ("军", "Jun"),
    ("杰", "Jie"),
    ("涛", "Tao"),
    ("明", "Ming"),
    ("超", "Chao"),
    ("秀英", "Xiuying"),
    ("建华", "Jianhua"),
    ("晓东", "Xiaodong"),
    ("丽华", "Lihua"),
    ("志强", "Zhiqiang"),
    ("海燕", "Haiyan"),
    ("文博", "Wenbo"),
    ("雨婷", "Yuting"),
    ("子涵", "Zihan"),
]
COMPANY_WORDS = [
    ("华信", "Huaxin"),
    ("鼎盛", "Dingsheng"),
    ("恒通", "Hengtong"),
    ("博远", "Boyuan"),
    ("金石", "Jinshi"),
    ("瑞丰", "Ruifeng"),
    ("东方", "Dongfang"),
    ("天成", "Tiancheng"),
    ("宏达", "Hongda"),
    ("新源", "Xinyuan"),
    ("中联", "Zhonglian"),
    ("正泰", "Zhengtai"),
]
COMPANY_KINDS = [
    ("贸易有限公司", "Trading Co., Ltd."),
    ("科技有限公司", "Technology Co., Ltd."),
    ("办公设备有限公司", "Office Equipment Co., Ltd."),
    ("文化用品有限公司", "Stationery Co., Ltd."),
    ("商贸有限公司", "Commerce Co., Ltd."),
]
EMAIL_DOMAINS = ["example.com", "example.cn", "example.net", "example.org"]
PHONE_PREFIXES = [
    130,
    131,
    132,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    155,
    158,
    159,
    177,
    180,
    181,
    186,
    187,
    188,
    189,
    199,
]

# Sales reps: (zh, en, region index, win rate). Different win rates on purpose.
REPS = [
    ("李娜", "Li Na", 0, 0.42),
    ("张伟", "Zhang Wei", 0, 0.28),
    ("王芳", "Wang Fang", 1, 0.35),
    ("刘洋", "Liu Yang", 1, 0.22),
    ("陈静", "Chen Jing", 2, 0.38),
    ("杨涛", "Yang Tao", 2, 0.30),
    ("赵敏", "Zhao Min", 3, 0.25),
    ("黄磊", "Huang Lei", 4, 0.33),
    ("周强", "Zhou Qiang", 5, 0.18),
    ("吴霞", "Wu Xia", 6, 0.27),
]
LEAD_STAGES = ["lead", "qualified", "proposal", "negotiation", "won"]
LEAD_SOURCES = {
    "en": ["Website", "Referral", "Trade show", "Cold call", "Partner", "Social media"],
    "zh": ["官网", "转介绍", "展会", "电话拜访", "合作伙伴", "社交媒体"],
}
SOURCE_MIX_WON = np.array([0.20, 0.30, 0.20, 0.08, 0.17, 0.05])
SOURCE_MIX_OTHER = np.array([0.30, 0.12, 0.18, 0.20, 0.10, 0.10])

# Service tickets.
TICKET_CHANNELS = ["phone", "email", "chat", "social"]
TICKET_CHANNEL_MIX = np.array(
    [  # per customer channel: online customers chat more
        [0.25, 0.20, 0.42, 0.13],
        [0.50, 0.20, 0.20, 0.10],
        [0.45, 0.40, 0.10, 0.05],
        [0.45, 0.35, 0.15, 0.05],
    ]
)
FIRST_RESPONSE_MIN = np.array([3.0, 240.0, 4.0, 120.0])  # median minutes, per channel
RESOLUTION_HOURS = np.array([3.0, 26.0, 5.0, 20.0])  # median hours, per channel
TICKET_CATEGORIES = ["question", "delivery", "complaint", "return", "billing", "technical"]
TICKET_CATEGORY_MIX = np.array([0.30, 0.22, 0.15, 0.12, 0.09, 0.12])
TICKET_CATEGORY_SLOW = np.array([0.6, 1.2, 1.4, 2.0, 1.0, 1.3])
PRIORITIES = ["low", "normal", "high", "urgent"]
PRIORITY_MIX = np.array([0.25, 0.50, 0.20, 0.05])
PRIORITY_SLOW = np.array([1.3, 1.0, 0.7, 0.5])

# Survey comment themes; detractors and promoters talk about different things.
THEMES = ["delivery", "price", "quality", "service", "packaging", "app"]
THEME_MIX = {
    "detractor": np.array([0.30, 0.14, 0.20, 0.24, 0.05, 0.07]),
    "passive": np.array([0.15, 0.35, 0.15, 0.10, 0.10, 0.15]),
    "promoter": np.array([0.22, 0.10, 0.32, 0.22, 0.09, 0.05]),
}
COMMENTS = {  # lang -> theme -> (negative variants, positive variants)
    "en": {
        "delivery": (
            [
                "Delivery was slow, it took over a week to arrive.",
                "The courier was late again and nobody told us.",
                "Shipping takes far too long for office supplies.",
                "Our order arrived three days after the promised date.",
            ],
            [
                "Fast delivery, we had it the next day.",
                "Delivery was quick and on time.",
                "Arrived earlier than expected, great logistics.",
                "Always delivered on time, very reliable.",
            ],
        ),
        "price": (
            [
                "Prices are too high compared with other suppliers.",
                "Too expensive, we found the same toner cheaper elsewhere.",
                "The price went up again without notice.",
                "Shipping fees make it expensive for small orders.",
            ],
            [
                "Good value for money.",
                "Prices are fair and the discounts help.",
                "Cheaper than our previous supplier.",
                "Great price for the quality.",
            ],
        ),
        "quality": (
            [
                "Poor quality, the printer broke after two weeks.",
                "The toner leaks and the prints are streaky.",
                "The chair was defective and wobbly.",
                "Product quality has dropped, several items were faulty.",
            ],
            [
                "Excellent product quality, everything works perfectly.",
                "Reliable products, the laptops are great.",
                "High quality paper, no jams at all.",
                "Good quality and durable furniture.",
            ],
        ),
        "service": (
            [
                "Customer service never answered our calls.",
                "Support was rude and did not solve the problem.",
                "We had to contact support many times before anyone helped.",
                "Slow response from customer service, waited days for a reply.",
            ],
            [
                "Customer service was very helpful and friendly.",
                "Support solved our problem on the first call.",
                "Our account manager is responsive and professional.",
                "Quick and helpful answers from the service team.",
            ],
        ),
        "packaging": (
            [
                "The box arrived damaged and crushed.",
                "Poor packaging, the monitor screen was scratched.",
                "Too much plastic in the packaging.",
                "Items were loose in the box and some broke.",
            ],
            [
                "Well packed, everything arrived safely.",
                "Sturdy packaging, nothing was damaged.",
                "Neat packaging with clear labels.",
                "Packaging was careful and eco-friendly.",
            ],
        ),
        "app": (
            [
                "The website is slow and checkout keeps failing.",
                "The app crashes when I try to pay.",
                "Hard to find products on the website.",
                "The online order tracking never updates.",
            ],
            [
                "The website is easy to use and ordering is simple.",
                "Love the app, reordering takes a minute.",
                "Online ordering is quick and convenient.",
                "The order tracking in the app is very clear.",
            ],
        ),
    },
    "zh": {
        "delivery": (
            [
                "物流太慢了，等了一个多星期才到货。",
                "快递又迟到了，也没人通知我们。",
                "发货速度太慢，办公用品等不起。",
                "比承诺的时间晚了三天才送到。",
            ],
            [
                "发货很快，第二天就收到了。",
                "配送及时，送货准时。",
                "比预期到得早，物流很给力。",
                "每次都按时送达，很可靠。",
            ],
        ),
        "price": (
            [
                "价格太贵了，比别的供应商贵不少。",
                "太贵了，同样的硒鼓别家更便宜。",
                "又涨价了，也没有提前通知。",
                "运费太高，小订单不划算。",
            ],
            [
                "性价比很高。",
                "价格公道，折扣也很实在。",
                "比我们以前的供应商便宜。",
                "这个质量这个价格很划算。",
            ],
        ),
        "quality": (
            [
                "质量太差，打印机用了两周就坏了。",
                "硒鼓漏粉，打印出来有条纹。",
                "椅子有质量问题，坐着摇晃。",
                "产品质量下降了，好几件都有毛病。",
            ],
            [
                "产品质量非常好，用着很放心。",
                "产品很可靠，笔记本电脑很好用。",
                "纸张质量好，一次都没卡纸。",
                "家具质量不错，很结实耐用。",
            ],
        ),
        "service": (
            [
                "客服电话一直打不通，没人接。",
                "客服态度很差，问题也没解决。",
                "联系了好几次客服才有人处理。",
                "客服回复太慢，等了好几天。",
            ],
            [
                "客服非常热情，帮了大忙。",
                "客服一次就解决了我们的问题。",
                "客户经理响应及时，很专业。",
                "售后服务很好，回复又快又耐心。",
            ],
        ),
        "packaging": (
            [
                "包装破损，箱子都被压坏了。",
                "包装太简陋，显示器屏幕被划伤了。",
                "包装用了太多塑料。",
                "箱子里东西没固定，有几件摔坏了。",
            ],
            [
                "包装很仔细，东西完好无损。",
                "包装结实，没有任何破损。",
                "包装整洁，标签清楚。",
                "包装用心又环保。",
            ],
        ),
        "app": (
            [
                "网站太慢，结账老是失败。",
                "APP付款的时候总是闪退。",
                "网站上很难找到想要的商品。",
                "网上的订单物流信息从来不更新。",
            ],
            [
                "网站很好用，下单很方便。",
                "APP很好用，一分钟就能再次下单。",
                "网上下单快捷方便。",
                "APP里的订单跟踪很清楚。",
            ],
        ),
    },
}

# Chinese New Year (first day); the dip in orders is centred on it.
CHINESE_NEW_YEAR = {
    2015: "2015-02-19",
    2016: "2016-02-08",
    2017: "2017-01-28",
    2018: "2018-02-16",
    2019: "2019-02-05",
    2020: "2020-01-25",
    2021: "2021-02-12",
    2022: "2022-02-01",
    2023: "2023-01-22",
    2024: "2024-02-10",
    2025: "2025-01-29",
    2026: "2026-02-17",
    2027: "2027-02-06",
    2028: "2028-01-26",
    2029: "2029-02-13",
    2030: "2030-02-03",
    2031: "2031-01-23",
    2032: "2032-02-11",
    2033: "2033-01-31",
    2034: "2034-02-19",
    2035: "2035-02-08",
}
MONTH_SEASON = np.array([0.95, 0.90, 1.00, 1.00, 1.00, 1.05, 0.95, 0.92, 1.05, 1.10, 1.35, 1.40])
WEEKDAY_SEASON = np.array([1.15, 1.15, 1.15, 1.15, 1.10, 0.70, 0.50])
MONTHLY_GROWTH = 0.03  # new customers per month grow ~3 %


def planted_counts(customers: int) -> dict[str, int]:
    """How many rows of each data-quality problem `generate` plants in orders.

    Small on purpose ("a few"), growing slowly with the size of the book.
    """
    few = max(3, customers // 600)
    return {
        "refunds": max(5, customers // 100),  # lines with a negative Net Amount
        "duplicates": few,  # extra copies of existing lines
        "missing_customer": few,  # lines with an empty Customer
        "future_dates": few,  # lines dated after the export date
        "orphans": few,  # lines whose Customer is not in customers
    }


def export_date(start: str = "2024-01-01", months: int = 24) -> pd.Timestamp:
    """The as-of date of the export: the first day after the last month."""
    return pd.Timestamp(start) + pd.DateOffset(months=months)


def generate(
    out_dir: Path,
    customers: int = 3000,
    seed: int = 7,
    lang: str = "en",
    fmt: str = "csv",
    start: str = "2024-01-01",
    months: int = 24,
    regions: int | None = None,
) -> dict[str, Path]:
    """Write the sample client's export into `out_dir`; returns table name -> file written.

    See the module docstring for files, headers and what is planted. `lang` ("en"/"zh")
    switches the values (regions, channels, products, names, comments, ...), not the headers.
    `fmt="parquet"` writes canonical column names instead (for large benchmarks).
    `regions` splits the seven regions into that many (see the module docstring).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be at least 1")
    if regions is not None and not 1 <= regions <= 10_000:
        raise ValueError(f"regions must be between 1 and 10000, got {regions}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(seed)
    cal = _Calendar(pd.Timestamp(start), months)
    book = _simulate(rng, cal, customers)
    _split_regions(book, lang, regions)
    tables = _tables(book, cal, lang)
    return _write(tables, out_dir, fmt)


# ---------------------------------------------------------------------------------------------
# Calendar: day indices from `start`; day n_days is the export date.


class _Calendar:
    def __init__(self, start: pd.Timestamp, months: int) -> None:
        self.start = start.normalize()
        self.as_of = export_date(str(self.start.date()), months)
        self.n_days = int((self.as_of - self.start).days)
        self.months = months
        # Enough days past the export date for the planted future rows.
        self.days = pd.date_range(self.start, periods=self.n_days + 120, freq="D")
        d = self.days[: self.n_days]
        season = MONTH_SEASON[d.month - 1] * WEEKDAY_SEASON[d.day_of_week]
        cny = np.ones(self.n_days)
        for year in sorted(set(d.year)):
            if year in CHINESE_NEW_YEAR:
                offset = (d - pd.Timestamp(CHINESE_NEW_YEAR[year])).days
                cny[(offset >= -7) & (offset <= 8)] = 0.3
        promo = np.ones(self.n_days)
        promo[(d.month == 11) & (d.day >= 9) & (d.day <= 12)] = 1.8  # Double 11
        promo[(d.month == 6) & (d.day >= 16) & (d.day <= 18)] = 1.4  # 618
        self.discount = np.where(promo > 1, 0.10, 0.0)  # festival prices
        self.intensity = season * cny * promo
        self.intensity /= self.intensity.mean()
        # Cumulative intensity: Lambda[d] = sum of intensity over days < d.
        self.cum = np.concatenate([[0.0], np.cumsum(self.intensity)])
        month_index = np.asarray((d.year - self.start.year) * 12 + d.month - self.start.month)
        self.acquisition = np.exp(MONTHLY_GROWTH * month_index) * season * cny
        self.quarter = np.asarray(pd.PeriodIndex(self.days, freq="Q").strftime("%Y-Q%q"))

    def iso(self, day: np.ndarray) -> np.ndarray:
        return _take(np.asarray(self.days.strftime("%Y-%m-%d")), day)


def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)[idx]


def _pick(rng: np.random.Generator, table: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One categorical draw per row, from the distribution ``table[group[row]]``.

    Rows of `table` need not be normalised. Loops over the few groups, never over rows, and
    never builds a rows x categories matrix (that was most of the memory at scale).
    """
    u = rng.random(len(group))
    out = np.zeros(len(group), dtype=np.int64)
    cum = np.cumsum(table, axis=1)
    for g in range(len(table)):
        rows = group == g
        if rows.any():
            out[rows] = np.searchsorted(cum[g], u[rows] * cum[g, -1], side="right")
    return np.minimum(out, table.shape[1] - 1)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its slow hash path on large int arrays)."""
    s = np.sort(values)
    return s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s


def _rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal values of a sorted `group` array."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n) - first


# ---------------------------------------------------------------------------------------------
# Simulation (all integer/float arrays; strings come later).


def _simulate(rng: np.random.Generator, cal: _Calendar, n: int) -> dict:
    b: dict = {"n": n}
    # --- customers: acquired every month, growing; IDs in signup order
    signup = np.sort(rng.choice(cal.n_days, size=n, p=cal.acquisition / cal.acquisition.sum()))
    region = rng.choice(7, size=n, p=REGION_SHARE)
    channel = rng.choice(4, size=n, p=CHANNEL_SHARE)
    # BG/NBD-style behaviour: gamma purchase rates (per day), beta drop-out probabilities.
    rate = rng.gamma(0.9, (1 / 32) / 0.9, size=n) * REGION_RATE[region] * CHANNEL_RATE[channel]
    dropout = np.clip(
        rng.beta(1.1, 10.0, size=n) * REGION_CHURN[region] * CHANNEL_CHURN[channel], 0.01, 0.95
    )
    size = rng.gamma(2.0, 0.5, size=n) * CHANNEL_SIZE[channel] * REGION_SPEND[region]
    mood = rng.normal(0.0, 0.6, size=n) - 4.0 * (dropout - 0.12)  # churners are less happy
    first = signup + rng.geometric(0.35, size=n) - 1
    buyer = (rng.random(n) >= 0.02) & (first < cal.n_days)  # ~2 % register and never buy
    b.update(signup=signup, region=region, channel=channel, dropout=dropout, size=size, mood=mood)
    # One step per function, so each step's scratch arrays are freed (memory at scale).
    _simulate_orders(rng, cal, b, rate, first, buyer)
    _simulate_lines(rng, cal, b)
    _plant_problems(rng, cal, b)
    _simulate_tickets(rng, cal, b)
    _simulate_surveys(rng, cal, b)
    _simulate_leads(rng, cal, b)
    return b


def _simulate_orders(
    rng: np.random.Generator,
    cal: _Calendar,
    b: dict,
    rate: np.ndarray,
    first: np.ndarray,
    buyer: np.ndarray,
) -> None:
    """First purchase, then Poisson repeats (on the seasonal clock) until drop-out."""
    dropout = b["dropout"]
    cust_ids = np.flatnonzero(buyer)
    lo = cal.cum[first[cust_ids] + 1]
    hi = cal.cum[cal.n_days]
    n_points = rng.poisson(rate[cust_ids] * np.maximum(hi - lo, 0.0))
    owner = np.repeat(cust_ids, n_points)
    u = rng.uniform(np.repeat(lo, n_points), hi)
    day = np.clip(np.searchsorted(cal.cum, u, side="right") - 1, 0, cal.n_days - 1)
    order = np.argsort(owner.astype(np.int64) * (cal.n_days + 1) + day, kind="stable")
    owner, day = owner[order], day[order]
    lives = rng.geometric(dropout)  # repeat purchases until the one after which they leave
    keep = _rank_within(owner) < lives[owner]
    owner = np.concatenate([cust_ids, owner[keep]])
    day = np.concatenate([first[cust_ids], day[keep]])
    # Two purchases on the same day are one order.
    key = _distinct(owner.astype(np.int64) * (cal.n_days + 1) + day)
    b["o_cust"], b["o_day"] = key // (cal.n_days + 1), key % (cal.n_days + 1)


def _simulate_lines(rng: np.random.Generator, cal: _Calendar, b: dict) -> None:
    """Order lines: main product by channel, planted companions, random add-ons."""
    o_cust, o_day, channel, size = b["o_cust"], b["o_day"], b["channel"], b["size"]
    n_orders = len(o_cust)
    n_prod = len(PRODUCTS)
    prod_cat = np.array([p[2] for p in PRODUCTS])
    within = np.array([p[4] for p in PRODUCTS])
    main_mix = CATEGORY_MIX[:, prod_cat] * within  # (channel, product)
    o_channel = channel[o_cust]
    main = _pick(rng, main_mix, o_channel)
    names = [p[0] for p in PRODUCTS]
    comp = np.full((n_prod, 2), -1)
    comp_p = np.zeros((n_prod, 2))
    for prod, pairs in COMPANIONS.items():
        for j, (other, prob) in enumerate(pairs):
            comp[names.index(prod), j] = names.index(other)
            comp_p[names.index(prod), j] = prob
    uc = rng.random(n_orders)
    p1, p2 = comp_p[main, 0], comp_p[main, 1]
    companion = np.where(uc < p1, comp[main, 0], np.where(uc < p1 + p2, comp[main, 1], -1))
    n_extra = rng.choice(4, size=n_orders, p=[0.55, 0.25, 0.13, 0.07])
    addon_w = np.array([p[6] for p in PRODUCTS])
    extra_order = np.repeat(np.arange(n_orders), n_extra)
    extra = rng.choice(n_prod, size=len(extra_order), p=addon_w / addon_w.sum())
    has_comp = companion >= 0
    l_order = np.concatenate([np.arange(n_orders), np.flatnonzero(has_comp), extra_order])
    l_prod = np.concatenate([main, companion[has_comp], extra])
    l_slot = np.concatenate(
        [np.zeros(n_orders), np.ones(has_comp.sum()), 2 + _rank_within(extra_order)]
    ).astype(np.int64)
    srt = np.lexsort((l_slot, l_order))
    l_order, l_prod = l_order[srt], l_prod[srt]
    # One line per product per order, at most four lines.
    pair = l_order.astype(np.int64) * n_prod + l_prod
    by_pair = np.argsort(pair, kind="stable")  # stable: the earliest slot comes first
    sorted_pair = pair[by_pair]
    uniq = np.zeros(len(pair), dtype=bool)
    uniq[by_pair[np.r_[True, sorted_pair[1:] != sorted_pair[:-1]]]] = True
    l_order, l_prod = l_order[uniq], l_prod[uniq]
    slot = _rank_within(l_order)
    l_order, l_prod, slot = l_order[slot < 4], l_prod[slot < 4], slot[slot < 4]

    l_cust = o_cust[l_order]
    qty_base = np.array([p[5] for p in PRODUCTS])
    qty = 1 + rng.poisson(size[l_cust] * qty_base[l_prod])
    price = np.array([p[3] for p in PRODUCTS])
    l_day = o_day[l_order]
    unit = price[l_prod] * (1 - CHANNEL_DISCOUNT[channel[l_cust]]) * (1 - cal.discount[l_day])
    amount_c = np.round(qty * unit * 100).astype(np.int64)
    cost_c = np.round(
        qty
        * price[l_prod]
        * COST_RATIO[prod_cat[l_prod]]
        * rng.uniform(0.96, 1.04, size=len(qty))
        * 100
    ).astype(np.int64)
    b.update(
        l_order=l_order, l_prod=l_prod, l_slot=slot, l_qty=qty, l_amount=amount_c, l_cost=cost_c
    )


def _plant_problems(rng: np.random.Generator, cal: _Calendar, b: dict) -> None:
    """Add the planted data-quality rows; sets the final line arrays in `b`."""
    counts = planted_counts(b["n"])
    n_lines = len(b["l_order"])
    need = sum(counts.values())
    if n_lines < need:
        raise ValueError(
            "too few order lines to plant the data-quality problems; use more customers"
        )
    picks = rng.choice(n_lines, size=need, replace=False)
    cuts = np.cumsum([counts[k] for k in counts])[:-1]
    refunds, dups, missing, future, orphans = np.split(picks, cuts)

    n_orders = len(b["o_cust"])
    # New single-line orders (empty customer, future date, orphan) copy a template line.
    singles = np.concatenate([missing, future, orphans])
    s_cust = b["o_cust"][b["l_order"][singles]].copy()
    s_cust[: len(missing)] = -1  # empty Customer
    s_cust[len(missing) + len(future) :] = b["n"] + np.arange(len(orphans))  # unknown IDs
    s_day = b["o_day"][b["l_order"][singles]].copy()
    s_day[len(missing) : len(missing) + len(future)] = cal.n_days + rng.integers(
        1, 90, size=len(future)
    )  # after the export
    o_cust = np.concatenate([b["o_cust"], s_cust])
    o_day = np.concatenate([b["o_day"], s_day])
    # Order numbers follow the order date, as in a real system.
    number = np.empty(len(o_cust), dtype=np.int64)
    number[np.lexsort((o_cust, o_day))] = np.arange(1, len(o_cust) + 1)

    moved = np.zeros(n_lines, dtype=bool)
    moved[singles] = True
    normal = np.flatnonzero(~moved)  # templates of singles move away
    # (line indices, their orders, sign, is refund, is duplicate); picks never overlap.
    parts = [
        (normal, b["l_order"][normal], 1, False, False),
        (singles, n_orders + np.arange(len(singles)), 1, False, False),
        (refunds, b["l_order"][refunds], -1, True, False),
        (dups, b["l_order"][dups], 1, False, True),
    ]
    refund_day = np.minimum(
        o_day[b["l_order"][refunds]] + rng.integers(3, 21, size=len(refunds)), cal.n_days - 1
    )
    column = {  # built one at a time below, so only one column is in flight (memory)
        "order": lambda idx, oi, sign, rf, dp: number[oi],
        "cust": lambda idx, oi, sign, rf, dp: o_cust[oi],
        "prod": lambda idx, oi, sign, rf, dp: b["l_prod"][idx],
        "slot": lambda idx, oi, sign, rf, dp: (
            np.zeros(len(idx), np.int64) if rf else b["l_slot"][idx]
        ),
        "qty": lambda idx, oi, sign, rf, dp: sign * b["l_qty"][idx],
        "amount": lambda idx, oi, sign, rf, dp: sign * b["l_amount"][idx],
        "cost": lambda idx, oi, sign, rf, dp: sign * b["l_cost"][idx],
        "refund": lambda idx, oi, sign, rf, dp: np.full(len(idx), rf),
        "dup": lambda idx, oi, sign, rf, dp: np.full(len(idx), dp),
        "day": lambda idx, oi, sign, rf, dp: refund_day if rf else o_day[oi],
    }

    def build(name: str) -> np.ndarray:
        return np.concatenate([column[name](*part) for part in parts])

    # By date, then order number; refunds after sales, duplicates right after their original.
    key = build("day").astype(np.int64) * (len(o_cust) + 1) + build("order")
    key = (key * 2 + build("refund")) * 8 + build("slot")
    srt = np.argsort(key * 2 + build("dup"), kind="stable")
    del key
    b["lines"] = {name: build(name)[srt] for name in column}
    for k in ("l_order", "l_prod", "l_slot", "l_qty", "l_amount", "l_cost"):
        del b[k]  # the final lines replace them
    b["planted"] = counts


def _simulate_tickets(rng: np.random.Generator, cal: _Calendar, b: dict) -> None:
    o_cust, o_day = b["o_cust"], b["o_day"]
    n = b["n"]
    orders_per = np.bincount(o_cust, minlength=n)
    lam = (0.08 + 0.07 * orders_per) * REGION_TICKETS[b["region"]]
    k = rng.poisson(lam) * (orders_per > 0)
    t_cust = np.repeat(np.arange(n), k)
    # Each ticket follows one of the customer's orders (orders are sorted by customer).
    start = np.r_[0, np.cumsum(orders_per)[:-1]]
    which = start[t_cust] + (rng.random(len(t_cust)) * orders_per[t_cust]).astype(np.int64)
    t_day = o_day[which] + rng.geometric(0.2, size=len(t_cust)) - 1
    ok = t_day < cal.n_days
    t_cust, t_day = t_cust[ok], t_day[ok]
    m = len(t_cust)
    region = b["region"][t_cust]
    channel = _pick(rng, TICKET_CHANNEL_MIX, b["channel"][t_cust])
    category = rng.choice(len(TICKET_CATEGORIES), size=m, p=TICKET_CATEGORY_MIX)
    priority = rng.choice(len(PRIORITIES), size=m, p=PRIORITY_MIX)
    hour = rng.choice(
        np.arange(8, 22), size=m, p=np.array([3, 6, 8, 8, 7, 5, 7, 8, 7, 6, 5, 4, 3, 2]) / 79
    )
    opened = t_day * 1440 + hour * 60 + rng.integers(0, 60, size=m)
    slow = REGION_SLOW[region]
    first_resp = (
        np.round(FIRST_RESPONSE_MIN[channel] * slow * rng.lognormal(0.0, 0.9, size=m)).astype(
            np.int64
        )
        + 1
    )
    resolve = np.round(
        60
        * RESOLUTION_HOURS[channel]
        * slow
        * TICKET_CATEGORY_SLOW[category]
        * PRIORITY_SLOW[priority]
        * rng.lognormal(0.0, 1.0, size=m)
    )
    resolve = np.maximum(resolve.astype(np.int64), first_resp + 5)
    hours = resolve / 60
    contacts = np.minimum(1 + rng.poisson(0.15 + 0.35 * np.log1p(hours / 24)), 4)
    reopened = (rng.random(m) < 0.03 + 0.06 * (contacts - 1)).astype(np.int64)
    # A few tickets got stuck (aged backlog); the rest are open only if not done by the export.
    stuck = (rng.random(m) < 0.04) & (t_day >= cal.n_days - 90)
    end = cal.n_days * 1440
    first_at = np.where(opened + first_resp < end, opened + first_resp, -1)
    resolved_at = np.where((opened + resolve < end) & ~stuck, opened + resolve, -1)
    srt = np.lexsort((t_cust, opened))
    b["tickets"] = {
        "cust": t_cust[srt],
        "channel": channel[srt],
        "opened": opened[srt],
        "first": first_at[srt],
        "resolved": resolved_at[srt],
        "contacts": contacts[srt],
        "reopened": reopened[srt],
        "category": category[srt],
        "priority": priority[srt],
        "hours": hours[srt],
    }


def _simulate_surveys(rng: np.random.Generator, cal: _Calendar, b: dict) -> None:
    t = b["tickets"]
    n = b["n"]
    late = (t["hours"] > 48).astype(float)
    # Customers remember slow service in their relationship survey too.
    late_per = np.bincount(t["cust"], weights=late, minlength=n)
    base = REGION_SAT[b["region"]] + CHANNEL_SAT[b["channel"]] + b["mood"]

    # Post-service surveys: a third of resolved tickets, within three days.
    done = np.flatnonzero((t["resolved"] >= 0) & (rng.random(len(t["cust"])) < 0.35))
    s1_day = t["resolved"][done] // 1440 + rng.integers(0, 4, size=len(done))
    s1_cust = t["cust"][done]
    s1_z = (
        base[s1_cust]
        - 1.0 * late[done]
        - 0.5 * t["reopened"][done]
        + 0.3 * (t["contacts"][done] == 1)
        - 0.2 * (t["category"][done] == 2)
    )
    # Relationship surveys: about one order in twelve, a week later.
    o = np.flatnonzero(rng.random(len(b["o_cust"])) < 0.085)
    s2_cust = b["o_cust"][o]
    s2_day = b["o_day"][o] + rng.integers(3, 11, size=len(o))
    s2_z = base[s2_cust] - 0.4 * np.minimum(late_per[s2_cust], 3)

    cust = np.concatenate([s1_cust, s2_cust])
    day = np.concatenate([s1_day, s2_day])
    z = np.concatenate([s1_z, s2_z]) + rng.normal(0.0, 0.9, size=len(cust))
    ticket = np.concatenate([done, np.full(len(o), -1)])
    theme_neg = np.concatenate([late[done] > 0, np.zeros(len(o), bool)])
    ok = day < cal.n_days
    cust, day, z, ticket, theme_neg = cust[ok], day[ok], z[ok], ticket[ok], theme_neg[ok]
    m = len(cust)
    nps = np.clip(np.round(8.1 + 2.0 * z), 0, 10).astype(np.int64)
    csat = np.clip(np.round(3.95 + 0.8 * z + rng.normal(0, 0.45, size=m)), 1, 5).astype(np.int64)
    group = np.where(nps <= 6, 0, np.where(nps <= 8, 1, 2))  # detractor, passive, promoter
    # Comments: which theme, positive or negative, which wording; some leave none.
    has_comment = rng.random(m) < np.array([0.75, 0.45, 0.55])[group]
    mix = np.stack([THEME_MIX["detractor"], THEME_MIX["passive"], THEME_MIX["promoter"]])
    theme = _pick(rng, mix, group)
    # Late tickets make detractors talk about service; far regions about delivery.
    theme = np.where(theme_neg & (group == 0) & (rng.random(m) < 0.6), 3, theme)
    far = np.isin(b["region"][cust], [5, 6]) & (group == 0) & (rng.random(m) < 0.3)
    theme = np.where(far, 0, theme)
    positive = np.where(group == 1, rng.random(m) < 0.5, group == 2)
    variant = rng.integers(0, 4, size=m)
    second = (rng.random(m) < 0.2) & has_comment
    theme2 = (theme + rng.integers(1, len(THEMES), size=m)) % len(THEMES)
    variant2 = rng.integers(0, 4, size=m)
    srt = np.lexsort((cust, day))
    b["surveys"] = {
        "cust": cust[srt],
        "day": day[srt],
        "nps": nps[srt],
        "csat": csat[srt],
        "ticket": ticket[srt],
        "has_comment": has_comment[srt],
        "theme": theme[srt],
        "positive": positive[srt],
        "variant": variant[srt],
        "second": second[srt],
        "theme2": theme2[srt],
        "variant2": variant2[srt],
    }


def _simulate_leads(rng: np.random.Generator, cal: _Calendar, b: dict) -> None:
    n = b["n"]
    region, channel, signup = b["region"], b["channel"], b["signup"]
    rep_region = np.array([r[2] for r in REPS])
    rep_win = np.array([r[3] for r in REPS])
    # Won leads: the customers sales brought in (mostly key accounts and distributors).
    won = np.flatnonzero(rng.random(n) < np.array([0.08, 0.10, 0.90, 0.75])[channel])
    weights = (rep_region[None, :] == np.arange(7)[:, None]) * rep_win[None, :]  # per region
    w_owner = _pick(rng, weights, region[won])
    w_cycle = np.round(rng.lognormal(np.log(35), 0.5, size=len(won))).astype(np.int64)
    w_created = np.maximum(signup[won] - w_cycle, 0)
    w_amount = rng.lognormal(np.log(np.array([5e3, 8e3, 8e4, 5e4])[channel[won]]), 0.6)
    # Lost and open leads, so that each rep closes at their own win rate.
    won_per = np.bincount(w_owner, minlength=len(REPS))
    other_per = np.round(won_per * (1 - rep_win) / rep_win).astype(np.int64)
    x_owner = np.repeat(np.arange(len(REPS)), other_per)
    m = len(x_owner)
    x_created = rng.choice(cal.n_days, size=m, p=cal.acquisition / cal.acquisition.sum())
    x_cycle = np.round(rng.lognormal(np.log(30), 0.6, size=m)).astype(np.int64)
    x_closed = x_created + x_cycle
    x_open = x_closed >= cal.n_days
    reached = rng.choice(4, size=m, p=[0.35, 0.30, 0.20, 0.15])
    x_amount = rng.lognormal(np.log(3e4), 1.0, size=m)

    lead = {
        "created": np.concatenate([w_created, x_created]),
        "closed": np.concatenate([signup[won], np.where(x_open, -1, x_closed)]),
        "stage": np.concatenate([np.full(len(won), 4), reached]),
        "status": np.concatenate([np.full(len(won), 1), np.where(x_open, 0, 2)]),  # open/won/lost
        "owner": np.concatenate([w_owner, x_owner]),
        "region": np.concatenate([region[won], rep_region[x_owner]]),
        "source": np.concatenate(
            [
                rng.choice(6, size=len(won), p=SOURCE_MIX_WON),
                rng.choice(6, size=m, p=SOURCE_MIX_OTHER),
            ]
        ),
        "amount": np.round(np.concatenate([w_amount, x_amount]), -1),
        "cust": np.concatenate([won, np.full(m, -1)]),
    }
    srt = np.lexsort((lead["owner"], lead["created"]))
    b["leads"] = {k: v[srt] for k, v in lead.items()}


def region_names(lang: str, regions: int | None = None) -> list[str]:
    """The region names of a sample with `regions` regions (None: the seven)."""
    base = REGIONS[lang]
    if regions is None:
        return list(base)
    if regions <= 7:
        return list(base[:regions])
    sep = "" if lang == "zh" else " "
    return [f"{base[k % 7]}{sep}{k // 7 + 1}" for k in range(regions)]


def _split_regions(b: dict, lang: str, regions: int | None) -> None:
    """`b["area"]`: each customer's named region; `b["leads"]["area"]` likewise.

    Macro region m (behaviour) owns the named regions k with k % 7 == m (or m % regions when
    there are fewer than seven); its customers are spread evenly over them.
    """
    b["area_names"] = region_names(lang, regions)
    macro = b["region"]
    if regions is None:
        b["area"] = macro
        b["leads"]["area"] = b["leads"]["region"]
        return
    if regions <= 7:
        b["area"] = macro % regions
        b["leads"]["area"] = b["leads"]["region"] % regions
        return
    rng = np.random.default_rng([b["n"], 3, regions])  # independent of the book's draws
    owned = (regions - np.arange(7) + 6) // 7  # named regions per macro region
    b["area"] = macro + 7 * (rng.random(b["n"]) * owned[macro]).astype(np.int64)
    ld = b["leads"]
    cust = ld["cust"]
    ld["area"] = np.where(cust >= 0, b["area"][np.maximum(cust, 0)], ld["region"])


# ---------------------------------------------------------------------------------------------
# From arrays to tables (string values in the export's formats; typed for Parquet).


def _tables(b: dict, cal: _Calendar, lang: str) -> dict[str, dict]:
    """Per table: {"csv": strings (DataFrame or pyarrow Table), "typed": () -> canonical table}.

    The typed (Parquet) version is built only when asked for.
    """
    rng = np.random.default_rng([b["n"], 1])  # names etc.: independent of the book's draws
    n = b["n"]
    width = max(6, len(str(n + 1000)))
    ids = np.array(
        [f"C{i:0{width}d}" for i in range(1, n + 1 + b["planted"]["orphans"])], dtype=object
    )
    zh = lang == "zh"
    L = 1 if zh else 0
    area_names = np.array(b["area_names"], dtype=object)
    channel_names = np.array(CHANNELS[lang], dtype=object)
    out: dict[str, dict] = {}

    # customers
    company = np.isin(b["channel"], [2, 3]) | (rng.random(n) < 0.1)
    sur = rng.integers(0, len(SURNAMES), size=n)
    giv = rng.integers(0, len(GIVEN), size=n)
    word = rng.integers(0, len(COMPANY_WORDS), size=n)
    kind = rng.integers(0, len(COMPANY_KINDS), size=n)
    city_pick = rng.random(n)
    city = np.empty(n, dtype=object)
    for r, cities in enumerate(CITIES):  # 7 regions, not a loop over customers
        mine = b["region"] == r
        # Earlier cities in the list are the bigger ones.
        w = 1.0 / np.arange(1, len(cities) + 1)
        j = np.searchsorted(np.cumsum(w) / w.sum(), city_pick[mine], side="right")
        city[mine] = np.array([c[L] for c in cities], dtype=object)[np.minimum(j, len(w) - 1)]
    s_zh = np.array([s[0] for s in SURNAMES], dtype=object)[sur]
    s_py = np.array([s[1] for s in SURNAMES], dtype=object)[sur]
    g_zh = np.array([g[0] for g in GIVEN], dtype=object)[giv]
    g_py = np.array([g[1] for g in GIVEN], dtype=object)[giv]
    w_zh = np.array([w[0] for w in COMPANY_WORDS], dtype=object)[word]
    w_py = np.array([w[1] for w in COMPANY_WORDS], dtype=object)[word]
    k_zh = np.array([k[0] for k in COMPANY_KINDS], dtype=object)[kind]
    k_en = np.array([k[1] for k in COMPANY_KINDS], dtype=object)[kind]
    if zh:
        person = s_zh + g_zh
        firm = city + w_zh + k_zh
    else:
        person = g_py + " " + s_py
        firm = w_py + " " + k_en
    name = np.where(company, firm, person)
    local = np.where(
        company,
        np.char.lower(w_py.astype(str)).astype(object) + ".office",
        np.char.lower((g_py + "." + s_py).astype(str)).astype(object),
    )
    digits = rng.integers(1, 100, size=n).astype(str).astype(object)
    domain = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), size=n)]
    email = local + digits + "@" + domain
    phone = (
        (
            np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), size=n)] * 100_000_000
            + rng.integers(0, 100_000_000, size=n)
        )
        .astype(str)
        .astype(object)
    )
    industry = np.array(INDUSTRIES[lang], dtype=object)[
        rng.choice(len(INDUSTRY_SHARE), size=n, p=INDUSTRY_SHARE)
    ]
    customers = pd.DataFrame(
        {
            "客户编号": ids[:n],
            "客户名称": name,
            "区域": area_names[b["area"]],
            "渠道": channel_names[b["channel"]],
            "行业": industry,
            "注册日期": cal.iso(b["signup"]),
            "城市": city,
            "电话": phone,
            "邮箱": email,
        }
    ).astype("string")
    out["customers"] = {
        "csv": customers,
        "typed": lambda: _typed(customers, "customers", ["signup_date"]),
    }

    # orders (the big one: pyarrow strings, no Python per row)
    ln = b["lines"]
    nums = pa.array(ln["order"])
    order_no = pc.binary_join_element_wise(
        "SO",
        pc.utf8_lpad(pc.cast(nums, pa.string()), max(7, len(str(int(nums.to_numpy().max())))), "0"),
        "",
    )
    order_no = pc.if_else(
        pa.array(ln["refund"]), pc.binary_join_element_wise(order_no, "R", "-"), order_no
    )
    cust_idx = pa.array(ln["cust"], mask=ln["cust"] < 0)
    customer = pa.array(ids.astype(str)).take(cust_idx)  # null -> empty field
    day_text = pa.array(np.asarray(cal.days.strftime("%d/%m/%Y"))).take(pa.array(ln["day"]))
    prod_names = pa.array([p[L] for p in PRODUCTS])
    cat_names = pa.array(CATEGORIES[lang])
    prod_cat = np.array([p[2] for p in PRODUCTS])
    orders = pa.table(
        {
            "Order No": order_no,
            "Customer": customer,
            "Order Date": day_text,
            "Product": prod_names.take(pa.array(ln["prod"])),
            "Category": cat_names.take(pa.array(prod_cat[ln["prod"]])),
            "Qty": pc.cast(pa.array(ln["qty"]), pa.string()),
            "Net Amount": _comma_decimal(ln["amount"]),
            "Cost": _comma_decimal(ln["cost"]),
        }
    )

    def orders_typed() -> pa.Table:
        return pa.table(
            {
                "order_id": order_no,
                "customer_id": customer,
                "order_date": pa.array(cal.days.values[ln["day"]].astype("datetime64[ms]")),
                "product": orders["Product"],
                "category": orders["Category"],
                "quantity": pa.array(ln["qty"].astype(float)),
                "amount": pa.array(ln["amount"] / 100),
                "cost": pa.array(ln["cost"] / 100),
            }
        )

    out["orders"] = {"csv": orders, "typed": orders_typed}

    # tickets
    t = b["tickets"]
    m = len(t["cust"])
    width_t = max(7, len(str(m)))
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{i:0{width_t}d}" for i in range(1, m + 1)],
            "customer_id": ids[t["cust"]],
            "channel": np.array(TICKET_CHANNELS, dtype=object)[t["channel"]],
            "opened_at": _minutes(cal, t["opened"]),
            "first_response_at": _minutes(cal, t["first"]),
            "resolved_at": _minutes(cal, t["resolved"]),
            "contacts": t["contacts"].astype(str),
            "reopened": t["reopened"].astype(str),
            "category": np.array(TICKET_CATEGORIES, dtype=object)[t["category"]],
            "priority": np.array(PRIORITIES, dtype=object)[t["priority"]],
        }
    ).astype("string")
    out["tickets"] = {
        "csv": tickets,
        "typed": lambda: _typed(
            tickets,
            "tickets",
            ["opened_at", "first_response_at", "resolved_at"],
            numbers=["contacts", "reopened"],
        ),
    }

    # surveys
    s = b["surveys"]
    k = len(s["cust"])
    neg_pos = np.array(
        [[COMMENTS[lang][th][pos][v] for pos in (0, 1) for v in range(4)] for th in THEMES],
        dtype=object,
    )  # (theme, 8)
    text = neg_pos[s["theme"], s["positive"] * 4 + s["variant"]]
    text2 = neg_pos[s["theme2"], s["positive"] * 4 + s["variant2"]]
    joiner = "" if zh else " "
    comment = np.where(s["second"], text + joiner + text2, text)
    comment = np.where(s["has_comment"], comment, None)
    width_s = max(7, len(str(k)))
    surveys = pd.DataFrame(
        {
            "response_id": [f"R{i:0{width_s}d}" for i in range(1, k + 1)],
            "customer_id": ids[s["cust"]],
            "survey_date": cal.iso(s["day"]),
            "nps": s["nps"].astype(str),
            "csat": s["csat"].astype(str),
            "comment": comment,
            "ticket_id": np.where(
                s["ticket"] >= 0,
                tickets["ticket_id"].to_numpy(dtype=object)[np.maximum(s["ticket"], 0)],
                None,
            ),
        }
    ).astype("string")
    out["surveys"] = {
        "csv": surveys,
        "typed": lambda: _typed(surveys, "surveys", ["survey_date"], numbers=["nps", "csat"]),
    }

    # leads
    ld = b["leads"]
    q = len(ld["cust"])
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i:06d}" for i in range(1, q + 1)],
            "created_date": cal.iso(ld["created"]),
            "stage": np.array(LEAD_STAGES, dtype=object)[ld["stage"]],
            "status": np.array(["open", "won", "lost"], dtype=object)[ld["status"]],
            "closed_date": np.where(ld["closed"] >= 0, cal.iso(np.maximum(ld["closed"], 0)), None),
            "owner": np.array([r[1 - L] for r in REPS], dtype=object)[ld["owner"]],
            "region": area_names[ld["area"]],
            "source": np.array(LEAD_SOURCES[lang], dtype=object)[ld["source"]],
            "amount": [f"{a:.2f}" for a in ld["amount"]],
            "customer_id": np.where(ld["cust"] >= 0, ids[np.maximum(ld["cust"], 0)], None),
        }
    ).astype("string")
    out["leads"] = {
        "csv": leads,
        "typed": lambda: _typed(
            leads, "leads", ["created_date", "closed_date"], numbers=["amount"]
        ),
    }

    targets, marketing = _targets_and_marketing(b, cal, lang)
    out["targets"] = {"csv": targets, "typed": lambda: _typed(targets, "targets", [], ["target"])}
    out["marketing"] = {
        "csv": marketing,
        "typed": lambda: _typed(marketing, "marketing", [], ["spend"]),
    }
    return out


def _targets_and_marketing(b: dict, cal: _Calendar, lang: str) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng([b["n"], 2])
    regions = b["area_names"]
    k = len(regions)
    quarter = cal.quarter[b["signup"]]
    labels = sorted(set(cal.quarter[: cal.n_days]))
    new = pd.crosstab(pd.Series(quarter, name="q"), pd.Series(b["area"], name="r"))
    new = new.reindex(index=labels, columns=range(k), fill_value=0)
    rows: list[tuple[str, str, str, str]] = []
    # New customers: "+10 % a quarter" on the previous quarter's actual.
    total = new.sum(axis=1)
    for prev, cur in zip(labels[:-1], labels[1:], strict=True):
        rows.append(("new_customers", f"{round(total[prev] * 1.10)}", "", cur))
    rows += (
        [
            ("retention_rate", "0.75", "", ""),
            ("repeat_rate", "0.4", "", ""),
            ("nps", "30", "", ""),
            ("nps", "35", regions[0], ""),
            ("nps", "20", regions[6], ""),
            ("csat", "0.9", "", ""),
            ("complaint_rate", "0.05", "", ""),
            ("sla_attainment", "0.9", "", ""),
            ("sla_attainment", "0.85", regions[5], ""),
        ]
        if k >= 7
        else [  # fewer regions: the regional targets go with them
            ("retention_rate", "0.75", "", ""),
            ("repeat_rate", "0.4", "", ""),
            ("nps", "30", "", ""),
            ("csat", "0.9", "", ""),
            ("complaint_rate", "0.05", "", ""),
            ("sla_attainment", "0.9", "", ""),
        ]
    )
    # Revenue per active customer per quarter: last year's level plus 5 %, East expects more.
    ln = b["lines"]
    real = (ln["cust"] >= 0) & (ln["cust"] < b["n"]) & (ln["day"] < cal.n_days) & ~ln["dup"]
    lq = cal.quarter[ln["day"][real]]
    last4 = np.isin(lq, labels[-4:])
    rev = ln["amount"][real][last4].sum() / 100
    q_index = np.searchsorted(np.array(labels), lq[last4])
    active = len(_distinct(q_index.astype(np.int64) * b["n"] + ln["cust"][real][last4]))
    per = rev / max(active, 1) * 1.05
    rows.append(("revenue_per_customer", f"{round(per, -1):.0f}", "", ""))
    rows.append(("revenue_per_customer", f"{round(per * 1.2, -1):.0f}", regions[0], ""))
    targets = pd.DataFrame(rows, columns=TARGET_HEADERS, dtype="string")

    # Marketing spend per quarter and region: what the new customers cost, with noise.
    cac = REGION_CAC[np.arange(k) % 7]
    spend = new.to_numpy() * cac[None, :] * rng.lognormal(0.0, 0.15, size=new.shape)
    spend = np.round(np.maximum(spend, 500.0), -2)
    marketing = pd.DataFrame(
        {
            "period": np.repeat(labels, k),
            "spend": [f"{x:.0f}" for x in spend.ravel()],
            "region": np.tile(np.array(regions, dtype=object), len(labels)),
        }
    ).astype("string")
    return targets, marketing


def _comma_decimal(cents: np.ndarray) -> pa.Array:
    """Integer cents -> '1234,50' / '-12,00' (decimal comma, no thousands separator)."""
    a = np.abs(cents)
    whole = pc.cast(pa.array(a // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(whole, frac, ",")
    return pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)


def _minutes(cal: _Calendar, minutes: np.ndarray) -> pd.Series:
    """Minutes since start -> 'YYYY-MM-DD HH:MM'; negative = empty."""
    stamp = cal.start.to_datetime64().astype("datetime64[m]") + np.maximum(minutes, 0).astype(
        "timedelta64[m]"
    )
    arr = pa.array(stamp.astype("datetime64[s]"), mask=minutes < 0)
    return pd.Series(pc.strftime(arr, format="%Y-%m-%d %H:%M"), dtype="string")


def _typed(
    df: pd.DataFrame, table: str, dates: list[str], numbers: list[str] | None = None
) -> pd.DataFrame:
    """The canonical, typed version of a string table (for fmt='parquet')."""
    typed = df.rename(columns=CANONICAL.get(table, {}))
    for col in [CANONICAL.get(table, {}).get(c, c) for c in dates]:
        typed[col] = pd.to_datetime(typed[col], format="ISO8601")
    for col in [CANONICAL.get(table, {}).get(c, c) for c in numbers or []]:
        typed[col] = pd.to_numeric(typed[col]).astype("float64")
    return typed


# ---------------------------------------------------------------------------------------------
# Writing.


def _write(tables: dict[str, dict], out_dir: Path, fmt: str) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for name, versions in tables.items():
        if fmt == "parquet":
            path = out_dir / f"{name}.parquet"
            typed = versions["typed"]()
            table = (
                typed
                if isinstance(typed, pa.Table)
                else pa.Table.from_pandas(typed, preserve_index=False)
            )
            pq.write_table(table, path)
        else:
            path = out_dir / f"{name}.csv"
            data = versions["csv"]
            if isinstance(data, pa.Table):  # orders: no value needs quoting
                with open(path, "wb") as f:
                    pacsv.write_csv(
                        data,
                        f,
                        pacsv.WriteOptions(
                            delimiter=";", quoting_style="none", quoting_header="none"
                        ),
                    )
            else:
                encoding = "utf-8-sig" if name == "customers" else "utf-8"
                data.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
        written[name] = path
    return written
