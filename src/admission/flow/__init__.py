"""The admission workflow: flow language, guard expressions, engine and store."""
