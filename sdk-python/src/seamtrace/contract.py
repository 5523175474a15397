"""Seam contracts: a step's output is checked before it is handed on.

Three forms, none of them a dependency of the SDK:

- any callable ``validator(value)``: returning None or True means the value conforms; False, a
  string, or a list of issues (strings, or ``{"message", "path"}`` mappings) means it does not;
  raising means it does not either, with the error as the issue;
- a JSON Schema (a mapping), checked with ``jsonschema`` when that package is installed;
- a Pydantic model class (v1 or v2), when ``pydantic`` is installed.

A JSON Schema and a Pydantic model also describe themselves to the server (the step's contract),
so a reviewer's correction is checked against the same shape.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, List, Mapping, Optional, Union

from .errors import ContractUnavailable
from .wire import ContractIssue, StepContract

__all__ = ["Contract", "check_contract", "describe_contract"]

Contract = Union[Callable[[Any], Any], Mapping[str, Any], type]
"""A step's ``schema``: a callable validator, a JSON Schema mapping, or a Pydantic model class."""

# A value can violate a schema in thousands of places; the event carries the first ones, which is
# what a reviewer reads, and stays bounded.
MAX_ISSUES = 50


def _pydantic_model(schema: Any) -> bool:
    if not inspect.isclass(schema):
        return False
    for klass in schema.__mro__:
        if klass.__name__ == "BaseModel" and klass.__module__.startswith("pydantic"):
            return True
    return False


def check_contract(schema: Contract, value: Any) -> Optional[List[ContractIssue]]:
    """None when ``value`` conforms to ``schema``, else its issues (at most 50).

    Raises ``ContractUnavailable`` when the schema's form needs a package that is missing: the
    step then fails and says so, rather than hand on a value nobody checked.

    Example::

        check_contract({"type": "object", "required": ["policy_no"]}, {})
        # [{'message': "'policy_no' is a required property", 'path': []}]
    """
    if isinstance(schema, Mapping):
        return _check_json_schema(schema, value)
    if _pydantic_model(schema):
        return _check_pydantic(schema, value)
    if callable(schema):
        try:
            verdict = schema(value)
        except Exception as err:  # a validator that raises did not show the value conforms
            return [{"message": _text(err) or type(err).__name__}]
        return _verdict_issues(verdict)
    raise TypeError(f"a step schema must be a callable, a JSON Schema mapping or a Pydantic model, not {type(schema).__name__}")


def _verdict_issues(verdict: Any) -> Optional[List[ContractIssue]]:
    if verdict is None or verdict is True:
        return None
    if verdict is False:
        return [{"message": "invalid"}]
    if isinstance(verdict, str):
        return [{"message": verdict}]
    if isinstance(verdict, (list, tuple)):
        issues: List[ContractIssue] = []
        for item in list(verdict)[:MAX_ISSUES]:
            if isinstance(item, Mapping):
                issue: ContractIssue = {"message": str(item.get("message", "invalid"))}
                path = item.get("path")
                if path:
                    issue["path"] = [p if isinstance(p, int) and not isinstance(p, bool) else str(p) for p in path]
                issues.append(issue)
            else:
                issues.append({"message": str(item)})
        return issues or None
    return [{"message": f"validator returned {type(verdict).__name__}, expected None, a bool or a list of issues"}]


def _check_json_schema(schema: Mapping[str, Any], value: Any) -> Optional[List[ContractIssue]]:
    try:
        jsonschema: Any = importlib.import_module("jsonschema")
    except ImportError:
        raise ContractUnavailable("a JSON Schema contract needs the jsonschema package: pip install jsonschema") from None
    try:
        cls = jsonschema.validators.validator_for(schema)
        validator = cls(schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    except Exception as err:  # an invalid schema cannot show the value conforms
        return [{"message": f"validator threw: {_text(err)}"}]
    if not errors:
        return None
    return [{"message": e.message, "path": [p for p in e.absolute_path]} for e in errors[:MAX_ISSUES]]


def _check_pydantic(model: Any, value: Any) -> Optional[List[ContractIssue]]:
    try:
        if isinstance(value, model):
            return None
        if hasattr(model, "model_validate"):  # pydantic 2
            model.model_validate(value)
        else:  # pydantic 1
            model.parse_obj(value)
        return None
    except Exception as err:
        errors = getattr(err, "errors", None)
        if not callable(errors):
            return [{"message": f"validator threw: {_text(err)}"}]
        issues: List[ContractIssue] = []
        for e in list(errors())[:MAX_ISSUES]:
            issue: ContractIssue = {"message": str(e.get("msg", "invalid"))}
            loc = e.get("loc") or ()
            if loc:
                issue["path"] = [p if isinstance(p, int) else str(p) for p in loc]
            issues.append(issue)
        return issues or [{"message": "invalid"}]


def describe_contract(schema: Optional[Contract], explicit: Optional[Mapping[str, Any]] = None) -> Optional[StepContract]:
    """The step's contract as JSON Schema: the explicit one, a JSON Schema given as the schema, or
    what a Pydantic model says of itself; None for a plain callable. Never raises."""
    try:
        if explicit is not None:
            return {"jsonSchema": dict(explicit)}
        if isinstance(schema, Mapping):
            return {"jsonSchema": dict(schema)}
        if schema is not None and _pydantic_model(schema):
            describe = getattr(schema, "model_json_schema", None) or getattr(schema, "schema")
            return {"jsonSchema": dict(describe()), "vendor": "pydantic"}
    except Exception:
        return None
    return None


def _text(err: BaseException) -> str:
    try:
        return str(err)
    except Exception:
        return type(err).__name__
