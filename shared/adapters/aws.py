"""boto3 clients, created lazily and once per process (and per identity).

No endpoint logic here: botocore honours ``AWS_ENDPOINT_URL`` (the local stack sets it), production never does.

In Lambda every function runs in its own process with its own role's credentials, so clients simply use the
environment. The local stack runs several functions in one process; :func:`acting_as` makes the calls inside
it use that function's credentials (an identity carrying exactly the function's deployed policies), so IAM is
enforced locally the way AWS enforces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)


@dataclass(frozen=True)
class Identity:
    """AWS credentials a piece of code acts with (local stack and tests; in Lambda the environment has them)."""

    name: str
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def env(self) -> dict[str, str]:
        """The identity as environment lines (``AWS_ACCESS_KEY_ID`` …)."""
        out = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            out["AWS_SESSION_TOKEN"] = self.session_token
        return out


_acting: ContextVar[Identity | None] = ContextVar("guiji_aws_identity", default=None)

# Called with (client, identity) for every client created: the local stack's IAM call recorder registers here.
CLIENT_HOOKS: list[Callable[[Any, Identity | None], None]] = []


@contextmanager
def acting_as(identity: Identity | None) -> Iterator[None]:
    """Make AWS calls in this context (thread, task) with ``identity``'s credentials."""
    token = _acting.set(identity)
    try:
        yield
    finally:
        _acting.reset(token)


def client(service: str) -> Any:
    """A shared boto3 client for ``service`` (call ``clear_clients()`` after changing the environment)."""
    return _client(service, _acting.get())


@cache
def _client(service: str, identity: Identity | None) -> Any:
    if identity is None:
        session = boto3.session.Session()
    else:
        session = boto3.session.Session(
            aws_access_key_id=identity.access_key_id,
            aws_secret_access_key=identity.secret_access_key,
            aws_session_token=identity.session_token,
        )
    created = session.client(service, config=_CONFIG)
    for hook in CLIENT_HOOKS:
        hook(created, identity)
    return created


def clear_clients() -> None:
    """Forget every cached client (after the environment or the credentials changed)."""
    _client.cache_clear()
