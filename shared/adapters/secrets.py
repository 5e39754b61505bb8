"""The API token key, read once per process from Secrets Manager (or given directly, for tests)."""

from __future__ import annotations

from functools import cache

from shared.adapters.aws import client
from shared.settings import Settings


@cache
def _from_secrets_manager(arn: str) -> bytes:
    value: str = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return value.encode("utf-8")


def token_key(settings: Settings) -> bytes | None:
    """The HMAC key for access tokens, or None when the deployment has none configured."""
    if settings.token_secret:
        return settings.token_secret.encode("utf-8")
    if settings.token_secret_arn:
        return _from_secrets_manager(settings.token_secret_arn)
    return None
