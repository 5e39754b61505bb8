"""The API token key set in Secrets Manager: read (cached, refreshed) by the authorizer, written by rotation."""

from __future__ import annotations

import threading
import time

from shared.adapters.aws import client
from shared.auth import KeySet

# How long a process trusts its copy of the key set. A warm authorizer picks up a rotation within this time;
# a token signed with a kid it has not seen yet makes it re-read at once (see ``TokenKeyStore.load``).
KEY_SET_MAX_AGE_SECONDS = 300
_MIN_REFRESH_SECONDS = 1  # an unknown kid re-reads the secret at most this often (forged kids cost a read)

_lock = threading.Lock()
_cache: dict[str, tuple[float, KeySet]] = {}


def clear_cache() -> None:
    """Forget cached key sets (tests; the local runner after a restart)."""
    with _lock:
        _cache.clear()


class TokenKeyStore:
    """One Secrets Manager secret (ARN or name) holding the key set JSON."""

    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id

    def _fetch(self) -> KeySet:
        value: str = client("secretsmanager").get_secret_value(SecretId=self.secret_id)["SecretString"]
        keys = KeySet.parse(value)
        with _lock:
            _cache[self.secret_id] = (time.monotonic(), keys)
        return keys

    def load(self, *, want_kid: str | None = None) -> KeySet:
        """The key set, from this process's cache unless stale or missing ``want_kid`` (a just-rotated key)."""
        with _lock:
            cached = _cache.get(self.secret_id)
        if cached is not None:
            age = time.monotonic() - cached[0]
            fresh = age < KEY_SET_MAX_AGE_SECONDS
            if fresh and (want_kid is None or want_kid in cached[1].keys or age < _MIN_REFRESH_SECONDS):
                return cached[1]
        return self._fetch()

    def save(self, keys: KeySet) -> None:
        """Store a new version (Secrets Manager keeps the previous one as AWSPREVIOUS)."""
        client("secretsmanager").put_secret_value(SecretId=self.secret_id, SecretString=keys.to_json())
        with _lock:
            _cache[self.secret_id] = (time.monotonic(), keys)
