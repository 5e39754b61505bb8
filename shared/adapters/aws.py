"""boto3 clients, created lazily and once per process.

No endpoint logic here: botocore honours ``AWS_ENDPOINT_URL`` (the local stack sets it), production never does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=60)


@cache
def client(service: str) -> Any:
    """A shared boto3 client for ``service`` (call ``client.cache_clear()`` after changing the environment)."""
    return boto3.session.Session().client(service, config=_CONFIG)
