"""The web console for leads, agents and admins: server-rendered pages (Jinja2) over the same
pure read models the JSON API and the CLI use.

Pages: ``pages`` (my tickets, overdue updates, stalled escalations), ``ticket_page`` (a
ticket's explained timeline), ``metrics_page`` (team metrics with SVG plots, CSV), ``admin``
(failed write-backs), ``sandbox_page`` (the five-minute first experience); ``blueprint`` (the
blueprint, its template filters and what every page receives) and ``charts`` (the SVG plots).
Sign-in and roles: :mod:`tco_bridge.web.signin`.
"""

from __future__ import annotations

from . import admin, metrics_page, pages, sandbox_page, ticket_page
from .blueprint import bp

__all__ = ["bp", "admin", "metrics_page", "pages", "sandbox_page", "ticket_page"]
