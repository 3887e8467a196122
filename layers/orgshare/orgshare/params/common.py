"""Parameter types shared by every resource."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from orgshare.currencies import invalid_currency
from orgshare.errors import InvalidRequest


def _empty_to_none(value: Any) -> Any:
    # On the wire an empty string unsets a field.
    return None if value == "" else value


def _check_metadata(value: dict[str, str | None] | None) -> dict[str, str | None] | None:
    if value is None:
        return None
    if len(value) > 50:
        raise ValueError("metadata can have at most 50 keys")
    for k, v in value.items():
        if not k or len(k) > 40 or "[" in k or "]" in k:
            raise ValueError(f"invalid metadata key '{k[:50]}': 1 to 40 characters without square brackets")
        if v is not None and len(v) > 500:
            raise ValueError(f"metadata value for key '{k}' is longer than 500 characters")
    return value


def _wire_int(value: Any) -> Any:
    """Integers as Stripe takes them: a JSON integer or a form's decimal digits; never a boolean,
    a float (1000.0) or an exponent, which pydantic's lax mode would turn into one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value):
        return int(value)
    if value is None:
        return value
    raise PydanticCustomError("int_type", "must be an integer")


# Every integer parameter: `WireInt`, constrained with Annotated[WireInt, Field(...)].
WireInt = Annotated[int, BeforeValidator(_wire_int)]


def _wire_bool(value: Any) -> Any:
    """Booleans as Stripe takes them: true or false (JSON or the form's words), never yes, 1 or on,
    which pydantic's lax mode would take for true."""
    if isinstance(value, bool) or value is None:
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_type", "must be true or false")


