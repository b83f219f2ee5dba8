"""Check requests against Zendesk's own OpenAPI file (a test helper, not a test module).

    from tests.openapi import request_violations, validate_request, undeclared_properties
    validate_request("PUT", "/api/v2/tickets/{ticket_id}", body)   # raises ValidationError
    request_violations("PUT", "/api/v2/tickets/35436", {}, body)   # [] or what is wrong

The file is 1.7 MB and takes seconds to parse, so it is loaded once per test session. Zendesk's
schemas do not forbid unknown properties (no `additionalProperties: false` on TicketObject), so
schema validation alone would accept a misspelt key, or a key Zendesk documents for another
endpoint only (`additional_tags` belongs to Update Many): Zendesk ignores such keys silently.
`request_violations` is the strict check every request the test suite records goes through
(tests/conftest.py for `responses`, tests/stub_zendesk.py for the stub server): the operation must
exist, its query parameters must be declared, and its body must validate with every undeclared
property an error.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from jsonschema import Draft4Validator
from openapi_schema_validator import OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

# A copy of Zendesk's own description of its Support API (shared/reference), kept with the tests
# so they run on any checkout; ZENDESK_OPENAPI points at another copy.
SPEC_PATH = Path(
    os.environ.get("ZENDESK_OPENAPI", Path(__file__).resolve().parent / "fixtures" / "zendesk-ticketing-openapi.yaml")
)
SPEC_URI = "urn:zendesk-ticketing-openapi"


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that reads the YAML `=` value scalar (`change: =` in trigger examples) as text.

    PyYAML resolves a bare `=` to the `tag:yaml.org,2002:value` tag, which SafeLoader refuses.
    """


_SpecLoader.add_constructor("tag:yaml.org,2002:value", _SpecLoader.construct_yaml_str)


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_SpecLoader)


@functools.cache
def _registry() -> Registry:
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT4)
    return Registry().with_resource(SPEC_URI, resource)


def request_schema(method: str, path: str) -> dict:
    """The JSON request-body schema of an operation, as written (it may be a `$ref`)."""
    operation = load_spec()["paths"][path][method.lower()]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def _absolute(schema: dict) -> dict:
    ref = schema.get("$ref")
    return {"$ref": SPEC_URI + ref} if ref else schema


def validate_request(method: str, path: str, body: dict) -> None:
    """Raise jsonschema's ValidationError unless `body` is a valid request for the operation.

    The write validator also rejects properties the spec marks `readOnly` (e.g. `updated_at`).
    """
    validator = OAS30WriteValidator(
        _absolute(request_schema(method, path)),
        registry=_registry(),
        format_checker=OAS30WriteValidator.FORMAT_CHECKER,
    )
    validator.validate(body)


def resolve(schema: dict) -> dict:
    """Follow `$ref`s (local to the spec) until a schema without one."""
    while "$ref" in schema:
        node = load_spec()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _declared(schema: dict) -> dict[str, dict]:
    """Property name -> schema, over the schema and everything it combines with allOf/oneOf/anyOf."""
    schema = resolve(schema)
    properties = dict(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            for name, sub in _declared(part).items():
                properties.setdefault(name, sub)
    return properties


def undeclared_properties(method: str, path: str, body: dict) -> list[str]:
    """Dotted paths of keys in `body` that the operation's schema does not declare.

    Keys inside an object the spec declares free-form (`additionalProperties: true` and no
    properties, e.g. `ticket.metadata`) are declared by definition."""
    return _undeclared(body, request_schema(method, path))


def _undeclared(body: Any, top: dict) -> list[str]:
    found: list[str] = []

    def walk(value, schema: dict, where: str) -> None:
        schema = resolve(schema)
        if isinstance(value, dict):
            if schema.get("additionalProperties") is True and not _declared(schema):
                return
            declared = _declared(schema)
            for key, item in value.items():
                here = f"{where}.{key}" if where else key
                if key not in declared:
                    found.append(here)
                else:
                    walk(item, declared[key], here)
        elif isinstance(value, list) and "items" in schema:
            for item in value:
                walk(item, schema["items"], where + "[]")

    walk(body, top, "")
    return found


def validate_component(name: str, value: dict) -> None:
    """Validate `value` against a named schema of the spec (`components/schemas/<name>`), for the
    operations whose request body the file does not declare but whose object it does (SLA policies:
    `CreateSLAPolicy` has no requestBody, `SLAPolicyObject` describes what it takes)."""
    validator = OAS30WriteValidator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{name}"},
        registry=_registry(),
        format_checker=OAS30WriteValidator.FORMAT_CHECKER,
    )
    validator.validate(value)


# --- the strict check ------------------------------------------------------------------------

