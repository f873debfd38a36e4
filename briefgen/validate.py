"""Validation of loaded YAML against a model, every problem turned into a located diagnostic."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, error
from .models import describe_value
from .yamlload import LoadedYaml

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_model(model_cls: type[ModelT], loaded: LoadedYaml) -> tuple[ModelT | None, list[Diagnostic]]:
    """Validate ``loaded`` as ``model_cls``; return the model, or None and every problem found."""
    if not isinstance(loaded.data, dict):
        location = loaded.location_of(())
        message = f"expected a mapping of keys (title: …, date: …) at the top of the file, found {describe_value(loaded.data)}"
        return None, [error(location, message, "wrong-type")]
    try:
        return model_cls.model_validate(loaded.data), []
    except ValidationError as exc:
        diagnostics = [_diagnostic(model_cls, loaded, problem) for problem in exc.errors(include_url=False)]
        return None, sorted(set(diagnostics), key=lambda d: (d.location, d.message))


def _diagnostic(model_cls: type[BaseModel], loaded: LoadedYaml, problem: dict[str, Any]) -> Diagnostic:
    """Translate one pydantic error into a diagnostic worded for someone editing YAML."""
    loc = tuple(problem["loc"])
    kind = problem["type"]
    value = problem.get("input")
    if kind == "missing":
        where = ".".join(str(part) for part in loc[:-1]) or "the top level"
        return error(loaded.location_of(loc[:-1]), f"missing required key '{loc[-1]}' in {where}", "missing-key")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model_cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(allowed)}"
        return error(loaded.location_of(loc, key=True), f"unknown key '{loc[-1]}'{hint}", "unknown-key")
    location = loaded.location_of(loc)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return error(location, f"expected a mapping (key: value lines) here, found {describe_value(value)}", "wrong-type")
    if kind == "list_type":
        return error(location, f"expected a list (lines starting with '- ') here, found {describe_value(value)}", "wrong-type")
    if kind == "literal_error":
        allowed = problem.get("ctx", {}).get("expected", "")
        return error(location, f"{describe_value(value)} is not allowed here; use {allowed}", "invalid-choice")
    if kind == "too_short":
        return error(location, "needs at least one item", "empty-list")
    if kind == "empty-value":
        key = next((part for part in reversed(loc) if isinstance(part, str)), "value")
        return error(location, f"'{key}' {problem['msg']}", kind)
    if "-" in kind:  # our own PydanticCustomError codes are kebab-case
        return error(location, problem["msg"], kind)
    return error(location, problem["msg"], "invalid")


def _allowed_keys(model_cls: type[BaseModel], loc: tuple) -> list[str]:
    """Return the field names of the model found at ``loc`` inside ``model_cls``."""
    current: Any = model_cls
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: ``current`` is already the item type
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = innermost_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def innermost_model(annotation: Any) -> Any:
    """Return a field annotation with Optional, list[...] and Annotated stripped off."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        elif origin in (list, typing.Annotated):
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation
