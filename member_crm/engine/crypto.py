"""Encryption of members' sensitive fields at rest (no Odoo).

AES-256-GCM from ``cryptography`` (an Odoo requirement). The key is never in
the database: the Odoo model reads it from the configuration file and passes
the keys here. A stored value is ``v1:<key id>:<base64(nonce + ciphertext)>``;
the key id (first 8 hex digits of the key's SHA-256) says which key opens it,
so rotation can keep old keys for reading while new values use the current
one. The associated data binds a ciphertext to its record (partner and field):
copied onto another row it does not open. GCM authenticates: a wrong key or an
altered value raises ``Locked``, never returns garbage.
"""

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class Locked(Exception):
    """A value cannot be opened: ``code`` is no_key, unknown_key, bad_key or altered."""

    def __init__(self, code, key_id=None):
        super().__init__(code, key_id)
        self.code = code
        self.key_id = key_id


def generate_key():
    """A new key as it goes into the configuration file."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text):
    """32 key bytes from the configuration text (urlsafe base64); ``Locked('bad_key')`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as error:
        raise Locked("bad_key") from error
    if len(raw) != 32:
        raise Locked("bad_key")
    return raw


def key_id(raw):
    return hashlib.sha256(raw).hexdigest()[:8]


class Keyring:
    """The current key (encrypts) and the old ones (only decrypt) of a rotation."""

    def __init__(self, current=None, old=()):
        self.current = parse_key(current) if current else None
        self.keys = {}
        for text in [*(old or ()), *([current] if current else [])]:
            raw = parse_key(text)
            self.keys[key_id(raw)] = raw

    @property
    def current_id(self):
        return key_id(self.current) if self.current else None

    def encrypt(self, clear, context):
        if not self.current:
            raise Locked("no_key")
        nonce = os.urandom(12)
        sealed = AESGCM(self.current).encrypt(nonce, clear.encode(), context.encode())
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored, context):
        try:
            prefix, kid, payload = stored.split(":", 2)
            blob = base64.b64decode(payload.encode(), validate=True)
        except (ValueError, binascii.Error) as error:
            raise Locked("altered") from error
        if prefix != PREFIX or len(blob) < 28:
            raise Locked("altered", kid)
        if not self.keys:
            raise Locked("no_key", kid)
        raw = self.keys.get(kid)
        if raw is None:
            raise Locked("unknown_key", kid)
        try:
            return AESGCM(raw).decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag as error:
            raise Locked("altered", kid) from error

    @staticmethod
    def key_of(stored):
        parts = (stored or "").split(":", 2)
        return parts[1] if len(parts) == 3 else None
