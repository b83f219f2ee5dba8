"""Validate request bodies against Zendesk's own OpenAPI file (a test helper, not a test module).

    from tests.openapi import validate_request, undeclared_properties
    validate_request("PUT", "/api/v2/tickets/{ticket_id}", body)   # raises ValidationError

The file is 1.7 MB and takes seconds to parse, so it is loaded once per test session. Zendesk's
schemas do not forbid unknown properties (no `additionalProperties: false` on TicketObject), so
schema validation alone would accept a misspelt key; `undeclared_properties` lists every key in a
body that the schema does not declare, so tests can pin exactly which ones we rely on anyway.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml
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
    """Dotted paths of keys in `body` that the operation's schema does not declare."""
    found: list[str] = []

    def walk(value, schema: dict, where: str) -> None:
        schema = resolve(schema)
        if isinstance(value, dict):
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

    walk(body, request_schema(method, path), "")
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
