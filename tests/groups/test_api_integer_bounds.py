"""Every integer input of the HTTP API is bounded: a huge or a negative number is a 400 ``bad_request`` (never an
OverflowError or a database "out of range" 500), and the OpenAPI schema shows each bound.

The inputs are found by walking the generated schema, so an endpoint added later is checked without editing this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import make_group

pytestmark = pytest.mark.django_db

HUGE = 2**64  # past a PostgreSQL bigint and a C long
NEGATIVE = -1


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _is_integer(node: dict) -> bool:
    return node.get("type") == "integer" or (node.get("type") == "array" and node["items"].get("type") == "integer")


def integer_inputs(schema: dict) -> Iterator[tuple[str, str, str, str, dict]]:
    """(method, path, where, name, field schema) of every integer input: query, path and JSON body."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if _is_integer(parameter["schema"]):
                    yield method, path, parameter["in"], parameter["name"], parameter["schema"]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, field in _resolve(schema, body["schema"]).get("properties", {}).items():
                    if _is_integer(field):
                        yield method, path, "body", name, field


def _bounds(field: dict) -> dict:
    return field["items"] if field.get("type") == "array" else field


def test_the_walk_finds_the_known_inputs():
    found = {(method, path, name) for method, path, _, name, _ in integer_inputs(_schema())}
    assert ("post", "/api/v1/groups/{code}/read/", "seq") in found
    assert ("post", "/api/v1/me/agreements/accept/", "agreements") in found
    assert ("get", "/api/v1/groups/{code}/messages/", "before") in found
    assert ("post", "/api/v1/groups/{code}/members/{user_id}/mute/", "user_id") in found


def test_every_integer_input_shows_its_bounds_in_the_schema():
    unbounded = [f"{method.upper()} {path} {where}:{name}" for method, path, where, name, field in integer_inputs(_schema())
                 if "minimum" not in _bounds(field) or "maximum" not in _bounds(field)]
    assert unbounded == []


def _url(path: str, group_code: str, user_id: int, override: tuple[str, int] | None = None) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if override and name == override[0]:
            return str(override[1])
        return {"code": group_code, "token": "no-such-token"}.get(name, str(user_id))

    return re.sub(r"\{(\w+)\}", fill, path)


@pytest.mark.parametrize("value", [HUGE, NEGATIVE], ids=["huge", "negative"])
def test_every_integer_input_refuses_out_of_range_with_bad_request(value, owner, alice, member_of, api):
    group = make_group(owner)
    member_of(group, alice)
    client = api(owner)
    failures = []
    checked = 0
    for method, path, where, name, field in integer_inputs(_schema()):
        if where == "path":
            continue  # below: a path id out of range matches no URL
        url = _url(path, group.code, alice.pk)
        if where == "query":
            response = getattr(client, method)(url + f"?{name}={value}")
        else:
            payload = [value] if field.get("type") == "array" else value
            response = getattr(client, method)(url, {name: payload}, format="json")
        checked += 1
        code = response.json().get("code") if response["content-type"].startswith("application/json") else None
        if response.status_code != 400 or code != "bad_request":
            failures.append(f"{method.upper()} {path} {where}:{name}={value} -> {response.status_code} {code}")
    assert checked >= 6 and failures == []


def test_a_path_id_out_of_range_is_not_found_not_a_server_error(owner, api):
    group = make_group(owner)
    client = api(owner)
    paths = {(method, path, name) for method, path, where, name, _ in integer_inputs(_schema()) if where == "path"}
    assert paths
    for method, path, name in paths:
        response = getattr(client, method)(_url(path, group.code, owner.pk, override=(name, HUGE)), {}, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
