"""Configuration: every environment variable guiji reads is declared here, parsed once, lazily."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Runtime settings; field names are the environment variable names, lower-cased."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str = Field("dev", alias="GUIJI_STAGE")
    intake_bucket: str = Field(alias="INTAKE_BUCKET")
    reports_bucket: str = Field(alias="REPORTS_BUCKET")
    records_table: str = Field(alias="RECORDS_TABLE")
    registry_table: str = Field(alias="REGISTRY_TABLE")
    breaches_table: str = Field(alias="BREACHES_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    control_table: str = Field(alias="CONTROL_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    intake_queue_url: str = Field(alias="INTAKE_QUEUE_URL")
    notices_topic_arn: str = Field(alias="NOTICES_TOPIC_ARN")
    # Rows processed per invocation before the rest of a file is handed on through the queue.
    chunk_rows: int = Field(50_000, alias="GUIJI_CHUNK_ROWS", ge=1)
    # Working days before a due date from which an unfinished record is "at risk".
    at_risk_days: int = Field(2, alias="GUIJI_AT_RISK_DAYS", ge=0)
    # Working days an open breach waits at one level before it escalates (county → city → province).
    escalation_days: int = Field(5, alias="GUIJI_ESCALATION_DAYS", ge=1)
    # Honour an upload's ``collected-at`` metadata (back-filling history, local demo). Never in production.
    allow_backdated_uploads: bool = Field(False, alias="GUIJI_ALLOW_BACKDATE")
    # Optional directory of extra calendar override files (State Council schedules) besides the bundled ones.
    calendar_override_dir: str | None = Field(None, alias="GUIJI_CALENDAR_DIR")
    public_base_url: str = Field("", alias="GUIJI_PUBLIC_BASE_URL")
    # The Secrets Manager secret holding the API token key set ({"current": kid, kid: key, …}; shared/auth.py).
    token_secret_arn: str | None = Field(None, alias="GUIJI_TOKEN_SECRET_ARN")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Parse the environment once; call ``get_settings.cache_clear()`` after changing it (tests)."""
    import os

    return Settings.model_validate(dict(os.environ))
