"""The OGC API part of the OpenAPI document, in OpenAPI 3.0 (``/api``).

FastAPI writes OpenAPI 3.1; OGC API Features (conformance class *oas30*),
GDAL and the OGC test suites read 3.0. This takes the app's own document
(so routes, parameters and models are declared once), keeps the OGC paths
and the schemas they reference, and rewrites the few 3.1-only JSON Schema
forms FastAPI emits: ``anyOf`` with ``null`` and type lists (``nullable``),
``const`` (a one-value ``enum``), ``examples`` (``example``), numeric
``exclusiveMinimum``/``exclusiveMaximum`` and ``prefixItems``.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI

OGC_PREFIXES = ("/conformance", "/collections", "/api")
_DROP = ("$schema", "$id", "contentMediaType", "contentEncoding", "unevaluatedProperties")


def ogc_openapi_30(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``/`` and the OGC API paths (cached on the app)."""
    cached: dict[str, Any] | None = getattr(app.state, "openapi_30", None)
    if cached is None:
        cached = _build(app.openapi())
        app.state.openapi_30 = cached
    return cached


def _build(doc: dict[str, Any]) -> dict[str, Any]:
    paths = {
        p: copy.deepcopy(item)
        for p, item in doc["paths"].items()
        if p == "/" or p.startswith(OGC_PREFIXES)
    }
    schemas = doc.get("components", {}).get("schemas", {})
    wanted = _referenced(paths, schemas)
    components: dict[str, Any] = {
        "schemas": {name: copy.deepcopy(schemas[name]) for name in sorted(wanted)}
    }
    if "securitySchemes" in doc.get("components", {}):
        components["securitySchemes"] = copy.deepcopy(doc["components"]["securitySchemes"])
    out: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": doc["info"]["title"] + " - OGC API Features",
            "version": doc["info"]["version"],
            "description": "OGC API Features (Parts 1 to 4) over territories, accounts and reps.",
        },
        "paths": paths,
        "components": components,
    }
    downgrade(out)
    return out


def _referenced(node: Any, schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen and name in schemas:
                    seen.add(name)
                    stack.append(schemas[name])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return seen


def downgrade(node: Any) -> None:
    """Rewrite 3.1 JSON Schema forms under ``node`` into their 3.0 equivalents, in place.

    >>> s = {"anyOf": [{"type": "integer"}, {"type": "null"}], "const": None}
    >>> downgrade({"schema": s}); s == {"type": "integer", "nullable": True}
    True
    """
    if isinstance(node, list):
        for item in node:
            downgrade(item)
        return
    if not isinstance(node, dict):
        return
    for value in list(node.values()):
        downgrade(value)
    if _is_schema(node):
        _downgrade_schema(node)


def _is_schema(node: dict[str, Any]) -> bool:
    return any(
        k in node
        for k in ("type", "anyOf", "oneOf", "allOf", "const", "properties", "items", "prefixItems")
    )


def _downgrade_schema(s: dict[str, Any]) -> None:
    for key in _DROP:
        s.pop(key, None)
    if "const" in s:
        value = s.pop("const")
        if value is not None:
            s["enum"] = [value]
    if isinstance(s.get("examples"), list):
        examples = s.pop("examples")
        if examples:
            s["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(s.get(bound), int | float) and not isinstance(s[bound], bool):
            s[plain] = s.pop(bound)
            s[bound] = True
    if isinstance(s.get("type"), list):
        kinds = [t for t in s["type"] if t != "null"]
        if len(kinds) < len(s["type"]):
            s["nullable"] = True
        s["type"] = kinds[0] if kinds else "string"
    if "prefixItems" in s:
        prefix = s.pop("prefixItems")
        s.setdefault("items", prefix[0] if _all_same(prefix) else {})
        s.setdefault("minItems", len(prefix))
    if s.get("type") == "null":
        s.pop("type")
        s["nullable"] = True
    for key in ("anyOf", "oneOf"):
        if key in s:
            _drop_null(s, key)


def _drop_null(s: dict[str, Any], key: str) -> None:
    options = [o for o in s[key] if o != {"nullable": True} and o.get("type") != "null"]
    if len(options) == len(s[key]):
        return
    s["nullable"] = True
    if len(options) == 1:
        del s[key]
        only = options[0]
        if "$ref" in only:
            s["allOf"] = [only]
        else:
            s.update({k: v for k, v in only.items() if k not in s or k == "type"})
    else:
        s[key] = options


def _all_same(items: list[Any]) -> bool:
    return all(i == items[0] for i in items)
