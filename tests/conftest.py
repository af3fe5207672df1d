"""Shared fixtures: a small client export built by hand (2 regions, 1 quarter), and a small
run rendered from it (tests of rendered output never read what an earlier `make demo` left
under outputs/)."""

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def write_small_export(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    rows = []
    n = 0
    for c in range(24):
        region = "East" if c % 2 == 0 else "North"
        for k in range(1 + c % 4):  # 1 to 4 orders each
            n += 1
            day = 1 + (c * 3 + k * 17) % 85
            rows.append(
                (
                    f"O{n:04d}",
                    f"C{c:03d}",
                    pd.Timestamp("2025-01-01") + pd.Timedelta(days=day),
                    20.0 + 7 * c + 3 * k,
                    region,
                )
            )
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "date", "amount", "region"])
    orders.drop(columns="region").to_csv(d / "orders.csv", index=False, date_format="%Y-%m-%d")
    cust = orders.drop_duplicates("customer_id")[["customer_id", "region"]]
    cust.assign(channel="Online").to_csv(d / "customers.csv", index=False)


def write_audit(path: Path, export: Path, extra: str = "") -> Path:
    path.write_text(
        f"""client: Small Co.
name: small
as_of: "2025-04-01"
sources:
  orders:
    path: {export / "orders.csv"}
    columns: {{order_date: date}}
  customers:
    path: {export / "customers.csv"}
slicing: {{by: [region, period], period: quarter}}
{extra}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def small_audit(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    write_small_export(export)
    return write_audit(tmp_path / "small.yaml", export, "steps: [data_audit, classification]")


@pytest.fixture(scope="session")
def rendered_run(tmp_path_factory) -> Path:
    """The small export run through two playbooks with the HTML report and the slides, once
    per test session, in a temporary folder: outputs/small/ (index, slices, assets)."""
    from clientbook.config import audit_file
    from clientbook.run import runner

    d = tmp_path_factory.mktemp("rendered")
    export = d / "export"
    write_small_export(export)
    audit = write_audit(
        d / "small.yaml", export, "steps: [data_audit, classification]\noutputs: [html, slides]"
    )
    summary = runner.run(audit_file.load(audit), d / "outputs", jobs=2, show_progress=False)
    assert summary.failures == [] and summary.render_errors == []
    return d / "outputs" / "small"
