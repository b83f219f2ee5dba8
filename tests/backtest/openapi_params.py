"""Check the query parameters of a GET against Zendesk's OpenAPI file (a test helper)."""

from __future__ import annotations

import re

from tests.openapi import load_spec, resolve


def _operation_path(path: str) -> str:
    """The OpenAPI path template a concrete path matches (`/api/v2/tickets/103/comments`)."""
    if path in load_spec()["paths"]:
        return path  # a literal path wins over a template (/users/show_many, not /users/{user_id})
    for template in load_spec()["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise KeyError(f"no path in the OpenAPI file matches {path}")


def undeclared_query_parameters(path: str, query: dict) -> list[str]:
    """Names in `query` that the GET operation of `path` does not declare (`page[size]` is the
    deepObject parameter `page`)."""
    item = load_spec()["paths"][_operation_path(path)]
    declared = set()
    for parameter in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
        parameter = resolve(parameter)
        if parameter["in"] == "query":
            declared.add(parameter["name"])
    return [name for name in query if name.split("[")[0] not in declared]
