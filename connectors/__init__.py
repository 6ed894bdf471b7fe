"""Built-in ticket-tool connectors: jira, zendesk and sandbox."""
