"""steps: one module per playbook, named like it (data_audit, classification, value,
satisfaction, service, sales, retention, performance_review, action_plan), plus their helpers
(feedback themes, churn warning). Plain, tested functions: tables in, tables/results out.

Layer 4. May import: config, data, metrics, clv, present. Never deliver or run.
"""
