"""Bounded fuzzing: the customer API against its own OpenAPI schema (schemathesis) and the masking and parsing
functions (hypothesis). No input may produce a server error; masking never leaves a secret behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api.app import create_app
from api.conversation.texts import parse_payload
from api.settings import Settings
from common.pii import contains_secret, luhn_valid, mask_pii
from tests.api.conftest import ScriptedRasa

APP = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="fuzz-")), kb_suggestions=False,
                          rate_ip_per_min=0, rate_conversation_per_min=0), ScriptedRasa())  # type: ignore[arg-type]
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_allows_is_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])


def luhn_card(prefix: str, length: int) -> str:
    digits = prefix
    while len(digits) < length - 1:
        digits += "7"
    return next(digits + str(d) for d in range(10) if luhn_valid(digits + str(d)))


@given(st.text(max_size=300), st.sampled_from(["6222", "6212", "4367", "5187"]), st.integers(16, 19),
       st.text(max_size=50))
@settings(max_examples=200, deadline=None)
def test_a_card_number_anywhere_is_masked_and_masking_is_idempotent(before: str, prefix: str, length: int,
                                                                    after: str) -> None:
    card = luhn_card(prefix, length)
    text = f"{before} 卡号{card} {after}"
    masked = mask_pii(text)
    assert card not in masked and mask_pii(masked) == masked
    assert not contains_secret(masked)


@given(st.text(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_masking_and_payload_parsing_never_crash(text: str) -> None:
    masked = mask_pii(text)
    assert isinstance(masked, str) and mask_pii(masked) == masked
    parsed = parse_payload(text)
    assert parsed is None or isinstance(parsed[1], dict)
