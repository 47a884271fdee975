"""Writers for diagnostics: plain text, JSON and SARIF 2.1.0.  Pure functions of the records."""

from __future__ import annotations

import json
from urllib.parse import quote
from collections.abc import Iterable

from .. import __version__
from ..diagnostics import Diagnostic, Severity

_SARIF_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}


def to_text(diags: Iterable[Diagnostic], base: str = "") -> str:
    """One diagnostic per paragraph; `base` (the policy root as given) prefixes every path."""
    return "\n".join(d.format(base) for d in diags)


def to_json(diags: Iterable[Diagnostic], **extra) -> str:
    return json.dumps({**extra, "diagnostics": [d.to_dict() for d in diags]}, ensure_ascii=False, indent=2)


ROOT_BASE_ID = "POLICYROOT"


def _location(span) -> dict:
    """A SARIF artifact location: the root-relative path under the `POLICYROOT` base id."""
    return {"uri": quote(span.file), "uriBaseId": ROOT_BASE_ID}


def to_sarif(diags: Iterable[Diagnostic], rules: dict[str, str] | None = None,
             root_uri: str | None = None) -> str:
    """SARIF 2.1.0.  Paths are relative to the policy root (`uriBaseId`); only a caller that may
    show where the root lies (the CLI) passes `root_uri` for `originalUriBaseIds`."""
    diags = list(diags)
    rule_ids = sorted({d.code for d in diags} | set(rules or {}))
    results = []
    for d in diags:
        res: dict = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message + (f"（{d.help}）" if d.help else "")},
        }
        if d.span:
            res["locations"] = [{"physicalLocation": {
                "artifactLocation": _location(d.span),
                "region": {"startLine": d.span.line, "startColumn": d.span.column,
                           "endLine": d.span.end_line, "endColumn": d.span.end_column},
            }}]
        if d.related:
            res["relatedLocations"] = [
                {"id": i, "physicalLocation": {"artifactLocation": _location(s),
                                               "region": {"startLine": s.line, "startColumn": s.column}}}
                for i, s in enumerate(d.related)]
        results.append(res)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "admission", "version": __version__,
                "informationUri": "https://example.invalid/admission",
                "rules": [{"id": r, "shortDescription": {"text": (rules or {}).get(r, r)}} for r in rule_ids],
            }},
            "results": results,
            **({"originalUriBaseIds": {ROOT_BASE_ID: {"uri": root_uri}}} if root_uri else {}),
        }],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)
