"""The command line (`admission …`, Typer): one module per command group — `main` (validate,
check, decide, who, diff, test, schema, synth, run), `flow` (the workflow and tick), `scale`
(build, publish), `serve` (the API server, tokens, decision logs), `rules` (the rule table and
the generated docs section), `render`, `sheets` — and `common`, the helpers every group shares
(loading a tree or exiting with its diagnostics, dates).

May import: every package below it (it is the top layer).
"""
