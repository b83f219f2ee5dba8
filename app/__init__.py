"""escalator: enforce a support team's urgency policy inside Zendesk."""

__version__ = "0.1.0"
