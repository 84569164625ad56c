"""Email and password rules, with properties of email normalization."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from promptlab.domain.accounts import (
    MAX_EMAIL_LENGTH,
    check_password,
    normalize_email,
    parse_email,
)
from promptlab.domain.errors import ValidationError

# Letters whose upper and lower case are both mapped back by case folding,
# including ones where str.lower() is not enough (ß and SS, final sigma).
CASED_LETTERS = string.ascii_letters + "ÄäÖöÜüßÉéÇçÅåØøŁłΣσςΩωЖжĞğ"
local_parts = st.text(alphabet=CASED_LETTERS + string.digits + "._+-", min_size=1, max_size=40)
domain_labels = st.text(alphabet=CASED_LETTERS + string.digits + "-", min_size=1, max_size=20)
tlds = st.text(alphabet=string.ascii_letters, min_size=2, max_size=6)


# Any code point but @, separators and control characters, so most drawn
# addresses are valid and the properties run on the whole of Unicode.
address_text = st.text(
    alphabet=st.characters(exclude_characters="@", exclude_categories=("Z", "C")), min_size=1
)


@st.composite
def unicode_emails(draw: st.DrawFn) -> str:
    return f"{draw(address_text)}@{draw(address_text)}.{draw(address_text)}"


@st.composite
def cased_emails(draw: st.DrawFn) -> str:
    return f"{draw(local_parts)}@{draw(domain_labels)}.{draw(tlds)}"


def is_valid(email: str) -> bool:
    try:
        normalize_email(email)
    except ValidationError:
        return False
    return True


@given(unicode_emails())
@example("Straße@Example.COM")
@example("İstanbul@example.com")
@example("\u0345@example.com")
def test_normalization_idempotent(text: str) -> None:
    assume(is_valid(text))

    key = normalize_email(text)

    assert normalize_email(key) == key


@given(cased_emails())
@example("STRASSE@example.com")
def test_normalization_ignores_case(email: str) -> None:
    key = normalize_email(email)

    assert normalize_email(email.upper()) == key
    assert normalize_email(email.lower()) == key
    assert normalize_email(email.swapcase()) == key


@given(cased_emails(), st.text(alphabet=" \t\n", max_size=3), st.text(alphabet=" \t", max_size=3))
def test_normalization_trims_whitespace(email: str, before: str, after: str) -> None:
    assert normalize_email(before + email + after) == normalize_email(email)


def test_eszett_matches_double_s() -> None:
    assert normalize_email("STRASSE@example.com") == normalize_email("straße@example.com")


def test_composed_matches_decomposed() -> None:
    assert normalize_email("e\u0301@example.com") == normalize_email("\u00e9@example.com")


@given(st.text().filter(lambda text: "@" not in text))
def test_rejects_without_at(text: str) -> None:
    with pytest.raises(ValidationError):
        normalize_email(text)


@given(st.text(min_size=1), st.text(min_size=1), st.text(min_size=1))
def test_rejects_two_at_signs(local: str, middle: str, domain: str) -> None:
    with pytest.raises(ValidationError):
        normalize_email(f"{local}@{middle}@{domain}")


@given(st.text().map(lambda domain: "@" + domain))
def test_rejects_empty_local_part(email: str) -> None:
    with pytest.raises(ValidationError):
        normalize_email(email)


@given(st.text().map(lambda local: local + "@"))
def test_rejects_empty_domain(email: str) -> None:
    with pytest.raises(ValidationError):
        normalize_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "plain",
        "a@b",
        "a@.com",
        "a@example.",
        "a b@example.com",
        "a@exa mple.com",
        "a\x00b@example.com",
        "a\ud800@example.com",
        "a\x07@example.com",
        "a" * (MAX_EMAIL_LENGTH - len("@example.com") + 1) + "@example.com",
        # Case folding turns each ß into ss, which would overflow the column.
        "ß" * 125 + "@example.com",
    ],
)
def test_rejects_invalid_email(email: str) -> None:
    with pytest.raises(ValidationError) as raised:
        normalize_email(email)

    assert {error.field for error in raised.value.errors} == {"email"}


def test_parse_keeps_address_as_written() -> None:
    parsed = parse_email("  Flow.User@Example.com ")

    assert parsed.address == "Flow.User@Example.com"
    assert parsed.key == "flow.user@example.com"


def test_parse_uses_given_field() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_email("nope", field="invite.email")

    assert raised.value.errors[0].field == "invite.email"


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("12345678", 0),
        ("x" * 1024, 0),
        ("ünïcødé🔑pass", 0),
        ("1234567", 1),
        ("x" * 1025, 1),
        ("long enough\x00", 1),
        ("long enough\udc80", 1),
        ("long enough\x00\ud800", 2),
        ("\x00\ud800", 3),
    ],
)
def test_password_rules(password: str, problems: int) -> None:
    if problems == 0:
        check_password(password)
        return

    with pytest.raises(ValidationError) as raised:
        check_password(password)

    assert len(raised.value.errors) == problems
    assert {error.field for error in raised.value.errors} == {"password"}
