"""Powertools Logger, Metrics and Tracer, created once per process (no AWS clients at import time)."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger(service="guiji")
metrics = Metrics(namespace="Guiji", service="guiji")

_TRUTHY = {"1", "true", "yes", "on", "y"}


def tracing_enabled() -> bool:
    """X-Ray tracing runs only inside Lambda (never locally or under chalice local) and unless switched off.

    Powertools' ``Tracer`` imports the X-Ray SDK when it is created, even when it then disables itself: 0.15 s of
    every cold start. So the tracer is only created when it will trace.
    """
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in _TRUTHY:
        return False
    if os.environ.get("AWS_CHALICE_CLI_MODE") or os.environ.get("AWS_SAM_LOCAL"):
        return False
    return bool(os.environ.get("LAMBDA_TASK_ROOT"))


@cache
def get_tracer() -> Tracer:
    """The process's tracer (call only when :func:`tracing_enabled`)."""
    from aws_lambda_powertools import Tracer

    return Tracer(service="guiji")
