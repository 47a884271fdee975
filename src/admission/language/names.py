"""Names an author writes → ids: the one resolver the loader (a reference written as a name)
and the spreadsheet importer (a name in a cell) share.

Matching is exact on `key` (NFKC, no whitespace) over a record's names: a unit's name and
former names, a matter's name, a basis's number and title (with or without 《》); the nearest
names and ids (difflib) are offered, never guessed."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

_WS = re.compile(r"\s+")
#: tables larger than this are not searched for the nearest spelling (difflib is quadratic-ish)
NEAR_MAX = 50_000


def key(text: str) -> str:
    """The matching form of a name: NFKC (full-width letters, digits, brackets and spaces become
    half-width), every whitespace removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def names_of(record) -> Iterable[str]:
    """The names an author may write for a record instead of its id."""
    name = getattr(record, "name", None)
    if name:
        yield name
    yield from getattr(record, "former_names", None) or ()
    number, title = getattr(record, "number", None), getattr(record, "title", None)
    if title:
        yield from (title, f"《{title}》")
    if number:
        yield number
        if title:
            yield from (f"{title}({number})", f"《{title}》({number})", f"{number}{title}", f"{number}《{title}》")


def name_table(records: Mapping[str, object]) -> dict[str, list[str]]:
    """key(name) → the ids of the records of that name (several: ambiguous)."""
    table: dict[str, list[str]] = {}
    for rid, rec in records.items():
        for name in names_of(rec):
            ids = table.setdefault(key(name), [])
            if rid not in ids:
                ids.append(rid)
    return table


def near_keys(text: str, keys: Iterable[str], n: int = 3, cutoff: float = 0.45) -> list[str]:
    """The nearest of `keys` to `text` by spelling (on `key` forms), best first."""
    keys = list(keys)
    if len(keys) > NEAR_MAX:
        return []
    return difflib.get_close_matches(key(text), keys, n=n, cutoff=cutoff)


def resolve_name(text: str, records: Mapping[str, object],
                 table: dict[str, list[str]] | None = None) -> tuple[list[str], list[str]]:
    """(ids whose name is `text`, nearest ids when none is): the id for a name an author wrote
    where an id belongs, else the nearest existing id by spelling of the id or of the name."""
    table = name_table(records) if table is None else table
    ids = table.get(key(text))
    if ids:
        return sorted(ids), []
    near = [i for i in near_keys(text, [key(r) for r in records], n=1, cutoff=0.5)]
    by_key = {key(r): r for r in records}
    out = [by_key[k] for k in near]
    if not out and not text.isascii():
        for k in near_keys(text, table, n=1, cutoff=0.5):
            out.extend(i for i in table[k] if i not in out)
    return [], out
