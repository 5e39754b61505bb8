"""Presigned POST forms signed by an upload session of the uploader role (STS + S3)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from shared.adapters.aws import client


def presigned_post(
    *,
    role_arn: str,
    department: str,
    session_name: str,
    bucket: str,
    key: str,
    max_bytes: int,
    expires_in: int,
) -> dict[str, Any]:
    """Start a department upload session and sign a POST form for exactly ``key`` with it."""
    creds = client("sts").assume_role(
        RoleArn=role_arn,
        RoleSessionName=session_name,
        Tags=[{"Key": "department", "Value": department}],
        DurationSeconds=expires_in,
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    s3 = session.client("s3", config=Config(signature_version="s3v4"))
    # generate_presigned_post adds the bucket, the exact key and the credential fields as conditions.
    form: dict[str, Any] = s3.generate_presigned_post(
        bucket, key, Conditions=[["content-length-range", 1, max_bytes]], ExpiresIn=expires_in
    )
    return form
