"""run: executing an audit (runner, kernel reuse, scheduling on threads or Dask) and the CLI.

Layer 6, the top. May import every other layer.
"""
