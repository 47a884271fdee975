"""Signed revisions, as OPA signs bundles: the builder signs the revision manifest with an
Ed25519 key, replicas holding the public key refuse a revision whose signature does not verify.

The manifest names every blob by the SHA-256 of its content, so a valid signature covers the
whole revision: a replica checks each blob against the hash the manifest names before it
decodes it (`Bundle.blob`).  What is signed is the manifest's canonical JSON (sorted keys, no
spaces, UTF-8) without its `signature` member.  Replay of an older signed revision is bounded
by `sequence`, a counter in the signed manifest that each build raises above the store's
current one: a replica refuses a revision whose sequence is not above the one it serves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class TrustError(ValueError):
    """A revision this replica must not serve (unsigned, badly signed, replayed, tampered)."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(f"{message} ({message_en})")
        self.code = code
        self.message = message
        self.message_en = message_en


def signed_bytes(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --------------------------------------------------------------------------- keys
def generate_key(path: str | Path) -> tuple[Path, Path]:
    """A new private key at `path` (PEM, mode 0600) and its public key at `path`.pub."""
    path = Path(path)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, pub


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = _load(path, serialization.load_pem_private_key, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: 不是 Ed25519 私钥 (not an Ed25519 private key)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = _load(path, serialization.load_pem_public_key)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: 不是 Ed25519 公钥 (not an Ed25519 public key)")
    return key


def _load(path, loader, **kw):
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: 无法读取密钥 (cannot read the key): {exc.strerror}") from None
    try:
        return loader(data, **kw)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: 不是 PEM 格式的密钥 (not a PEM key): {exc}") from None


# --------------------------------------------------------------------------- sign and verify
def sign_manifest(manifest: dict, private: Ed25519PrivateKey) -> dict:
    """The manifest with its `signature` member (over everything else)."""
    sig = private.sign(signed_bytes(manifest))
    return {**manifest, "signature": {"alg": ALGORITHM, "key": key_id(private.public_key()),
                                      "value": base64.b64encode(sig).decode()}}


def verify_manifest(manifest: dict, public: Ed25519PublicKey, min_sequence: int = 0) -> None:
    """Raise `TrustError` unless `manifest` is signed by `public` and its sequence is at
    least `min_sequence`."""
    rev = manifest.get("revision", "?")
    sig = manifest.get("signature")
    if not isinstance(sig, dict):
        raise TrustError("bundle-unsigned", f"修订 {rev} 未签名，本副本只接受签名的修订",
                         f"revision {rev} is not signed and a verify key is set")
    if sig.get("alg") != ALGORITHM or sig.get("key") != key_id(public):
        raise TrustError("bundle-wrong-key", f"修订 {rev} 不是用本副本信任的密钥签名的",
                         f"revision {rev} is signed with another key ({sig.get('alg')} {sig.get('key')})")
    try:
        public.verify(base64.b64decode(str(sig.get("value", "")), validate=True), signed_bytes(manifest))
    except (InvalidSignature, ValueError):
        raise TrustError("bundle-bad-signature", f"修订 {rev} 的签名不符：清单被改动过",
                         f"the signature of revision {rev} does not verify: the manifest was altered") from None
    check_sequence(manifest, min_sequence)


def check_sequence(manifest: dict, min_sequence: int) -> None:
    seq = manifest.get("sequence")
    rev = manifest.get("revision", "?")
    if type(seq) is not int or seq < min_sequence:
        raise TrustError("bundle-replayed", f"修订 {rev} 的序号 {seq} 低于 {min_sequence}：旧修订不得重放",
                         f"revision {rev} has sequence {seq}, below {min_sequence}: an older revision replayed")
