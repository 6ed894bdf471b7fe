"""tco-bridge: Total Contact Ownership for help desks that run Jira or Zendesk."""

__version__ = "0.1.0"
