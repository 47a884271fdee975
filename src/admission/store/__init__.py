"""The workflow's store: sqlmodel tables, Alembic migrations, SQLite by default and PostgreSQL
in production.  SQL is the only source of truth for applications; the rules engine keeps
nothing between steps.

May import: diagnostics only (tables and migrations know no policy types).
"""
