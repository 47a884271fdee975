"""National scale: `bundle` (a validated policy compiled once into a content-addressed store split
into county shards, published to a database so replicas serve one revision) and `shard` (the
sharded check in a process pool or on a Dask cluster (`cluster`), incremental re-checks, the
sharded decider).

May import: explain, evaluate, compile, loader, language, store, diagnostics (not flow).
"""