# Operations the spec declares without a request body although their description documents one.
# The Tags endpoints show it only in the "Safe Update" example of Add Tags (PUT), at the top level,
# with `safe_update` as the string "true"; Remove Tags (DELETE) takes the tags as a query
# parameter and "supports safe updates" by reference to that section; Set Tags (POST) says
# nothing beyond its summary. We accept for all three the shape the PUT example shows, and
# nothing else (docs/worker.md, "Tags").
_TAGS_BODY = {
    "type": "object",
    "properties": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "updated_stamp": {"type": "string", "format": "date-time"},
        "safe_update": {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]},
    },
    "additionalProperties": False,
}
DOCUMENTED_BODIES: dict[tuple[str, str], dict] = {
    ("PUT", "/api/v2/tickets/{ticket_id}/tags"): {**_TAGS_BODY, "required": ["tags"]},
    ("POST", "/api/v2/tickets/{ticket_id}/tags"): {**_TAGS_BODY, "required": ["tags"]},
    ("DELETE", "/api/v2/tickets/{ticket_id}/tags"): _TAGS_BODY,
}
# Create / Update SLA Policy declare no request body, but the file describes the object they take
# (`SLAPolicyObject`); the SLA Policies reference wraps it in `sla_policy` (docs/admin.md).
_SLA_POLICY_BODY = {
    "type": "object",
    "properties": {"sla_policy": {"$ref": "#/components/schemas/SLAPolicyObject"}},
    "required": ["sla_policy"],
}
DOCUMENTED_OBJECT_BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/api/v2/slas/policies"): _SLA_POLICY_BODY,
    ("PUT", "/api/v2/slas/policies/{sla_policy_id}"): _SLA_POLICY_BODY,
}


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    """(regex, template) for every path in the spec; templates with fewer parameters first, so
    `/api/v2/tickets/update_many` wins over `/api/v2/tickets/{ticket_id}`."""
    templates = sorted(load_spec()["paths"], key=lambda t: (t.count("{"), t))
    return [(re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(t)) + "$"), t) for t in templates]


def operation_path(method: str, path: str) -> str | None:
    """The spec's path template for a concrete request path (`.json` allowed), or None."""
    path = path.removesuffix(".json")
    for pattern, template in _path_patterns():
        if pattern.match(path) and method.lower() in load_spec()["paths"][template]:
            return template
    return None


def _query_parameters(template: str, method: str) -> dict[str, dict]:
    entry = load_spec()["paths"][template]
    found = {}
    for parameter in [*entry.get("parameters", []), *entry[method.lower()].get("parameters", [])]:
        parameter = resolve(parameter)
        if parameter.get("in") == "query":
            found[parameter["name"]] = parameter
    return found


def _with_absolute_refs(schema: Any) -> Any:
    """The schema with its local `$ref`s pointing into the registered spec."""
    if isinstance(schema, dict):
        return {
            k: (SPEC_URI + v if k == "$ref" and v.startswith("#") else _with_absolute_refs(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_with_absolute_refs(item) for item in schema]
    return schema


def covers(method: str, path: str) -> bool:
    """Whether the OpenAPI file has the operation at all (webhooks, schedules and time zones are
    documented in references of their own: tests/admin/documented_apis.py checks those)."""
    return operation_path(method, path) is not None


def request_violations(method: str, path: str, query: dict[str, Any], body: Any) -> list[str]:
    """What in this request Zendesk's OpenAPI file does not declare; [] when it all is.

    `query` maps parameter names to values (`page[size]` is the deepObject parameter `page`);
    `body` is the decoded JSON body, or None.
    """
    template = operation_path(method, path)
    where = f"{method} {path}"
    if template is None:
        return [f"{where}: no such operation in Zendesk's OpenAPI file"]
    problems = []
    declared = _query_parameters(template, method)
    for name, value in query.items():
        parameter = declared.get(name.split("[", 1)[0])
        if parameter is None:
            problems.append(f"{where}: query parameter {name!r} is not declared")
        elif "enum" in parameter.get("schema", {}) and value not in parameter["schema"]["enum"]:
            problems.append(f"{where}: query parameter {name}={value!r} is not one of {parameter['schema']['enum']}")
    operation = load_spec()["paths"][template][method.lower()]
    if "requestBody" in operation or (method.upper(), template) in DOCUMENTED_OBJECT_BODIES:
        schema = DOCUMENTED_OBJECT_BODIES.get((method.upper(), template)) or request_schema(method, template)
        validator = OAS30WriteValidator(
            _with_absolute_refs(schema), registry=_registry(), format_checker=OAS30WriteValidator.FORMAT_CHECKER
        )
        problems += [f"{where}: {error.message} at {error.json_path}" for error in validator.iter_errors(body)]
        problems += [f"{where}: {key} is not declared by {template}" for key in _undeclared(body, schema)]
    elif (method.upper(), template) in DOCUMENTED_BODIES:
        if body is not None or method.upper() != "DELETE":
            schema = DOCUMENTED_BODIES[(method.upper(), template)]
            validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
            problems += [f"{where}: {error.message} at {error.json_path}" for error in validator.iter_errors(body)]
    elif body not in (None, b"", ""):
        problems.append(f"{where}: sends a body, and {template} declares none")
    return problems


Check = Callable[[str, str, dict[str, Any], Any], list[str]]


class RecordedRequests:
    """Requests a test sent to Zendesk API paths (`/api/v2/...`), to be checked once it is done.

    An operation the OpenAPI file has goes through `request_violations`. One it lacks goes through
    `other_references` (tests/admin/documented_apis.py: the Webhooks, Schedules and Time zones
    references), which counts an operation none of them documents as a violation; without it, any
    operation the file lacks is one. A misspelt or invented path never passes unchecked."""

    def __init__(self, other_references: Check | None = None) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.other_references = other_references

    def add(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        if path.startswith("/api/v2/"):
            self.requests.append((method.upper(), path, query, body))

    def add_prepared(self, request: Any) -> None:
        """A `requests.PreparedRequest` (what `responses` sees)."""
        url = urlsplit(request.url)
        raw = request.body
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        self.add(
            request.method,
            url.path,
            {k: v[-1] for k, v in parse_qs(url.query).items()},
            json.loads(raw) if raw else None,
        )

    def violations(self) -> list[str]:
        problems = []
        for request in self.requests:
            if covers(request[0], request[1]) or self.other_references is None:
                problems += request_violations(*request)
            else:
                problems += self.other_references(*request)
        return problems
