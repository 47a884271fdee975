"""Hostile and broken input: each is rejected with a located diagnostic — never an exception —
within safety bounds of time and memory (generous: these are not speed targets)."""

from __future__ import annotations

import random
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from admission.loader import LoadOptions, LoadResult, validate_tree
from admission.loader.yamlread import Limits

MAX_SECONDS = 5.0
MAX_BYTES = 200 * 1024 * 1024


@dataclass
class Measured:
    result: LoadResult
    seconds: float
    peak: int


def measured_load(root: Path, limits: Limits | None = None) -> Measured:
    opts = LoadOptions(workers=1, limits=limits or Limits())
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = validate_tree(root, opts)  # must not raise
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measured(result, seconds, peak)


def rejected(m: Measured, code: str | tuple[str, ...], line: int | None = None):
    assert m.seconds < MAX_SECONDS, f"took {m.seconds:.1f}s"
    assert m.peak < MAX_BYTES, f"peak {m.peak / 1e6:.0f} MB"
    assert not m.result.ok and m.result.policy is None
    codes = [d.code for d in m.result.diagnostics]
    assert len(codes) == 1 and codes[0] in ((code,) if isinstance(code, str) else code), \
        [d.format()[:300] for d in m.result.diagnostics]
    d = m.result.diagnostics[0]
    assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
    assert not d.message.isascii()
    assert len(d.message) < 2000, "a hostile value must not be echoed whole"
    if line is not None:
        assert d.span.line == line, d.format()
    return d


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs(write_tree):
    d = rejected(measured_load(write_tree({"bomb.yaml": billion_laughs()})), "yaml-alias", line=2)
    assert d.span.column == 8


def test_alias_inside_policy(write_tree):
    text = ("matters:\n  - &m {id: M1, name: 党建, domain: 党的建设}\n"
            "township_templates:\n  - {id: T, name: 模板, county: C, basic: [*m, *m, *m]}\n")
    rejected(measured_load(write_tree({"a.yaml": text})), "yaml-alias", line=4)


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{", "}")])
def test_deep_flow_nesting(write_tree, opening, closing):
    text = "title: " + opening * 10_000 + closing * 10_000 + "\n"
    d = rejected(measured_load(write_tree({"deep.yaml": text})), "yaml-too-deep", line=1)
    assert d.span.column == 8 + Limits().max_depth - 1


def test_deep_block_nesting(write_tree):
    text = "matters:\n" + "".join(" " * i + "- \n" for i in range(0, 2_000))
    rejected(measured_load(write_tree({"deep.yaml": text})), "yaml-too-deep")


def test_deep_unclosed_nesting(write_tree):
    rejected(measured_load(write_tree({"deep.yaml": "[" * 10_000})), "yaml-too-deep", line=1)


def test_file_over_size_limit(write_tree):
    root = write_tree({"big.yaml": "matters:\n" + "  - {id: M1, name: 党建, domain: 党的建设}\n" * 2_000})
    d = rejected(measured_load(root, Limits(max_bytes=4096)), "file-too-large", line=1)
    assert "4096" in d.message


def test_over_size_file_is_not_read(write_tree):
    """Size is checked before reading: a (sparse) file over the default limit costs nothing."""
    root = write_tree({})
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "huge.yaml", "wb") as f:
        f.truncate(64 * 1024 * 1024)  # over the default 32 MB limit
    rejected(measured_load(root), "file-too-large", line=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_binary_junk(write_tree, seed):
    junk = random.Random(seed).randbytes(256 * 1024)
    rejected(measured_load(write_tree({"junk.yaml": junk})), "file-binary", line=1)


def test_binary_without_nul_high_bytes(write_tree):
    """Random bytes from 0x80 up: not binary-looking, but not UTF-8 either."""
    rng = random.Random(7)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(64 * 1024))
    rejected(measured_load(write_tree({"junk.yaml": junk})), "file-not-utf8", line=1)


def test_nul_bytes(write_tree):
    text = "title: 正常的标题\nmatters:\n  - {id: M1, name: 党建\x00\x00, domain: 党的建设}\n"
    rejected(measured_load(write_tree({"nul.yaml": text.encode()})), "file-binary")


def test_gbk_encoded_file(write_tree):
    text = ("units:\n  - {id: \"37\", name: 山东省, kind: government, level: province}\n"
            "matters:\n  - {id: M1, name: 食品安全监督检查, domain: 市场监管}\n")
    d = rejected(measured_load(write_tree({"gbk.yaml": text.encode("gbk")})), "file-not-utf8", line=2)
    assert "GBK" in d.help


