"""Read-only views of the loaded policy for the API: a unit's duties on a date, the owners of a
matter in a unit, matter search, findings with filters.  Plain functions of a runtime."""

from __future__ import annotations

import datetime as dt
import unicodedata

from ..evaluate.checks import run_checks
from ..compile.expand import township_entries, village_entries
from ..compile.index import admission_interval, delegation_interval
from ..language.enums import UnitKind
from ..evaluate.who import ROLE_LABELS, who
from .problems import ApiProblem


def _d(value) -> str | None:
    return value.isoformat() if value else None


def _in_force(rec, on: dt.date) -> bool:
    return (rec.since is None or rec.since <= on) and (rec.until is None or on <= rec.until)


def unit_out(index, uid: str) -> dict:
    u = index.units[uid]
    return {"id": uid, "name": u.name, "kind": u.kind.value, "county": u.county}


def _entry(policy, e, on: dt.date) -> dict:
    m = policy.matters.get(e.matter)
    out = {"matter": e.matter, "matter_name": m.name if m else None, "scope": e.scope, "since": e.since,
           "until": e.until, "source": str(e.span) if e.span else None}
    for name in ("lead", "taken_by"):
        if hasattr(e, name):
            out[name] = list(getattr(e, name))
    for name in ("supervisor", "category", "basis", "rewords"):
        if getattr(e, name, None) is not None:
            out[name] = getattr(e, name)
    if getattr(e, "role", None) is not None:
        out["role"] = e.role.value
    return out


def require_known(index, **ids: str) -> None:
    """422 naming every id that is not in the policy (kind:id)."""
    policy = index.policy
    missing = [f"{kind}:{value}" for kind, value in ids.items()
               if value not in (policy.matters if kind == "matter" else index.units)]
    if missing:
        raise ApiProblem(422, "unknown-id", "未知标识 unknown id: " + "、".join(missing),
                         errors=[{"id": x.split(":", 1)[1], "kind": x.split(":", 1)[0]} for x in missing])


def duties(rt, unit: str, on: dt.date) -> dict:
    index, policy = rt.index, rt.policy
    require_known(index, unit=unit)
    u = index.units[unit]
    lists: dict[str, list] = {}
    powers: list[dict] = []
    admissions: list[dict] = []
    d = on.toordinal()

    def mname(mid):
        m = policy.matters.get(mid)
        return m.name if m else None

    if u.kind == UnitKind.township:
        te = township_entries(policy, unit)
        for kind in ("basic", "cooperative", "returned"):
            lists[kind] = [_entry(policy, e, on) for e in getattr(te, kind) if _in_force(e, on)]
        for (holder, matter), spans in sorted(index.statutory.items()):
            if holder == unit and any(s <= d <= e for s, e in spans):
                powers.append({"matter": matter, "matter_name": mname(matter), "via": "statutory"})
        for dl in policy.delegations.values():
            since, until = delegation_interval(dl)
            if unit in dl.townships and since <= d <= until:
                powers.append({"matter": dl.matter, "matter_name": mname(dl.matter), "via": dl.mode.value,
                               "record": dl.id, "department": dl.department, "since": dl.since, "until": dl.until,
                               "source": str(dl.span) if dl.span else None})
    elif u.kind == UnitKind.village:
        ve = village_entries(policy, unit)
        for kind in ("duties", "assisting", "negative", "may_certify", "must_not_certify"):
            lists[kind] = [_entry(policy, e, on) for e in getattr(ve, kind) if _in_force(e, on)]
    else:
        dept = u.attributed
        for (holder, matter), spans in sorted(index.holds.items()):
            if holder == dept and any(s <= d <= e for s, e in spans):
                powers.append({"matter": matter, "matter_name": mname(matter), "via": "power_list",
                               "department": dept})
        for dl in policy.delegations.values():
            since, until = delegation_interval(dl)
            if dl.department == dept and since <= d <= until:
                powers.append({"matter": dl.matter, "matter_name": mname(dl.matter), "via": "delegated_out",
                               "record": dl.id, "department": dept, "townships": list(dl.townships),
                               "since": dl.since, "until": dl.until, "source": str(dl.span) if dl.span else None})
    workflow_ids = set(index.workflow_admissions)
    for rec in [*policy.admissions.values(), *index.workflow_admissions.values()]:
        since, until = admission_interval(rec)
        if not (since <= d <= until):
            continue
        if unit in rec.targets or (u.kind not in (UnitKind.township, UnitKind.village) and rec.applicant == u.attributed):
            admissions.append({"id": rec.id, "matter": rec.matter, "matter_name": mname(rec.matter),
                               "applicant": rec.applicant, "targets": list(rec.targets), "term": rec.term.value,
                               "since": rec.since, "until": rec.until, "basis": rec.basis,
                               "workflow": rec.id in workflow_ids, "source": str(rec.span) if rec.span else None})
    exercises = [{"id": x.id, "matter": x.matter, "matter_name": mname(x.matter), "date": x.date,
                  "kind": x.kind.value if x.kind else None, "document": x.document,
                  "source": str(x.span) if x.span else None}
                 for x in sorted(policy.exercises.values(), key=lambda x: (x.date, x.id), reverse=True)
                 if x.unit == unit and x.date <= on]
    return {"unit": unit_out(index, unit), "on": on, "revision": index.revision, "admission_seq": index.admission_seq,
            "lists": lists, "powers": powers, "admissions": admissions, "exercises": exercises}


