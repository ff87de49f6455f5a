"""The OpenAPI document: FastAPI's, with nested ``$defs`` hoisted into components.

Schemas given whole to pydantic (``WithJsonSchema`` with a geojson-pydantic
``TypeAdapter`` schema) keep their ``$defs`` and ``#/$defs/...`` references
inside the operation; FastAPI copies them as they are, so every reference
dangles (16 did). :func:`build_openapi` moves each such definition to
``components/schemas`` and points the references there.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

_LOCAL = "#/$defs/"
_COMPONENTS = "#/components/schemas/"


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with no reference left dangling (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = FastAPI.openapi(app)  # FastAPI's own document, cached on the app
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    hoist_defs(doc, components)
    _state_if_match(doc)
    return doc


IF_MATCH_PATTERN = r'^\s*(\*|"[0-9]+")\s*$'


def _state_if_match(doc: dict[str, Any]) -> None:
    # Every route that reads If-Match refuses to run without it (428), and
    # takes only one strong ETag or "*" (400 otherwise): say so, so clients
    # and fuzzers send what the server takes.
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if param.get("in") == "header" and param.get("name", "").lower() == "if-match":
                    param["required"] = True
                    param["schema"] = {
                        "type": "string",
                        "pattern": IF_MATCH_PATTERN,
                        "title": "If-Match",
                        "description": 'The current ETag, e.g. "3", or * for any version.',
                    }


def hoist_defs(node: Any, components: dict[str, Any]) -> None:
    """Move every nested ``$defs`` into ``components`` and rewrite its references.

    A definition whose name is taken by a different schema gets a numbered
    name, and the references under the node that held it follow.

    >>> doc = {"a": {"$defs": {"P": {"type": "number"}}, "items": {"$ref": "#/$defs/P"}}}
    >>> comps: dict = {}
    >>> hoist_defs(doc, comps)
    >>> doc, comps
    ({'a': {'items': {'$ref': '#/components/schemas/P'}}}, {'P': {'type': 'number'}})
    """
    # Iterative: the document is deep, and recursion buys nothing here.
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$defs"), dict):
                _hoist_here(current, components)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _hoist_here(holder: dict[str, Any], components: dict[str, Any]) -> None:
    defs: dict[str, Any] = holder.pop("$defs")
    names = {name: _free_name(name, schema, components) for name, schema in defs.items()}
    # Equal definitions (compared with their references rewritten) share one name.
    for name, schema in defs.items():
        _rewrite(schema, names)
        components[names[name]] = schema
    _rewrite(holder, names)


def _free_name(name: str, schema: Any, components: dict[str, Any]) -> str:
    as_component = copy.deepcopy(schema)
    _rewrite(as_component, {})
    candidate, n = name, 1
    while candidate in components and components[candidate] != as_component:
        n += 1
        candidate = f"{name}{n}"
    return candidate


def _rewrite(node: Any, names: dict[str, str]) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith(_LOCAL):
                local = ref[len(_LOCAL) :]
                current["$ref"] = _COMPONENTS + names.get(local, local)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
