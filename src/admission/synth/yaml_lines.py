"""The YAML text of a tree, written line by line rather than dumped: scalars quoted only where
YAML needs it, one flow mapping per unit, basis, matter and list entry."""

from __future__ import annotations

import json
import re

from .records import Matter

_PLAIN = re.compile(r"[A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff\u3001-\u303f\uff01-\uff5e()·_.\-]*\Z")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}
_QCACHE: dict[str, str] = {}


def q(s: str) -> str:
    """`s` as a YAML flow scalar: plain when safe, else double-quoted (JSON strings are YAML)."""
    out = _QCACHE.get(s)
    if out is None:
        if _PLAIN.match(s) and s.lower() not in _RESERVED:
            out = s
        else:
            out = json.dumps(s, ensure_ascii=False)
        if len(_QCACHE) < 500_000:
            _QCACHE[s] = out
    return out


def qid(s: str) -> str:
    """An id, always quoted when it starts with a digit (division and credit codes)."""
    return f'"{s}"' if s[:1].isdigit() else q(s)


def qids(xs) -> str:
    """One id as a scalar, several as a flow list."""
    xs = list(xs)
    return qid(xs[0]) if len(xs) == 1 else "[" + ", ".join(qid(x) for x in xs) + "]"


def unit_line(uid, name, kind, *, level=None, form=None, parent=None, seat=None, until=None) -> str:
    parts = [f"id: {qid(uid)}", f"name: {q(name)}", f"kind: {kind}"]
    if level:
        parts.append(f"level: {level}")
    if form:
        parts.append(f"form: {form}")
    if parent:
        parts.append(f"parent: {qid(parent)}")
    if seat:
        parts.append(f"seat: {qid(seat)}")
    if until:
        parts.append(f"until: {until.isoformat()}")
    return "  - {" + ", ".join(parts) + "}\n"


def basis_line(b: dict) -> str:
    parts = [f"id: {q(b['id'])}", f"number: {q(b['number'])}", f"title: {q(b['title'])}", f"issuer: {q(b['issuer'])}",
             f"level: {b['level']}", f"kind: {b['kind']}",
             "undated: true" if b.get("undated") else f"issued: {b['issued'].isoformat()}"]
    if b.get("scope"):
        parts.append(f"scope: {qids(b['scope'])}")
    return "  - {" + ", ".join(parts) + "}\n"


def matter_line(m: Matter) -> str:
    parts = [f"id: {q(m.id)}", f"name: {q(m.name)}", f"domain: {q(m.domain)}"]
    if m.ptype != "other":
        parts.append(f"power_type: {m.ptype}")
    if m.basis:
        parts.append(f"basis: {q(m.basis)}")
    if m.levels:
        parts.append(f"levels: [{', '.join(m.levels)}]")
    if m.major:
        parts.append("major_penalty: true")
    if m.specialist:
        parts.append("needs_specialist: true")
    if m.tags:
        parts.append(f"tags: [{', '.join(m.tags)}]")
    return "  - {" + ", ".join(parts) + "}\n"


def entry_line(part: str, e: tuple, ind: str) -> str:
    """One entry of a township or village list part, as the tuple the builders keep it in."""
    if part in ("basic", "duties", "negative", "must_not_certify"):
        return f"{ind}- {q(e[0])}\n"
    if part == "cooperative":
        p = [f"matter: {q(e[0])}"]
        if e[1]:
            p.append(f"lead: {qids(e[1])}")
        p += [f"lead_duties: {q(e[2])}", f"township_duties: {q(e[3])}"]
    elif part == "returned":
        p = [f"matter: {q(e[0])}"]
        if e[1]:
            p.append(f"taken_by: {qids(e[1])}")
        p.append(f"method: {q(e[2])}")
    elif part == "assisting":  # (matter, supervisor, category[, role])
        p = [f"matter: {q(e[0])}"]
        if e[1]:
            p.append(f"supervisor: {qid(e[1])}")
        p.append(f"category: {q(e[2])}")
        if len(e) > 3:
            p.append(f"role: {e[3]}")
    else:  # may_certify
        return f"{ind}- {{matter: {q(e[0])}, basis: {q(e[1])}, purpose: {q(e[2])}}}\n"
    return f"{ind}- {{{', '.join(p)}}}\n"


def entry_lines(part: str, entries, ind: str, cache: dict) -> str:
    """The entries of one part, cached per entry tuple (a template entry is written many times)."""
    out = []
    for e in entries:
        line = cache.get(e)
        if line is None:
            line = cache[e] = entry_line(part, e, ind)
        out.append(line)
    return "".join(out)


def lists_block(parts, lists: dict, ind: str, cache: dict) -> str:
    """Each non-empty part of `lists` under its own key."""
    out = []
    for part in parts:
        if lists[part]:
            out.append(f"{ind}{part}:\n")
            out.append(entry_lines(part, lists[part], ind + "  ", cache))
    return "".join(out)


def delegation_line(dl: dict) -> str:
    p = [f"id: {dl['id']}", f"matter: {q(dl['matter'])}", f"department: {qid(dl['department'])}",
         f"townships: [{', '.join(qid(x) for x in dl['townships'])}]", f"mode: {dl['mode']}"]
    if dl["basis"]:
        p.append(f"basis: {q(dl['basis'])}")
    if dl["scope"]:
        p.append(f"scope: {q(dl['scope'])}")
    p.append(f"since: {dl['since'].isoformat()}")
    if dl["evaluation"]:
        every, last = dl["evaluation"]
        p.append(f"evaluation: {{every_months: {every}" + (f", last: {last.isoformat()}}}" if last else "}"))
    if dl["revoked"]:
        p.append(f"revoked: {{date: {dl['revoked'][0].isoformat()}, reason: {q(dl['revoked'][1])}}}")
    return "  - {" + ", ".join(p) + "}\n"


def admission_line(ad: dict) -> str:
    p = [f"id: {ad['id']}", f"matter: {q(ad['matter'])}", f"applicant: {qid(ad['applicant'])}",
         f"targets: [{', '.join(qid(x) for x in ad['targets'])}]", f"term: {ad['term']}",
         f"since: {ad['since'].isoformat()}"]
    if ad["until"]:
        p.append(f"until: {ad['until'].isoformat()}")
    p += [f"basis: {q(ad['basis'])}", f"document: {q(ad['document'])}"]
    return "  - {" + ", ".join(p) + "}\n"


def assignment_line(a: dict) -> str:
    """An assignment, its kind and role only where they are not the defaults (task, execute)."""
    p = [f"id: {a['id']}", f"by: {qid(a['by'])}", f"to: {qid(a['to'])}", f"matter: {q(a['matter'])}",
         f"date: {a['date'].isoformat()}"]
    if a["kind"] != "task":
        p.append(f"kind: {a['kind']}")
    if a["role"] != "execute":
        p.append(f"role: {a['role']}")
    if a["basis"]:
        p.append(f"basis: {q(a['basis'])}")
    if a["document"]:
        p.append(f"document: {q(a['document'])}")
    return "  - {" + ", ".join(p) + "}\n"


def published_lines(returned: list, matters: dict, skew: int) -> str:
    """A township's published returned counts: the total (plus `skew`) and its three largest domains."""
    by: dict[str, int] = {}
    for e in returned:
        dom = matters[e[0]].domain
        by[dom] = by.get(dom, 0) + 1
    top = sorted(by.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    doms = ", ".join(f"{q(d)}: {n}" for d, n in top)
    return f"    published:\n      returned: {{total: {len(returned) + skew}, by_domain: {{{doms}}}}}\n"
