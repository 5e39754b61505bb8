"""guiji domain library: rules as plain functions and pydantic models; AWS access only in ``shared.adapters``."""
