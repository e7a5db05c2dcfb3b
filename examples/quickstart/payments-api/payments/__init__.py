"""payments-api: the quickstart's seed service (a FastAPI app)."""
