"""Fixtures for the rules tests; the shared helpers live in ``rules_kit`` (a unique module
name, so test files never import another folder's ``conftest`` by mistake)."""

from rules_kit import default_rules  # noqa: F401  (pytest fixture)
