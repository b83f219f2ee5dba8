"""The names install gives what it creates in Zendesk: how install, doctor and uninstall find them.

Zendesk has no external ids for webhooks, triggers, ticket fields, schedules or SLA policies, so
an exact name (or title) is the identity. Changing one of these strings orphans what earlier
installs made: uninstall would no longer find it.
"""

from __future__ import annotations

WEBHOOK = "escalator: urgency webhook"
TRIGGER_CREATED = "escalator: ticket created"
TRIGGER_COMMENT = "escalator: public comment added"
TRIGGER_SOLVED = "escalator: ticket solved or closed"
FIELD_RESPONSE_DUE = "escalator: response due"
FIELD_URGENCY = "escalator: urgency"
FIELD_CATEGORY = "escalator: category"
FIELD_DEADLINE = "escalator: deadline"
SCHEDULE = "escalator: business hours"
SLA_URGENT = "escalator: urgent"
SLA_TIME_SENSITIVE = "escalator: time-sensitive"

# Put in every description, so an admin browsing Admin Center knows where the object comes from.
MANAGED = "Managed by escalator (`escalator zendesk install`); edits here are undone by the next install."

# The prefix install filters webhooks by (`filter[name_contains]`) before matching names exactly.
PREFIX = "escalator"
