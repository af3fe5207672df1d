"""Time to draw and save (PNG, as playbook.chart does) the statistical charts of one slice.

    PYTHONPATH=lib .venv/bin/python bench/charts.py <dataset_dir> [slice_id] [repeats]

Prints the median milliseconds per chart over `repeats` runs (the first run warms fonts up and
is not counted). Charts a checkout does not have are skipped, so the same script measures the
code before and after a change.
"""

from __future__ import annotations

import io
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    import matplotlib.pyplot as plt

    from clientbook.present import playbook
    from clientbook.steps import churn, retention, value
    from clientbook.steps import satisfaction as sat
    from clientbook.steps import service as svc

    ds = sys.argv[1]
    slice_id = sys.argv[2] if len(sys.argv) > 2 else "all"
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    book = playbook.start(ds, slice_id, "", "/tmp/clientbook-bench-charts")
    cfg = retention.settings(book.settings)
    cohorts = retention.cohort_retention(book.orders, cfg["cohort_freq"], book.as_of)
    mig = retention.migration_between(
        book.orders, book.customers, book.previous_period, book.period, book.settings
    )
    pv = value.predict(book.orders, book.as_of, value.settings(book.settings))
    risk, _, _ = churn.warning_list(book.orders, book.customers, book.as_of, pv, cfg)
    charts = {
        "cohort heatmap": lambda: retention.cohort_chart(cohorts, cfg["cohort_periods"]),
        "migration heatmap": (lambda: retention.migration_chart(mig)) if mig else None,
        "CLV / P(alive)": (lambda: value.distribution_chart(pv))
        if pv.ok and hasattr(value, "distribution_chart")
        else None,
        "churn risk": (lambda: churn.risk_chart(risk, cfg["min_risk"]))
        if hasattr(churn, "risk_chart")
        else None,
        "ticket times": (lambda: svc.time_chart(book.tickets, book.as_of))
        if book.tickets is not None and hasattr(svc, "time_chart")
        else None,
        "NPS scores": (lambda: sat.nps_chart(book.surveys))
        if book.surveys is not None and hasattr(sat, "nps_chart")
        else None,
    }
    total = 0.0
    for name, make in charts.items():
        if make is None:
            continue
        times = []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            fig = make()
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
            times.append(time.perf_counter() - t0)
        ms = statistics.median(times[1:]) * 1000
        total += ms
        print(f"{name:20s} {ms:7.0f} ms")
    print(f"{'total':20s} {total:7.0f} ms")


if __name__ == "__main__":
    main()
