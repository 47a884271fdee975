"""What a shard is made of: sections of records, each row its record's global position and the
record, merged back into the loader's order.

A record's global position is [its file's order key, its position in the section].  The order
key sorts files as `policy_files` walks them (a folder's files before its sub-folders, names
sorted) and depends on the file's own path only, so adding a file moves no other record.  It is
text, and a row is a list, so that a blob holds only plain arrays and strings around the
records (the fastest form to decode).
"""

from __future__ import annotations

import heapq
import sys
from pathlib import Path

from ..language.enums import UnitKind
from ..language.policy import ID_SECTIONS, PolicyFile

COMMON = ""  # key of the common part in routing tables and in the unit directory
NOCOUNTY = "~"  # the shard of townships and villages that belong to no county
SECTIONS: tuple[str, ...] = tuple(f for f in PolicyFile.model_fields if f not in ("version", "title"))
COMMON_SECTIONS = frozenset({"bases", "matters", "flows", "calendars", "burden_rules", "unit_groups"})
PLACE_KINDS = (UnitKind.township, UnitKind.village)


def order_key(root: Path, path: Path) -> str:
    """Folders as "1name", the file as "0name", joined by NUL: NUL sorts before any character
    of a name, so the text sorts exactly as the (flag, name) tuples of the parts would."""
    parts = path.relative_to(root).parts if path != root else (path.name,)
    return sys.intern("\0".join([*("1" + p for p in parts[:-1]), "0" + parts[-1]]))


def row(okey: str, pos: int, rec) -> list:
    """One row of a chunk's section."""
    return [[okey, pos], rec]


def merge_chunks(chunks: list[dict]) -> dict[str, list]:
    """Records of several chunks, per section, in global order (duplicates by position dropped)."""
    merged: dict[str, list] = {}
    for section in SECTIONS:
        runs = [c["sections"][section] for c in chunks if section in c["sections"]]
        if not runs:
            continue
        rows = runs[0] if len(runs) == 1 else list(heapq.merge(*runs, key=lambda r: r[0]))
        if len(runs) > 1:
            dedup, last = [], None
            for r in rows:
                if r[0] != last:
                    dedup.append(r)
                    last = r[0]
            rows = dedup
        merged[section] = rows
    return merged


def section_value(section: str, rows: list) -> dict | tuple:
    """A merged section as a `Policy` holds it: id → record (the first of an id wins, as in the
    loader) for sections of records with ids, a tuple for the others."""
    attr = ID_SECTIONS.get(section)
    if attr is None:
        return tuple(r for _, r in rows)
    table: dict = {}
    for _, r in rows:
        table.setdefault(getattr(r, attr), r)
    return table
