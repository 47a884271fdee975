"""Ids and names as the checks see them: unified social credit codes with a valid check
character, and names normalised and compared with the measure of the similar-names check (so a
generated name stays clear of a finding it was not meant to trigger)."""

from __future__ import annotations

import difflib
import unicodedata

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(kind: str, region: str, org: str) -> str:
    """An 18-character unified social credit code (GB 32100) with a valid check character."""
    body = kind + region + org
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARS[(31 - total % 31) % 31]


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


def char_counts(s: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for ch in s:
        out[ch] = out.get(ch, 0) + 1
    return out


def close_names(a: str, b: str, threshold: float = 0.78, ca: dict | None = None, cb: dict | None = None) -> bool:
    """Whether two normalised names are alike (a margin below the check's 85 %, same measure)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if not la or not lb or 2 * min(la, lb) / (la + lb) < threshold:
        return False
    ca = ca or char_counts(a)
    cb = cb or char_counts(b)
    common = sum(min(n, cb.get(ch, 0)) for ch, n in ca.items())  # bounds the matched characters
    if 2 * common / (la + lb) < threshold:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold
