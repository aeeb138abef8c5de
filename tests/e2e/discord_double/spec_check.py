"""Request bodies checked against Discord's official OpenAPI spec (``spec/openapi.json``, vendored
from github.com/discord/discord-api-spec; see ``spec/README.md``).

For a request, :meth:`Spec.check` finds the spec operation by method and path (the request path
is matched against the spec's ``paths`` templates, literal segments before parameters, as OpenAPI
says, so ``…/messages/@original`` finds its own entry), takes the ``application/json`` schema of
its ``requestBody`` (a multipart request's ``payload_json`` is checked against that same schema)
and validates with ``jsonschema`` (Draft 2020-12, the OpenAPI 3.1 default dialect). A body that
does not fit gives Discord's 400 ``{"code": 50035, "message": "Invalid Form Body", "errors": …}``
with the errors nested by the failing path, as Discord nests them.

The spec is read as its README says Discord reads it; these are the only changes:

* ``SnowflakeType`` (a decimal string) also takes a non-negative integer below 2**64:
  discord.py sends ids as JSON numbers and Discord accepts them.
* An integer schema also takes a string that parses as an integer fitting that schema ("Our API
  accepts strings for int fields if they are parseable as ints"): discord.py sends
  ``default_member_permissions`` as a string, as the docs type it.
* ``oneOf`` is read as ``anyOf`` ("Even though we define anyOf and oneOf unions, they all mean that
  only one type from the list can be used"): a value fitting two branches, such as a numeric
  nonce, is one valid value, not an error.

Validators are compiled once per operation and cached; the spec is loaded once per process."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("spec") / "openapi.json"
SPEC_URI = "urn:discord-api-spec:openapi.json"
INT_STRING = re.compile(r"^-?(0|[1-9][0-9]*)$")
MAX_SNOWFLAKE = 2**64 - 1
CHOICE = ("enum", "const")
SHAPE = ("type", "x-int-string", "anyOf", "oneOf")
MAX_ERRORS = 20  # per response, like Discord's, which lists a handful


def _int_string(validator: Any, schema: dict, instance: Any, _: dict) -> Iterator[ValidationError]:
    """``x-int-string: <integer schema>``: a string that parses as an int fitting the schema."""
    if not isinstance(instance, str) or not INT_STRING.match(instance):
        yield ValidationError(f"{instance!r} is not an integer or an integer string")
        return
    yield from validator.descend(int(instance), schema)


Validator = extend(Draft202012Validator, validators={"x-int-string": _int_string})


def _is_integer_schema(node: dict) -> bool:
    kind = node.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _adapt(node: Any) -> Any:
    """The spec as Discord reads it (see the module docstring); a new tree, the input untouched."""
    if isinstance(node, list):
        return [_adapt(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {("anyOf" if k == "oneOf" else k): _adapt(v) for k, v in node.items()}
    if _is_integer_schema(out):
        original = dict(out)
        integer_only = dict(original, type="integer")
        return {"anyOf": [original, {"type": "string", "x-int-string": integer_only}]}
    return out


@functools.cache
def load_spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as f:
        raw = json.load(f)
    spec = {"openapi": raw["openapi"], "paths": _adapt(raw["paths"]), "components": _adapt(raw["components"])}
    snowflake = spec["components"]["schemas"]["SnowflakeType"]
    spec["components"]["schemas"]["SnowflakeType"] = {
        "anyOf": [copy.deepcopy(snowflake), {"type": "integer", "minimum": 0, "maximum": MAX_SNOWFLAKE}]}
    return spec


def _pointer(*parts: str) -> str:
    return "".join("/" + quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts)


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the spec's key, e.g. /channels/{channel_id}/messages
    body_required: bool
    schema_ref: str | None  # a $ref to the application/json body schema; None: no JSON body


class Spec:
    def __init__(self, spec: dict | None = None) -> None:
        self.spec = spec if spec is not None else load_spec()
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(self.spec, DRAFT202012))
        # segment count → [(segments, key)], most literal (leftmost first) before most templated
        self._templates: dict[int, list[tuple[tuple[str | None, ...], str]]] = {}
        for key in self.spec["paths"]:
            segments = tuple(None if s.startswith("{") else s for s in key.strip("/").split("/"))
            self._templates.setdefault(len(segments), []).append((segments, key))
        for entries in self._templates.values():
            entries.sort(key=lambda e: tuple(s is None for s in e[0]))

    @functools.lru_cache(maxsize=4096)
    def operation(self, method: str, path: str) -> Operation | None:
        """The spec operation for ``method`` on a concrete path (no /api/v10 prefix)."""
        parts = path.strip("/").split("/")
        for segments, key in self._templates.get(len(parts), ()):
            if all(s is None or s == p for s, p in zip(segments, parts)):
                op = self.spec["paths"][key].get(method.lower())
                if op is None:
                    return None
                body = op.get("requestBody") or {}
                has_json = "application/json" in (body.get("content") or {})
                ref = (f"{SPEC_URI}#" + _pointer("paths", key, method.lower(), "requestBody", "content",
                                                 "application/json", "schema")) if has_json else None
                return Operation(method.upper(), key, bool(body.get("required")), ref)
        return None

    @functools.lru_cache(maxsize=None)
    def validator(self, op: Operation) -> Any:
        return Validator({"$ref": op.schema_ref}, registry=self.registry)

    def check(self, method: str, path: str, body: Any, *, has_body: bool) -> dict | None:
        """Discord's 400 answer for a body that does not fit the spec, or None. ``has_body``: the
        request carried a JSON body (or a multipart ``payload_json``)."""
        op = self.operation(method.upper(), path)
        if op is None or op.schema_ref is None or (not has_body and not op.body_required):
            return None
        errors = discord_errors(self.validator(op).iter_errors(body if has_body else None))
        if not errors:
            return None
        return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


@functools.cache
def default_spec() -> Spec:
    return Spec()


# -- Discord's error shape ------------------------------------------------------------------------

def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that say what is wrong: for a union, those of the branch the value was meant for
    (the one not failing on its own type or on a discriminator such as ``type``)."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    depth = len(error.absolute_path)
    per_branch = [[leaf for sub in subs for leaf in _leaves(sub)] for subs in branches.values()]
    merged = _merged_choices(per_branch, depth)
    if merged is not None:
        return [merged]

    def miss(leaves: list[ValidationError]) -> tuple[bool, bool, int]:
        wrong_type = any(len(leaf.absolute_path) == depth and leaf.validator in SHAPE for leaf in leaves)
        wrong_kind = any(len(leaf.absolute_path) == depth + 1 and leaf.validator in CHOICE for leaf in leaves)
        return wrong_type, wrong_kind, len(leaves)

    best = min(per_branch, key=miss)
    if miss(best)[0]:  # no branch has the right shape: the union itself failed
        return [error]
    return best


def _values(leaf: ValidationError) -> list:
    return list(leaf.validator_value) if leaf.validator == "enum" else [leaf.validator_value]


def _merged_choices(per_branch: list[list[ValidationError]], depth: int) -> ValidationError | None:
    """When every branch of a union is ruled out by a choice (``enum``/``const``) at the same place,
    one "must be one of" error listing what the union accepts there (the union over branches of
    the values each branch accepts): at the union's own place (a union of constants, such as
    ``AllowedMentionTypes``) or one level down (a discriminator, such as a callback's ``type``)."""
    for at in (depth, depth + 1):
        if at == depth and not all(l.validator in CHOICE and len(l.absolute_path) == at
                                   for leaves in per_branch for l in leaves):
            continue
        common: set[tuple] | None = None
        for leaves in per_branch:
            here = {tuple(l.absolute_path) for l in leaves if l.validator in CHOICE and len(l.absolute_path) == at}
            common = here if common is None else common & here
        if not common:
            continue
        path = min(common, key=repr)
        accepted: list = []
        instance = None
        for leaves in per_branch:
            choices = [l for l in leaves if l.validator in CHOICE and tuple(l.absolute_path) == path]
            instance = choices[0].instance
            for value in _values(choices[0]):
                if all(value in _values(other) for other in choices[1:]) and value not in accepted:
                    accepted.append(value)
        try:
            accepted.sort()
        except TypeError:
            pass
        return ValidationError(f"{instance!r} is not one of {accepted!r}", validator="enum",
                               validator_value=accepted, instance=instance, path=deque(path))
    return None


def _describe(error: ValidationError) -> tuple[str, str]:
    v, value, instance = error.validator, error.validator_value, error.instance
    if v in ("maxLength", "maxItems", "maxProperties"):
        return "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
    if v in ("minLength", "minItems", "minProperties"):
        return "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
    if v == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"
    if v in ("enum", "const"):
        return "BASE_TYPE_CHOICES", f"Value must be one of {_values(error)!r}."
    if v in ("maximum", "exclusiveMaximum"):
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {value}."
    if v in ("minimum", "exclusiveMinimum"):
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {value}."
    if v in SHAPE:
        wanted = _types(error.schema)
        if "object" in wanted:
            return "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
        if "array" in wanted:
            return "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"
        if "integer" in wanted or "number" in wanted:
            return "NUMBER_TYPE_COERCE", f"Value \"{instance}\" is not {'int' if 'integer' in wanted else 'a number'}."
        if "boolean" in wanted:
            return "BOOLEAN_TYPE_CONVERT", "Must be either true or false."
        if "string" in wanted:
            return "STRING_TYPE_CONVERT", "Could not interpret value as string."
    if v == "pattern":
        return "STRING_TYPE_REGEX", "String value did not match validation regex."
    return "BASE_TYPE_INVALID", error.message[:200]


def _types(schema: Any) -> set[str]:
    """The JSON types a schema (or union) asks for, as far as it says without a $ref."""
    if not isinstance(schema, dict):
        return set()
    if "x-int-string" in schema:
        return {"integer"}
    kind = schema.get("type")
    found = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _types(branch)
    return found - {"null"} if len(found) > 1 else found


def discord_errors(errors: Iterable[ValidationError]) -> dict:
    """jsonschema errors as Discord's nested ``errors`` object ({} when there are none):
    ``{"embeds": {"0": {"fields": {"0": {"value": {"_errors": [{"code", "message"}]}}}}}}``."""
    out: dict[str, Any] = {}
    count = 0
    for error in errors:
        for leaf in _leaves(error):
            path = [str(p) for p in leaf.absolute_path]
            if leaf.validator == "required":
                missing = re.match(r"^'(.*)' is a required property$", leaf.message)
                path.append(missing.group(1) if missing else "?")
            code, message = _describe(leaf)
            node = out
            for part in path:
                node = node.setdefault(part, {})
            entry = {"code": code, "message": message}
            if entry not in node.setdefault("_errors", []):
                node["_errors"].append(entry)
                count += 1
            if count >= MAX_ERRORS:
                return out
    return out


def error_paths(errors: dict, prefix: str = "") -> list[str]:
    """The dotted paths of a Discord ``errors`` object, e.g. ``["embeds.0.fields.0.value"]``."""
    found = []
    for key, value in errors.items():
        if key == "_errors":
            found.append(prefix or "<body>")
        elif isinstance(value, dict):
            found += error_paths(value, f"{prefix}.{key}" if prefix else key)
    return found
