"""Configuration: every environment variable guiji reads is declared here, parsed once, lazily."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from shared.readers import ReadLimits


class Settings(BaseModel):
    """Runtime settings; field names are the environment variable names, lower-cased."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    @classmethod
    def placeholders(cls, **overrides: object) -> Settings:
        """Settings whose every resource is named after its variable (in-memory tables, benchmarks, tests)."""
        required = {f.alias: f.alias.lower() for f in cls.model_fields.values() if f.is_required() and f.alias}
        return cls.model_validate({**required, **overrides})

    stage: str = Field("dev", alias="GUIJI_STAGE")
    intake_bucket: str = Field(alias="INTAKE_BUCKET")
    reports_bucket: str = Field(alias="REPORTS_BUCKET")
    audit_seals_bucket: str = Field(alias="AUDIT_SEALS_BUCKET")
    records_table: str = Field(alias="RECORDS_TABLE")
    registry_table: str = Field(alias="REGISTRY_TABLE")
    breaches_table: str = Field(alias="BREACHES_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    control_table: str = Field(alias="CONTROL_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    intake_queue_url: str = Field(alias="INTAKE_QUEUE_URL")
    notices_topic_arn: str = Field(alias="NOTICES_TOPIC_ARN")
    # Same-level push (同级推送): publications fan out to subscribed departments through this topic.
    sharing_topic_arn: str = Field(alias="SHARING_TOPIC_ARN")
    # Rows processed per invocation before the rest of a file is handed on through the queue.
    chunk_rows: int = Field(50_000, alias="GUIJI_CHUNK_ROWS", ge=1)
    # What an upload may hold (shared/readers.py ReadLimits): over a file limit the file is refused, over a row
    # limit the row is rejected.
    max_columns: int = Field(500, alias="GUIJI_MAX_COLUMNS", ge=10)
    max_cell_chars: int = Field(32_767, alias="GUIJI_MAX_CELL_CHARS", ge=1_000)
    max_row_chars: int = Field(100_000, alias="GUIJI_MAX_ROW_CHARS", ge=1_000, le=120_000)
    xlsx_max_cells: int = Field(20_000_000, alias="GUIJI_XLSX_MAX_CELLS", ge=10_000)
    xlsx_max_uncompressed_mb: int = Field(512, alias="GUIJI_XLSX_MAX_MB", ge=1)
    xlsx_max_ratio: int = Field(200, alias="GUIJI_XLSX_MAX_RATIO", ge=10)
    # Working days before a due date from which an unfinished record is "at risk".
    at_risk_days: int = Field(2, alias="GUIJI_AT_RISK_DAYS", ge=0)
    # Working days an open breach waits at one level before it escalates (county → city → province).
    escalation_days: int = Field(5, alias="GUIJI_ESCALATION_DAYS", ge=1)
    # Honour an upload's ``collected-at`` metadata (back-filling history, local demo). Never in production.
    allow_backdated_uploads: bool = Field(False, alias="GUIJI_ALLOW_BACKDATE")
    # Optional directory of extra calendar override files (State Council schedules) besides the bundled ones.
    calendar_override_dir: str | None = Field(None, alias="GUIJI_CALENDAR_DIR")
    public_base_url: str = Field("", alias="GUIJI_PUBLIC_BASE_URL")
    # Public query throttling per client on the local API (in AWS: the usage plan / stage throttling).
    public_rate_per_second: float = Field(5.0, alias="GUIJI_PUBLIC_RATE", gt=0)
    public_burst: int = Field(20, alias="GUIJI_PUBLIC_BURST", ge=1)
    # The Secrets Manager secret holding the API token key set ({"current": kid, kid: key, …}; shared/auth.py).
    token_secret_arn: str | None = Field(None, alias="GUIJI_TOKEN_SECRET_ARN")
    # Unique id (AROA…) of the uploader role: the intake accepts an upload only from one of its sessions
    # named "<department code>-…" writing into that department's folder (infra/resources.yaml UploaderRole).
    uploader_role_id: str | None = Field(None, alias="GUIJI_UPLOADER_ROLE_ID")
    # The same role's ARN: POST /uploads signs forms with a session of it (tagged with the caller's department).
    uploader_role_arn: str | None = Field(None, alias="GUIJI_UPLOADER_ROLE_ARN")
    # Largest file a person may upload through a presigned form (POST /uploads).
    upload_max_bytes: int = Field(200 * 1024 * 1024, alias="GUIJI_UPLOAD_MAX_BYTES", ge=1)


def read_limits(settings: Settings) -> ReadLimits:
    """The upload limits of these settings, in the readers' terms."""
    return ReadLimits(
        max_columns=settings.max_columns,
        max_cell_chars=settings.max_cell_chars,
        max_row_chars=settings.max_row_chars,
        xlsx_max_cells=settings.xlsx_max_cells,
        xlsx_max_uncompressed=settings.xlsx_max_uncompressed_mb << 20,
        xlsx_max_ratio=settings.xlsx_max_ratio,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Parse the environment once; call ``get_settings.cache_clear()`` after changing it (tests)."""
    import os

    return Settings.model_validate(dict(os.environ))
