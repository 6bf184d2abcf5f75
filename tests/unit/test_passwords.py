"""Username and password rules (linkapp.services.users), without HTTP or a database."""

from __future__ import annotations

import pytest

from linkapp.core.errors import ValidationFailed
from linkapp.services.accounts.users import check_credentials, password_problems, username_problems

GOOD = "Corr3ct-Horse!"


@pytest.mark.parametrize("username", ["abc", "a" * 20, "Alice", "ALICE_99", "under_score", "___", "123"])
def test_username_problems_accepts_letters_digits_and_underscore(username):
    assert username_problems(username) == []


@pytest.mark.parametrize(
    "username",
    ["", "ab", "a" * 21, "has space", "dash-name", "dot.name", "émile", "名前です", "abc\n", " abc", "a@b", "Ａbc"],
)
def test_username_problems_refuses_other_names(username):
    assert username_problems(username) != []


@pytest.mark.parametrize("password", [GOOD, "Aa1!aaaa", "Aa1!" + "x" * 124, "Zz9 zzzz", "Passw0rd-with-Ümlaut"])
def test_password_problems_accepts_strong_passwords(password):
    assert password_problems(password) == []


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("Aa1!aaa", "at least 8"),
        ("", "at least 8"),
        ("Aa1!" + "x" * 125, "at most 128"),
        ("CORR3CT-HORSE!", "lower-case"),
        ("corr3ct-horse!", "upper-case"),
        ("Correct-Horse!", "digit"),
        ("Corr3ctHorse", "symbol"),
    ],
)
def test_password_problems_names_the_broken_rule(password, words):
    problems = password_problems(password)
    assert problems
    assert any(words in problem for problem in problems), problems


@pytest.mark.parametrize("password", ["P@ssw0rd", "p@SSW0RD", "Pa$$w0rd", "1qaz@WSX", "!QAZ2wsx"])
def test_password_problems_refuses_common_passwords_in_any_case(password):
    assert any("too common" in problem for problem in password_problems(password))


def test_password_problems_lists_every_missing_kind_of_character():
    problems = password_problems("abcdefghij")
    assert len(problems) == 3  # upper-case, digit, symbol


def test_password_problems_counts_characters_not_bytes():
    # 128 characters of 2 bytes each are within the limit.
    assert password_problems("Aa1!" + "é" * 124) == []


def test_check_credentials_reports_username_and_password_together():
    with pytest.raises(ValidationFailed) as caught:
        check_credentials("a", "short")
    locations = [tuple(error["loc"]) for error in caught.value.errors]
    assert ("body", "username") in locations
    assert ("body", "password") in locations
    assert all(error["msg"] for error in caught.value.errors)


def test_check_credentials_accepts_good_input():
    check_credentials("alice_1", GOOD)


def test_password_problems_refuses_lone_surrogates():
    # JSON may carry "\ud800"; such a password could never be hashed.
    assert password_problems("Aa1!\ud800xyz")
