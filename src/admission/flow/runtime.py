"""Wiring: a loaded policy, its decision index with the workflow's admissions merged in, and the
workflow service over a migrated store.  The CLI and the API both start here."""

from __future__ import annotations

from dataclasses import dataclass

from ..compile.index import Index, build_index
from ..language import Policy
from ..store.db import make_engine, migrate
from .adjust import apply_adjustments
from .service import Workflow


@dataclass
class Runtime:
    policy: Policy  # the YAML policy with decided adjustments applied
    index: Index  # with the workflow's admissions merged in
    workflow: Workflow
    base_policy: Policy  # the YAML policy alone


def open_runtime(policy: Policy, db_url: str | None = None, *, check_revisions: bool = True) -> Runtime:
    engine = make_engine(db_url)
    migrate(engine)
    base_wf = Workflow(engine, policy, build_index(policy))
    effective = apply_adjustments(policy, base_wf.decided_adjustments())
    index = build_index(effective)
    workflow = Workflow(engine, effective, index)
    records, seq = workflow.admission_records()
    for rec in records:
        index.apply_admission(rec)
    index.admission_seq = seq
    if check_revisions:
        problems = workflow.check_flow_revisions()
        if problems:
            from .service import Conflict

            raise Conflict("；".join(problems), code="flow-revision-removes-state")
    return Runtime(effective, index, workflow, policy)


def refresh_admissions(rt: Runtime) -> None:
    """Bring the index up to the store's admission sequence (after steps, or on a schedule)."""
    records, seq = rt.workflow.admission_records()
    for rec in records:
        rt.index.apply_admission(rec)
    rt.index.admission_seq = seq
