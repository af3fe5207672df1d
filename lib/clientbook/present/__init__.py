"""present: how a step shows things (house style and charts, number formatting, language
catalogue and fonts, the playbook API `say`/`chart`/`table`/`record`, trainer texts).

Layer 3. May import: config, data, metrics, clv.
"""
