"""deliver: executed notebooks turned into what the client is handed (report, index, slides,
PPTX deck, PDF, training handbook, actions.xlsx).

Layer 5. May import: config, data, metrics, clv, present, steps. Never run.
"""
