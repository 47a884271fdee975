"""The admission workflow: the durable-rules engine (`engine`, the only module that touches it),
the facts of one step (`facts`), the service that runs steps against the store (`service`, the
facade over `apply`, `steps`, `queries`, `errors` and `statements`), calendars, tick and dynamic
adjustment.

May import: explain, evaluate, compile, loader, language, store, diagnostics (not scale).
"""
