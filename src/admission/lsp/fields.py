"""What kind of value each field of the policy language takes, read from the models: the
section an id field refers to (and the unit kinds it allows, from the loader's `REFERENCES`),
the enum a field's values come from, and which fields are dates."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from functools import lru_cache

from pydantic import BaseModel

from ..language.policy import ID_SECTIONS, PolicyFile
from ..loader.resolve import REFERENCES

#: a field that names a record of its own section (a template's parent template)
SELF_REFERENCES = {("township_templates", "parent"), ("village_templates", "parent")}


def target(section: str | None, key: str | None) -> tuple[str, frozenset | None] | None:
    """(section an id in `key` names, allowed unit kinds) for a field of `section`, or None."""
    if key is None:
        return None
    if (section, key) in SELF_REFERENCES:
        return section, None
    if section == "township_lists" and key in ("basic", "cooperative", "returned"):
        key = "matter"
    if section in ("village_lists", "village_templates") and key == "template":
        return "village_templates", None
    found = _by_key().get(key)
    return found


@lru_cache(maxsize=1)
def _by_key() -> dict[str, tuple[str, frozenset | None]]:
    out: dict[str, tuple[str, frozenset | None]] = {}
    for spec in REFERENCES.values():
        for fname, (section, kinds) in spec.items():
            if fname not in out:
                out[fname] = (section, kinds)
            elif out[fname][0] == section and out[fname][1] is not None:  # the widest kinds
                out[fname] = (section, None if kinds is None else out[fname][1] | kinds)
    out["parent"] = ("units", None)
    for key in ("duties", "assisting", "negative", "may_certify", "must_not_certify"):
        out.setdefault(key, ("matters", None))
    return out


def _leaf(annotation) -> list:
    args = typing.get_args(annotation)
    if not args:
        return [annotation]
    out = []
    for a in args:
        out += _leaf(a)
    return out


@lru_cache(maxsize=None)
def _models(root: type[BaseModel] = PolicyFile) -> list[type[BaseModel]]:
    """`root` and every model nested in it, nearest first."""
    seen: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [root]
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for f in model.model_fields.values():
            queue += [t for t in _leaf(f.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return seen


def enum_for(section: str | None, key: str | None) -> type[enum.Enum] | None:
    """The enum a field's values come from, looked up in the section's own models first."""
    roots = [PolicyFile]
    if section in PolicyFile.model_fields:
        roots = [t for t in _leaf(PolicyFile.model_fields[section].annotation)
                 if isinstance(t, type) and issubclass(t, BaseModel)] + roots
    for root in roots:
        for model in _models(root):
            f = model.model_fields.get(key or "")
            if f is None:
                continue
            for t in _leaf(f.annotation):
                if isinstance(t, type) and issubclass(t, enum.Enum):
                    return t
    return None


@lru_cache(maxsize=1)
def date_fields() -> frozenset[str]:
    return frozenset(name for model in _models() for name, f in model.model_fields.items()
                     if dt.date in _leaf(f.annotation) or getattr(f.annotation, "__name__", "") == "Date"
                     or name in ("since", "until", "issued", "expires"))


def section_of(index: dict[str, dict], ident: str, prefer: str | None = None) -> str | None:
    """The section an id lives in (`prefer` first when it has it)."""
    if prefer and ident in index.get(prefer, ()):
        return prefer
    for section in ID_SECTIONS:
        if ident in index[section]:
            return section
    return None


def record_name(rec) -> str:
    return getattr(rec, "name", None) or getattr(rec, "title", None) or ""
