"""The ASGI app gunicorn serves with uvicorn workers (payments.main:app)."""
import os

from fastapi import FastAPI

app = FastAPI(title="payments-api")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://payments@db/payments")


@app.get("/health/ready")
def ready() -> dict:
    return {"status": "ok"}
