"""Request schemas from the params models, as the wire sees them.

pydantic's JSON Schema (2020-12, which OpenAPI 3.1 uses as is) describes the Python side: `None`
for an optional field, `WireInt` bounds it cannot place. On the wire an optional field is simply
absent, and an empty string unsets a field that can be unset (`Unsettable`, `Metadata`): the
generator below says so, and the walker drops what is noise in a contract (titles, null defaults)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from orgshare.params import common

REF = "#/components/schemas/{model}"
UNSET_SCHEMA = {"type": "string", "enum": [""], "description": "An empty string unsets the field."}
UNSET = {"$ref": REF.format(model="Unset")}
# pydantic leaves constraints it cannot push through a BeforeValidator (WireInt) under their
# Python names; these are their JSON Schema names.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


class WireJsonSchema(GenerateJsonSchema):
    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        # `X | None = None`: the parameter is left out; the wire has no null.
        return self.generate_inner(schema["schema"])

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        function = schema["function"].get("function")
        if function is common._empty_to_none:  # Unsettable, Metadata: `field=` unsets it
            return {"anyOf": [inner, dict(UNSET)]}
        return inner


def clean(schema: Any) -> Any:
    """A schema without titles and null defaults, with WireInt's bounds named as JSON Schema names them."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: clean(sub) for name, sub in value.items()}
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            out[key] = clean(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [clean(sub) for sub in value]
        else:
            out[str(_BOUNDS.get(key, key))] = value
    return out


def components(models: list[type[BaseModel]]) -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    """Each model's component name, and every component (the models and what they nest)."""
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema([(m, "validation") for m in unique], ref_template=REF, schema_generator=WireJsonSchema)
    names = {m: refs[(m, "validation")]["$ref"].rsplit("/", 1)[1] for m in unique}
    return names, {"Unset": UNSET_SCHEMA} | {name: clean(schema) for name, schema in top.get("$defs", {}).items()}


def _is_structured(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """An object or an array (also behind a $ref or in an anyOf): bracket style on the wire."""
    if "$ref" in schema:
        return _is_structured(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    if schema.get("type") in ("object", "array"):
        return True
    return any(_is_structured(s, schemas) for s in schema.get("anyOf", []))


def query_parameters(model_schema: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """A GET's (or DELETE's) parameters, one per field; nested ones in Stripe's bracket style
    (`created[gte]=1`, `expand[0]=x`), which OpenAPI calls deepObject."""
    required = set(model_schema.get("required", []))
    out = []
    for name, schema in model_schema.get("properties", {}).items():
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if "description" in schema:
            parameter["description"] = schema["description"]
        if _is_structured(schema, schemas):
            parameter |= {"style": "deepObject", "explode": True}
        out.append(parameter)
    return out


def request_body(component: str, model_schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A POST's body: a form with bracket nesting (what the SDKs send), or the same as JSON."""
    ref = {"$ref": REF.format(model=component)}
    encoding = {
        name: {"style": "deepObject", "explode": True}
        for name, schema in model_schema.get("properties", {}).items()
        if _is_structured(schema, schemas)
    }
    form: dict[str, Any] = {"schema": ref}
    if encoding:
        form["encoding"] = encoding
    return {
        "required": bool(model_schema.get("required")),
        "content": {"application/x-www-form-urlencoded": form, "application/json": {"schema": ref}},
    }
