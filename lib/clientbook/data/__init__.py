"""data: the client's export read, checked and normalized (contract, intake, validate, dataset,
book = one slice, sample = the bundled sample client).

Layer 1. May import: config.
"""
