"""Field encryption at rest for the one value the bridge must keep whole: a 留言's callback number (everything
else is masked before it is stored). Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package):
authenticated, so a row edited in the database fails to decrypt instead of revealing something else.

The key comes from ``CALLBACK_KEY`` (a Fernet key; several, comma-separated, rotate: the first encrypts, all
decrypt). Outside development there is no default: the settings refuse to start without it. In development a
key is generated once into ``DATA_DIR/secrets/callback.key`` (0600, directory 0700) and reused, so numbers left
before a restart can still be revealed after it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from api.errors import BridgeStartupError

KEY_FILE = Path("secrets") / "callback.key"


class UnreadableSecret(RuntimeError):
    """A stored value the current keys cannot decrypt (wrong key, or the row was tampered with)."""


def parse_keys(value: str) -> list[bytes]:
    """The comma-separated Fernet keys in ``value``; ValueError (naming the variable, never the key) if one is
    not a Fernet key."""
    keys = [k.strip().encode() for k in value.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ValueError("CALLBACK_KEY: each key must be a Fernet key (32 url-safe base64-encoded bytes; "
                             "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')"
                             ) from exc
    return keys


def development_key(data_dir: Path) -> bytes:
    """The development key under ``data_dir``, generated (0600) on first use."""
    path = data_dir / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


class FieldCipher:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise BridgeStartupError("CALLBACK_KEY is not set: callback numbers cannot be stored")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_settings(cls, callback_key: str, development: bool, data_dir: Path) -> FieldCipher:
        if callback_key:
            return cls(parse_keys(callback_key))
        if not development:
            raise BridgeStartupError("CALLBACK_KEY must be set outside development (a Fernet key)")
        return cls([development_key(data_dir)])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise UnreadableSecret("the stored value cannot be decrypted with the configured CALLBACK_KEY") from exc
