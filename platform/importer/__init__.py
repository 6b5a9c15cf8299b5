"""The demo-data importer: validates the curated files under `tenants/` and loads them idempotently."""
