"""Request bodies the control plane reads itself, off the event loop, with FastAPI's 422 and short excerpts.

FastAPI parses and validates a body on the event loop before the endpoint runs: for 100,000 events that is
a fraction of a second in which nothing else is served. An endpoint that takes a large body reads the bytes
(bounded by the router's `max_body_size`), then calls `parse_body` on a worker thread; the errors it raises are
the ones FastAPI would have raised, so the answers do not change.
"""

from __future__ import annotations

import email.message
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

# What an error answer shows of a value it refused: enough to recognise it, never the whole of a large body.
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class ChunkedList:
    """A list field of the body validated `CHUNK_ITEMS` at a time, so that no one call holds the interpreter lock
    for long (100,000 events at once take a tenth of a second); the answers are the same."""

    field: str
    item: type[BaseModel]
    max_items: int


CHUNK_ITEMS = 2_000


def parse_body(
    model: type[ModelT], body: bytes, content_type: str | None, chunked: ChunkedList | None = None
) -> ModelT:
    """`body` as `model`, or the RequestValidationError FastAPI raises for the same body and content type."""
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    value: Any = body
    if _is_json(content_type):
        try:
            # A hook written in Python is called for every object, which lets other threads in between.
            value = json.loads(body, object_pairs_hook=_object)
        except json.JSONDecodeError as error:
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", error.pos),
                        "msg": "JSON decode error",
                        "input": {},
                        "ctx": {"error": error.msg},
                    }
                ]
            ) from None
    items = value.get(chunked.field) if chunked is not None and isinstance(value, dict) else None
    if chunked is None or not isinstance(items, list) or not CHUNK_ITEMS < len(items) <= chunked.max_items:
        return _validated(model, value)
    adapter = TypeAdapter(list[chunked.item])  # type: ignore[name-defined]
    validated: list[BaseModel] = []
    errors: list[Any] = []
    for offset in range(0, len(items), CHUNK_ITEMS):
        try:
            validated.extend(adapter.validate_python(items[offset : offset + CHUNK_ITEMS], from_attributes=True))
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                index, *rest = detail["loc"]
                errors.append({**detail, "loc": ("body", chunked.field, offset + int(index), *rest)})
    if not errors:
        try:
            return model.model_validate({**value, chunked.field: validated}, from_attributes=True)
        except ValidationError:
            return _validated(model, value)  # raises the same error, quoting the input as it was sent
    # The other fields' errors come after the list's, as in one call; a model validator would not have run.
    try:
        model.model_validate({**value, chunked.field: []}, from_attributes=True)
    except ValidationError as error:
        errors += [
            {**detail, "loc": ("body", *detail["loc"])}
            for detail in error.errors(include_url=False)
            if detail["loc"] and detail["loc"][0] != chunked.field
        ]
    raise RequestValidationError(errors)


def _validated(model: type[ModelT], value: Any) -> ModelT:
    try:
        return model.model_validate(value, from_attributes=True)
    except ValidationError as error:
        raise RequestValidationError(
            [{**detail, "loc": ("body", *detail["loc"])} for detail in error.errors(include_url=False)]
        ) from None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return dict(pairs)


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `requestBody` FastAPI would document for `model`, for an endpoint that reads its body itself."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    definitions = schema.pop("$defs", {})
    return {"required": True, "content": {"application/json": {"schema": _inlined(schema, definitions)}}}


def excerpt(value: Any) -> Any:
    """`value` itself when short; otherwise the start of its JSON text and its size (read no further than that)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes) and len(value) > EXCERPT_CHARS:
        return f"{value[:EXCERPT_CHARS].decode('utf-8', 'replace')}… ({len(value):,} bytes)"
    if isinstance(value, str):
        return value if len(value) <= EXCERPT_CHARS else f"{value[:EXCERPT_CHARS]}… ({len(value):,} characters)"
    if not isinstance(value, dict | list | tuple):
        return value
    text = _json_prefix(value, EXCERPT_CHARS + 1)
    if len(text) <= EXCERPT_CHARS:
        return value
    return f"{text[:EXCERPT_CHARS]}… ({len(value):,} {'keys' if isinstance(value, dict) else 'items'})"


def short(message: str) -> str:
    """A message quoting the input, cut to a readable length."""
    return message if len(message) <= 4 * EXCERPT_CHARS else f"{message[: 4 * EXCERPT_CHARS]}… (cut short)"


def _json_prefix(value: Any, budget: int) -> str:
    """The first `budget` characters or so of `value`'s JSON text, built without serialising the rest."""
    if isinstance(value, dict):
        pairs = ((json.dumps(str(key)) + ": ", item) for key, item in value.items())
        return _joined("{", pairs, "}", budget)
    if isinstance(value, list | tuple):
        return _joined("[", (("", item) for item in value), "]", budget)
    if isinstance(value, str):
        return json.dumps(value[:budget], ensure_ascii=False)
    return json.dumps(value, default=str)


def _joined(opening: str, entries: Any, closing: str, budget: int) -> str:
    text = opening
    for index, (label, item) in enumerate(entries):
        if len(text) > budget:
            break
        text += (", " if index else "") + label + _json_prefix(item, budget - len(text))
    return text + closing


def _is_json(content_type: str | None) -> bool:
    # As FastAPI decides it: application/json or application/*+json; without a content type, not JSON.
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _inlined(node: Any, definitions: dict[str, Any]) -> Any:
    """`node` with every local `$ref` replaced by the definition it names (the models here are not recursive)."""
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            return _inlined(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _inlined(item, definitions) for key, item in node.items()}
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    return node
