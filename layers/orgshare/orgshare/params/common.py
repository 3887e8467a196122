"""Parameter types shared by every resource."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import PydanticCustomError

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
    raise PydanticCustomError("int_type", "Input should be an integer")


# Every integer parameter: `WireInt`, constrained with Annotated[WireInt, Field(...)].
WireInt = Annotated[int, BeforeValidator(_wire_int)]


def _wire_bool(value: Any) -> Any:
    """Booleans as Stripe takes them: true or false (JSON or the form's words), never yes, 1 or on,
    which pydantic's lax mode would take for true."""
    if isinstance(value, bool) or value is None:
        return value
    if value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_type", "Input should be true or false")


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


def _param_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("function-after", "function-before")]
    head, *rest = parts or ["body"]
    return head + "".join(f"[{p}]" for p in rest)


def _error_for(error: Any) -> InvalidRequest:
    param = _param_path(
        tuple(p for p in error["loc"] if not str(p).startswith(("union[", "nullable[", "literal[", "constrained-str", "str", "dict[")))
    )
    kind = error["type"]
    if kind == "extra_forbidden":
        return InvalidRequest(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)
    if kind == "missing":
        return InvalidRequest(f"Missing required param: {param}.", code="parameter_missing", param=param)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return InvalidRequest(f"Invalid integer: {param}", code="parameter_invalid_integer", param=param)
    if kind == "string_pattern_mismatch" and param.endswith("email"):
        return InvalidRequest(f"Invalid email address for {param}.", code="email_invalid", param=param)
    message = error.get("msg", "invalid value").removeprefix("Value error, ")
    return InvalidRequest(f"Invalid {param}: {message}", code="parameter_invalid", param=param)


def parse(model: type[P], params: dict[str, Any]) -> P:
    """Validates request parameters into `model`, or raises the Stripe error for the first fault."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise _error_for(exc.errors()[0]) from None
