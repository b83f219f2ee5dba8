"""Sentences built from the configured calendar (POLICY.md section 7, "texts taken from
configuration"): no text the service writes repeats the hours or the time zone by hand.
"""

from __future__ import annotations

from datetime import time

from app.policy.config import Hours

DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_business_hours(hours: Hours) -> str:
    """ "Monday to Friday, 8 am to 8 pm New York time" from [hours]."""
    return f"{describe_days(hours.days)}, {clock(hours.open)} to {clock(hours.close)} {zone_words(hours)}"


def describe_days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if not ordered:
        return "no day"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_WORDS[ordered[0]]} to {DAY_WORDS[ordered[-1]]}"
    names = [DAY_WORDS[d] for d in ordered]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def clock(moment: time) -> str:
    """08:00 -> "8 am", 20:30 -> "8:30 pm", 12:00 -> "12 pm"."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {suffix}"


def zone_words(hours: Hours) -> str:
    """The zone as a customer reads it, from its IANA name: America/New_York -> "New York time"."""
    key = str(hours.time_zone.key)
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time" if "/" in key else f"{key} time"


def fill(template: str, hours: Hours, **values: str) -> str:
    """A configured text with its placeholders filled: {business_hours} and any of `values`."""
    return template.format_map({"business_hours": describe_business_hours(hours), **values})
