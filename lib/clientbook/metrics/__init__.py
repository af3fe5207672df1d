"""metrics: what every figure means (the metric registry: key, label, unit, scope, window).

Layer 2. May import: config, data.
"""

from clientbook.metrics.registry import (  # noqa: E402
    HEADLINE,
    METRICS,
    SCOPES,
    SCORECARD_KEYS,
    UNITS,
    Metric,
    get,
)

__all__ = ["HEADLINE", "METRICS", "SCOPES", "SCORECARD_KEYS", "UNITS", "Metric", "get"]
