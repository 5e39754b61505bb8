"""Use cases: orchestrate the domain (``shared``) over the adapters. Handlers and the CLI call these."""
