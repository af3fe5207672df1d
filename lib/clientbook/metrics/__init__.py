"""metrics: what every figure means (the metric registry: key, label, unit, scope, window).

Layer 2. May import: config, data.
"""
