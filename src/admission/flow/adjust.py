"""Decided dynamic adjustments applied to a policy: the township's own list gains or loses the
entry from the decision's effective date, so `check`, `decide` and `diff` see the change."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ..language import Policy
from ..language.entities import BasicEntry, CooperativeEntry, ReturnedEntry, TownshipList

_ENTRY = {"basic": BasicEntry, "cooperative": CooperativeEntry, "returned": ReturnedEntry}


def apply_adjustments(policy: Policy, decided: list[tuple[dict, dt.date, str]]) -> Policy:
    """`decided` holds (adjustment request, effective date, application id) in decision order."""
    if not decided:
        return policy
    lists = dict(policy.township_lists)
    for request, effective, app_id in decided:
        tid = request["township"]
        own = lists.get(tid) or TownshipList.model_construct(
            township=tid, template=None, remove=[], basic=[], cooperative=[], returned=[])
        kind = request["list"]
        matter = request["matter"]
        if request["change"] == "add":
            fields = {"matter": matter, "since": effective, "until": None, "scope": None, "seq": None,
                      "note": f"动态调整 {app_id}"}
            if kind == "cooperative":
                fields.update(lead=[request["lead"]] if request.get("lead") else [], lead_duties=None,
                              township_duties=None)
            if kind == "returned":
                fields.update(taken_by=[request["taken_by"]] if request.get("taken_by") else [], method=None)
            entry = _ENTRY[kind].model_construct(**fields)
            own = own.model_copy(update={kind: [*getattr(own, kind), entry]})
        else:
            until = effective - dt.timedelta(days=1)
            kept = [e if e.matter != matter else e.model_copy(update={"until": min(e.until or until, until)})
                    for e in getattr(own, kind)]
            update: dict = {kind: kept}
            template = policy.township_templates.get(own.template) if own.template else None
            if template is not None and any(e.matter == matter for e in getattr(template, kind)):
                # the template's entry ends on the day before; the template's other kinds stay as they were
                update["remove"] = [*own.remove, matter]
                for other in ("basic", "cooperative", "returned"):
                    carried = [e for e in getattr(template, other) if e.matter == matter]
                    if other == kind:
                        carried = [e.model_copy(update={"until": min(e.until or until, until)}) for e in carried]
                    update[other] = [*update.get(other, getattr(own, other)), *carried]
            own = own.model_copy(update=update)
        lists[tid] = own
    import hashlib

    digest = hashlib.sha256("|".join(app_id for _, _, app_id in decided).encode()).hexdigest()[:8]
    return replace(policy, township_lists=lists, revision=f"{policy.revision}+{digest}")
