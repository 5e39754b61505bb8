"""Fixtures of the service tests on the in-memory fakes."""

from __future__ import annotations

from typing import Any

import pytest

from tests import helpers as h
from tests.fakes import UPLOADER_ROLE, fake_deps


@pytest.fixture
def deps() -> Any:
    """Every port in memory, with the registry of tests/helpers.py loaded."""
    deps = fake_deps(GUIJI_UPLOADER_ROLE_ID=UPLOADER_ROLE)
    deps.tables.registry.put_departments(h.departments())
    deps.tables.registry.put_subjects(h.subjects())
    return deps
