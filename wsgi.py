"""WSGI entry point for gunicorn: ``gunicorn wsgi:app`` (settings from the environment)."""

from tco_bridge.web import create_app

app = create_app()
