"""Ids, request decoding and parameter errors in Stripe's dialect."""

from __future__ import annotations

import time

import pytest

from orgshare.errors import ApiError, PayloadTooLarge
from orgshare.ids import id_time_ms, new_id
from orgshare.params.common import parse
from orgshare.params.customers import CustomerCreate, CustomerList
from orgshare.wire.params import decode_body, decode_query


def test_ids_sort_by_creation_and_carry_their_time() -> None:
    ids = [new_id("cus", now_ms=ms) for ms in (1_000, 2_000, 1_700_000_000_000, 1_800_000_000_000)]
    assert ids == sorted(ids)
    assert [id_time_ms(i) for i in ids] == [1_000, 2_000, 1_700_000_000_000, 1_800_000_000_000]
    assert abs((id_time_ms(new_id("cus")) or 0) - time.time() * 1000) < 5_000
    assert id_time_ms("cus_NffrFeUfNV2Hib") is None  # not ours: no time to read


def test_form_bodies_decode_brackets_arrays_and_empty_strings() -> None:
    body = "name=Jo&metadata[a]=1&metadata[b]=&address[city]=SF&preferred_locales[0]=en&preferred_locales[1]=de&expand[]=x"
    params = decode_body(body, is_base64=False, content_type="application/x-www-form-urlencoded", max_bytes=10_000)
    assert params == {
        "name": "Jo",
        "metadata": {"a": "1", "b": ""},
        "address": {"city": "SF"},
        "preferred_locales": ["en", "de"],
        "expand": ["x"],
    }
    assert decode_query("limit=3&email=a%2Bb%40c.de") == {"limit": "3", "email": "a+b@c.de"}


def test_too_deep_and_too_large_bodies_are_refused() -> None:
    with pytest.raises(ApiError) as deep:
        decode_body("a[b][c][d][e][f][g][h]=1", is_base64=False, content_type="", max_bytes=10_000)
    assert deep.value.status == 400
    with pytest.raises(PayloadTooLarge):
        decode_body("name=" + "x" * 100, is_base64=False, content_type="", max_bytes=50)


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"shipping": {"name": "A"}}, "parameter_missing", "shipping[address]"),
        ({"preferred_locales": ["en", "x"]}, "parameter_invalid", "preferred_locales[1]"),
        ({"metadata": {str(i): "v" for i in range(51)}}, "parameter_invalid", "metadata"),
        ({"metadata": {"k": "v" * 501}}, "parameter_invalid", "metadata"),
        ({"tax_exempt": "sometimes"}, "parameter_invalid", "tax_exempt"),
        ({"address": {"country": "USA"}}, "parameter_invalid", "address[country]"),
    ],
)
def test_parameter_errors_name_the_parameter_in_bracket_form(params: dict[str, object], code: str, param: str) -> None:
    with pytest.raises(ApiError) as err:
        parse(CustomerCreate, params)
    assert (err.value.code, err.value.param) == (code, param)


def test_empty_strings_unset_and_are_told_apart_from_absent_fields() -> None:
    parsed = parse(CustomerCreate, {"phone": "", "metadata": {"a": ""}})
    assert parsed.given() == {"phone", "metadata"} and parsed.phone is None and parsed.metadata == {"a": None}
    assert parse(CustomerList, {"limit": "7"}).limit == 7
