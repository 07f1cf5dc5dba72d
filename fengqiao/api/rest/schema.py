"""Additions to the generated OpenAPI document: every operation may answer an error as an
RFC 9457 problem document, which the schema says (so clients, and the schemathesis run in
CI, know the shape and the media type of every error)."""

from __future__ import annotations

from typing import Any

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "urn:fengqiao:problem:<kind>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong and what to fix."},
        "instance": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Per field (nested fields dotted: reporter.phone), its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}


def add_problem_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM
    reference = {
        "description": "An error, as a problem document.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete", "head", "options"}:
                operation.setdefault("responses", {})["default"] = reference
    return result
