"""The canonical tables (docs/data-contract.md) as data: column, type, required."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["str", "date", "float"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False


def _cols(spec: str) -> tuple[Column, ...]:
    """'order_id:str! amount:float!' -> Columns; '!' marks required."""
    out = []
    for item in spec.split():
        name, typ = item.split(":")
        out.append(Column(name, typ.rstrip("!"), typ.endswith("!")))  # type: ignore[arg-type]
    return tuple(out)


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "customers": _cols(
        "customer_id:str! region:str channel:str signup_date:date industry:str segment:str "
        "city:str name:str email:str phone:str"
    ),
    "orders": _cols(
        "order_id:str! customer_id:str! order_date:date! amount:float! product:str category:str "
        "quantity:float unit_price:float cost:float profit:float region:str channel:str "
        "segment:str"
    ),
    "surveys": _cols(
        "response_id:str! customer_id:str survey_date:date! nps_score:float csat_score:float "
        "comment:str ticket_id:str"
    ),
    "tickets": _cols(
        "ticket_id:str! customer_id:str channel:str! opened_at:date! first_response_at:date "
        "resolved_at:date contacts:float reopened:float category:str priority:str"
    ),
    "leads": _cols(
        "lead_id:str! created_date:date! stage:str! status:str! closed_date:date owner:str "
        "region:str source:str amount:float customer_id:str"
    ),
    "targets": _cols("kpi:str! target:float! region:str period:str"),
    "marketing": _cols("period:str! spend:float! region:str"),
}

ID_COLUMNS: dict[str, str] = {
    "customers": "customer_id",
    "orders": "order_id",
    "surveys": "response_id",
    "tickets": "ticket_id",
    "leads": "lead_id",
}
# The date that places a row in time (future dates are flagged on it).
DATE_COLUMNS: dict[str, str] = {
    "orders": "order_date",
    "surveys": "survey_date",
    "tickets": "opened_at",
    "leads": "created_date",
}
PII_COLUMNS = ("name", "email", "phone")
# Values exports write where an ID is missing; such an ID is no customer (compared lower-case).
PLACEHOLDER_IDS = frozenset(
    {
        "null",
        "n/a",
        "na",
        "-",
        "--",
        "0",
        "none",
        "nan",
        "#n/a",
        "(blank)",
        "(null)",
        "?",
        "unknown",
        "undefined",
    }
)
NPS_RANGE = (0.0, 10.0)
CSAT_SCALE = (1.0, 5.0)  # default; the audit file's settings.csat_scale overrides it
