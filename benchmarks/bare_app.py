"""The baseline for the ingest benchmark: Flask under the same gunicorn, doing nothing."""

from flask import Flask

app = Flask("bare")


@app.post("/webhooks/jira")
def accept() -> tuple[str, int]:
    return '{"status": "accepted"}', 202


@app.get("/healthz")
def healthz() -> str:
    return "ok"
