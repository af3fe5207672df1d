"""config: the engagement as the consultant writes it (the audit file, branding, step settings).

Layer 0. Imports nothing else from clientbook.
"""