def test_utf16_file(write_tree):
    root = write_tree({"u16.yaml": "title: 市中区\n".encode("utf-16")})
    rejected(measured_load(root), ("file-binary", "file-not-utf8"), line=1)


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system",
    "!!python/object/new:subprocess.Popen",
    "!!python/name:os.system",
    "!!binary",
    "!!set",
])
def test_dangerous_tags(write_tree, tmp_path, tag):
    marker = tmp_path / "executed"
    text = f"title: ok\nmatters:\n  - {tag} [\"touch {marker}\"]\n"
    rejected(measured_load(write_tree({"tag.yaml": text})), "yaml-tag", line=3)
    assert not marker.exists()


def test_too_many_nodes(write_tree):
    text = "matters: [" + ", ".join(f"M{i}" for i in range(200_000)) + "]\n"
    m = measured_load(write_tree({"nodes.yaml": text}), Limits(max_nodes=1_000))
    d = rejected(m, "yaml-too-many-nodes", line=1)
    assert "1000" in d.message


def test_too_many_nodes_across_lines(write_tree):
    text = "matters:\n" + "".join(f"  - {{id: M{i}, name: 事项{i}, domain: 其他}}\n" for i in range(20_000))
    rejected(measured_load(write_tree({"nodes.yaml": text}), Limits(max_nodes=5_000)), "yaml-too-many-nodes", line=626)


def test_very_long_line_of_text(write_tree):
    text = "matters:\n  - {id: M1, name: " + "长" * 1_000_000 + ", domain: 其他}\n"
    m = measured_load(write_tree({"long.yaml": text}))
    assert m.seconds < MAX_SECONDS and m.peak < MAX_BYTES
    d = m.result.diagnostics[0]
    assert [x.code for x in m.result.diagnostics] == ["invalid-value"]
    assert (d.span.line, d.span.column) == (2, 20)


def test_very_long_line_message_is_bounded(write_tree):
    text = "matters:\n  - {id: M1, name: " + "长" * 1_000_000 + ", domain: 其他}\n"
    rejected(measured_load(write_tree({"long.yaml": text})), "invalid-value", line=2)


def test_very_long_line_of_flow_items(write_tree):
    text = "title: [" + ",".join(["甲"] * 40_000) + "]\n"
    rejected(measured_load(write_tree({"long.yaml": text})), "wrong-type", line=1)


def test_very_long_key(write_tree):
    rejected(measured_load(write_tree({"long.yaml": "k" * 500_000 + ": 1\n"})), "yaml-syntax", line=1)


def test_very_long_line_of_digits(write_tree):
    rejected(measured_load(write_tree({"digits.yaml": "version: " + "9" * 100_000 + "\n"})), "invalid-value", line=1)


@pytest.mark.parametrize("char", ["\x01", "\x07", "\x08", "\x1b", "\x7f", "\x9b", "\ufffe"])
def test_control_characters(write_tree, char):
    text = f"title: 市中区{char}清单\nmatters: []\n"
    rejected(measured_load(write_tree({"ctrl.yaml": text})), "yaml-syntax")


def test_mostly_control_characters(write_tree):
    rejected(measured_load(write_tree({"ctrl.yaml": bytes(range(1, 32)) * 200})), "file-binary", line=1)


def test_one_bad_file_does_not_stop_the_others(write_tree):
    root = write_tree({
        "a_bomb.yaml": billion_laughs(),
        "b_deep.yaml": "[" * 10_000,
        "c_junk.yaml": random.Random(3).randbytes(4096),
        "d_gbk.yaml": "title: 市中区清单\n".encode("gbk"),
        "e_good.yaml": "matters:\n  - {id: M1, name: 党建, domain: 党的建设}\n",
        "f_bad.yaml": "matters:\n  - {id: M2, name: 党建, domian: 党的建设}\n",
    })
    m = measured_load(root)
    assert m.seconds < MAX_SECONDS and m.peak < MAX_BYTES
    got = [(Path(d.span.file).name, d.code) for d in m.result.diagnostics]
    assert got == [("a_bomb.yaml", "yaml-alias"), ("b_deep.yaml", "yaml-too-deep"), ("c_junk.yaml", "file-binary"),
                   ("d_gbk.yaml", "file-not-utf8"), ("f_bad.yaml", "missing-field"), ("f_bad.yaml", "unknown-key")]


def test_syntax_error_recovery_is_bounded(write_tree):
    """Recovery re-reads a file once per syntax error: a file of nothing but broken items stays
    within the rounds and the re-read budget, and reports what it found."""
    body = "matters:\n" + "".join(f"  - {{id: M{i}, name: x]\n" for i in range(5000))
    m = measured_load(write_tree({"broken.yaml": body}))
    assert m.seconds < MAX_SECONDS, f"took {m.seconds:.1f}s"
    assert m.peak < MAX_BYTES, f"peak {m.peak / 1e6:.0f} MB"
    codes = [d.code for d in m.result.diagnostics]
    assert not m.result.ok and 2 <= len(codes) <= 21 and set(codes) == {"yaml-syntax"}, codes