def owners(rt, matter: str, unit: str, on: dt.date) -> dict:
    index = rt.index
    require_known(index, matter=matter, unit=unit)
    roles = who(index, matter, unit, on)
    return {"matter": matter, "matter_name": index.policy.matters[matter].name, "unit": unit,
            "unit_name": index.units[unit].name, "on": on, "revision": index.revision,
            "admission_seq": index.admission_seq,
            "roles": [{**r.to_dict(), "role_label": ROLE_LABELS[r.role]} for r in roles]}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


def search_matters(rt, q: str | None, domain: str | None, power_type: str | None, offset: int, limit: int) -> dict:
    policy = rt.index.policy
    needle = _norm(q) if q else ""
    scored = []
    for m in policy.matters.values():
        if domain and m.domain != domain:
            continue
        if power_type and m.power_type.value != power_type:
            continue
        if needle:
            mid, name = _norm(m.id), _norm(m.name)
            if mid == needle:
                rank = 0
            elif name == needle:
                rank = 1
            elif name.startswith(needle) or mid.startswith(needle):
                rank = 2
            elif needle in name:
                rank = 3
            elif needle in mid or needle in _norm(m.domain) or any(needle in _norm(t.label) for t in m.tags):
                rank = 4
            else:
                continue
        else:
            rank = 0
        scored.append((rank, m.id, m))
    scored.sort(key=lambda x: (x[0], x[1]))
    page = scored[offset:offset + limit]
    return {"revision": policy.revision, "total": len(scored), "offset": offset, "limit": limit, "items": [
        {"id": m.id, "name": m.name, "domain": m.domain, "power_type": m.power_type.value,
         "levels": [lv.value for lv in m.levels], "tags": [t.value for t in m.tags], "basis": m.basis,
         "major_penalty": m.major_penalty, "needs_specialist": m.needs_specialist} for _, _, m in page]}


# --------------------------------------------------------------------------- findings
def finding_units(policy, index, f) -> list[str]:
    """The townships and villages a finding is about (docs/semantics.md, "Finding subjects")."""
    subject = f.subject or ""
    out: list[str] = []
    if "/" in subject:
        out.append(subject.split("/", 1)[0])
    elif subject in policy.assignments:
        out.append(policy.assignments[subject].to)
    elif subject in policy.delegations:
        out.extend(policy.delegations[subject].townships)
    elif subject in index.units:
        out.append(subject)
    return [u for u in dict.fromkeys(out) if u in index.units]


def all_findings(rt, on: dt.date) -> list[dict]:
    policy, index = rt.policy, rt.index
    out = []
    for f in run_checks(policy, on, index):
        item = f.to_dict()
        item["units"] = finding_units(policy, index, f)
        out.append(item)
    return out


def filter_findings(items: list[dict], index, *, rule: str | None, severity: str | None, county: str | None,
                    township: str | None, subject: str | None) -> list[dict]:
    units = index.units

    def township_of(uid):
        u = units[uid]
        return u.township if u.kind == UnitKind.village else uid

    out = []
    for f in items:
        if rule and f["code"] != rule:
            continue
        if severity and f["severity"] != severity:
            continue
        if subject and f.get("subject") != subject:
            continue
        if township and not any(township_of(u) == township for u in f["units"]):
            continue
        if county and not any(units[u].county == county for u in f["units"]):
            continue
        out.append(f)
    return out



# --------------------------------------------------------------------------- registers (issue 20)
def register_question(rt, question: str, actor: str | None, what, target: str, on: dt.date, kind: str = "inspection") -> dict:
    """One of the five register questions; unknown ids are a 422 naming each."""
    from ..evaluate.registers import RegisterDecider
    from ..language.enums import InspectionKind

    ids = {"target": target, **({"actor": actor} if actor is not None else {})}
    require_known(rt.index, **ids)
    d = RegisterDecider(rt.index)
    dec = {"inspect": lambda: d.may_inspect(actor, what, target, on, InspectionKind(kind)),
           "second": lambda: d.may_second(actor, target, what, on),
           "hang": lambda: d.may_hang(target, what, on),
           "seal": lambda: d.may_seal(target, what, on),
           "form": lambda: d.may_request_form(actor, target, what, on)}[question]()
    return dec.to_dict()


def _place(rt, unit: str, kinds) -> None:
    require_known(rt.index, unit=unit)
    if rt.index.units[unit].kind not in kinds:
        raise ApiProblem(422, "wrong-kind", f"{unit} 不是{'或'.join(k.label for k in kinds)} wrong kind of unit")


def burden(rt, unit: str, on: dt.date, baseline: int | None) -> dict:
    from ..evaluate.burden import unit_burden

    _place(rt, unit, (UnitKind.township, UnitKind.village))
    return {**unit_burden(rt.index, unit, on, baseline).to_dict(), "revision": rt.index.revision}


def county_burden(rt, county: str, on: dt.date, baseline: int | None) -> dict:
    from ..evaluate.burden import county_burden as ranked

    _place(rt, county, (UnitKind.government,))
    rev = rt.index.revision
    return {"county": county, "on": on.isoformat(), "revision": rev,
            "townships": [{**b.to_dict(), "revision": rev} for b in ranked(rt.index, county, on, baseline)]}
