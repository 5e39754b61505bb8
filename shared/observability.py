"""Powertools Logger, Metrics and Tracer, created once per process (no AWS clients at import time)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="guiji")
metrics = Metrics(namespace="Guiji", service="guiji")
# Tracer disables itself outside Lambda and under chalice local; it needs aws-xray-sdk at import (serverless.md P-F1).
tracer = Tracer(service="guiji")