# A boolean that confirms something that cannot be undone: strict.
WireBool = Annotated[bool, BeforeValidator(_wire_bool)]
T = TypeVar("T")
# A field the wire may unset with an empty string; constrain it with Field(None, ...).
Unsettable = Annotated[T | None, BeforeValidator(_empty_to_none)]
MetadataValue = Annotated[str | None, BeforeValidator(_empty_to_none)]
# metadata[key]= unsets one key; metadata= unsets them all (None).
Metadata = Annotated[dict[str, MetadataValue] | None, BeforeValidator(_empty_to_none), AfterValidator(_check_metadata)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Expand = list[Annotated[str, StringConstraints(min_length=1, max_length=200)]]


class Params(BaseModel):
    """Base of every request model: unknown parameters are refused, as Stripe does."""

    model_config = ConfigDict(extra="forbid", str_max_length=5000, hide_input_in_errors=True)

    expand: Expand = Field(default_factory=list)

    def given(self) -> set[str]:
        return set(self.model_fields_set) - {"expand"}


P = TypeVar("P", bound="Params")


class ListParams(Params):
    limit: Annotated[WireInt, Field(ge=1, le=100)] = 10
    starting_after: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    ending_before: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None

    @model_validator(mode="after")
    def _one_cursor(self) -> ListParams:
        if self.starting_after and self.ending_before:
            raise InvalidRequest(
                "You may only specify one of these parameters: ending_before, starting_after.",
                code="parameters_exclusive",
                param="ending_before",
            )
        return self


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    city: Unsettable[str] = Field(None, max_length=500)
    country: Unsettable[str] = Field(None, min_length=2, max_length=2)
    line1: Unsettable[str] = Field(None, max_length=500)
    line2: Unsettable[str] = Field(None, max_length=500)
    postal_code: Unsettable[str] = Field(None, max_length=500)
    state: Unsettable[str] = Field(None, max_length=500)


# Every code a parameter fault is told with (tests/unit/test_error_wording.py holds every model to it).
VALIDATION_CODES = frozenset({"parameter_missing", "parameter_unknown", "parameter_invalid_integer", "parameter_invalid_empty",
                              "parameter_invalid", "currency_invalid", "email_invalid", "url_invalid", "parameters_exclusive"})  # fmt: skip
# Names pydantic gives the arms of a union in an error's location; none of them is a parameter.
_TYPE_TAGS = frozenset({"str", "int", "bool", "float", "list", "dict", "none", "bytes", "decimal"})
_FIELD = re.compile(r"[a-z][a-z0-9_]*")


def _param_path(loc: tuple[int | str, ...], given: Any) -> str:
    """An error's location as Stripe names a parameter: `line_items[0][price_data][currency]`.
    Parts that name no parameter (a union arm, a validator) are left out; a part the request holds
    at that place is always a parameter, whatever it looks like (a metadata key)."""
    parts: list[str] = []
    for part in loc:
        present = isinstance(given, dict) and part in given
        if isinstance(part, int) or present or (_FIELD.fullmatch(part) and part not in _TYPE_TAGS):
            parts.append(str(part))
        if isinstance(given, dict):
            given = given.get(part)
        elif isinstance(given, list) and isinstance(part, int) and 0 <= part < len(given):
            given = given[part]
        else:
            given = None
    head, *rest = parts or ["body"]
    return head + "".join(f"[{p}]" for p in rest)


def _choices(expected: str) -> str:
    # pydantic's "'a', 'b' or 'c'" as Stripe words it: "a, b, or c".
    names = re.findall(r"'([^']*)'", expected)
    return ", ".join(names[:-1]) + f", or {names[-1]}" if len(names) > 2 else " or ".join(names)


_BOUNDS = {"less_than_equal": ("le", "less than or equal to"), "less_than": ("lt", "less than"),
           "greater_than_equal": ("ge", "greater than or equal to"), "greater_than": ("gt", "greater than")}  # fmt: skip
# A value of the wrong kind. The value itself is never echoed (it may be a card number or a
# secret); the parameter is named.
_KINDS = {"int_parsing": "an integer", "int_type": "an integer", "int_from_float": "an integer", "bool_parsing": "true or false",
          "bool_type": "true or false", "string_type": "a string", "list_type": "an array", "tuple_type": "an array",
          "set_type": "an array", "dict_type": "a hash (an object)", "model_type": "a hash (an object)",
          "model_attributes_type": "a hash (an object)", "float_parsing": "a number", "float_type": "a number"}  # fmt: skip


def error_for(error: Any, given: Any = None) -> InvalidRequest:
    """One pydantic error as the Stripe error a client sees: Stripe's message and code, and the
    bracketed parameter; never pydantic's own wording. `given`: the request's parameters."""
    param = _param_path(tuple(error["loc"]), given)
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")

    def invalid(message: str, code: str = "parameter_invalid") -> InvalidRequest:
        return InvalidRequest(message, code=code, param=param)

    if kind == "extra_forbidden":
        return invalid(f"Received unknown parameter: {param}", "parameter_unknown")
    if kind == "missing":
        return invalid(f"Missing required param: {param}.", "parameter_missing")
    if value == "":
        return invalid(
            f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a parameter; however "
            f"'{param}' cannot be unset. You should remove '{param}' from your request or supply a non-empty value.",
            "parameter_invalid_empty",
        )  # fmt: skip
    if param.rsplit("[", 1)[-1].rstrip("]") == "currency" and kind.startswith("string"):
        return invalid_currency(value, param)
    if kind in _KINDS:
        code = "parameter_invalid_integer" if _KINDS[kind] == "an integer" else "parameter_invalid"
        return invalid(f"Invalid {param}: must be {_KINDS[kind]}.", code)
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return invalid(f"This value must be {words} {ctx.get(bound)}.")
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        most = kind.endswith("long")
        limit = ctx.get("max_length" if most else "min_length")
        unit = "characters" if kind.startswith("string") else "items"
        return invalid(f"Invalid {param}: must be at {'most' if most else 'least'} {limit} {unit}.")
    if kind in ("literal_error", "enum"):
        return invalid(f"Invalid {param}: must be one of {_choices(str(ctx.get('expected', '')))}")
    if kind == "string_pattern_mismatch":
        if param.endswith("email"):
            return invalid(f"Invalid email address for {param}.", "email_invalid")
        return invalid(f"Invalid {param}: it is not in the expected format.")
    if kind.startswith("url"):
        return invalid(f"Invalid URL for {param}.", "url_invalid")
    if kind == "value_error":
        # Our own validators' sentences (a ValueError's message), not pydantic's.
        return invalid(f"Invalid {param}: {str(ctx.get('error') or error.get('msg', '')).removeprefix('Value error, ')}")
    return invalid(f"Invalid value for {param}.")


def parse(model: type[P], params: dict[str, Any]) -> P:
    """Validates request parameters into `model`, or raises the Stripe error for the first fault."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise error_for(exc.errors()[0], params) from None
