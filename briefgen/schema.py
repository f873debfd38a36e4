"""The JSON Schema of statement files, for editors, with each field's docstring as its description.

The descriptions are read from the models' source here, only when a schema is asked for,
rather than by pydantic on every start-up: that keeps ``briefgen check`` quick.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from pydantic import BaseModel

from .models import Statement
from .validate import innermost_model


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Return the docstring written under each field of ``model``'s class body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(model)))
    body = tree.body[0].body
    docs = {}
    for statement, following in zip(body, body[1:]):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _models_under(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Return ``model`` and every model its fields use, by class name."""
    found = {model.__name__: model}
    for field in model.model_fields.values():
        inner = innermost_model(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__name__ not in found:
            found.update(_models_under(inner))
    return found


def statement_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a statement file."""
    schema = Statement.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    models = _models_under(Statement)
    definitions = [(Statement.__name__, schema), *schema.get("$defs", {}).items()]
    for name, definition in definitions:
        docs = attribute_docstrings(models[name])
        for field, prop in definition.get("properties", {}).items():
            if field in docs:
                prop["description"] = docs[field]
    return schema



