"""admission — policy as code for township duty lists, matters admission and delegated powers.

乡镇(街道)履职事项清单、村(社区)工作事项准入与赋权的"策略即代码"引擎。
"""

__version__ = "0.1.0"


def code_digest(*parts: str) -> "hashlib._Hash":
    """A sha256 over the source of the named modules and packages of this one (paths relative to
    it, e.g. "diagnostics.py", "language"), so that a cache entry made by other code is never
    served: the loader's parse cache and the sharded check's findings cache key on it."""
    import hashlib
    from pathlib import Path

    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for part in parts:
        top = pkg / part
        for path in ([top] if top.is_file() else sorted(top.rglob("*.py"))):
            h.update(path.relative_to(pkg).as_posix().encode() + b"\0" + path.read_bytes())
    return h

