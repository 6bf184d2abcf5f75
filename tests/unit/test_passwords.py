"""Username and password rules (linkapp.services.users), without HTTP or a database."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from linkapp.core.errors import ValidationFailed
from linkapp.services.accounts.users import PASSWORD_MIN_SCORE, check_credentials, password_problems, password_strength, username_problems

GOOD = "Corr3ct-Horse!"
# Every kind of character, not in the common list, and still easy to guess: what used to pass.
WEAK = ["Password1!", "Qwerty123!", "Summer2024!", "aaaaaaA1!", "Xq9#vLm2"]


@pytest.mark.parametrize("username", ["abc", "a" * 20, "Alice", "ALICE_99", "under_score", "___", "123"])
def test_username_problems_accepts_letters_digits_and_underscore(username):
    assert username_problems(username) == []


@pytest.mark.parametrize(
    "username",
    ["", "ab", "a" * 21, "has space", "dash-name", "dot.name", "émile", "名前です", "abc\n", " abc", "a@b", "Ａbc"],
)
def test_username_problems_refuses_other_names(username):
    assert username_problems(username) != []


@pytest.mark.parametrize("password", [GOOD, "Xq9#vLm2k", "Tr0ub4dor&3", "Zz9 lemur kettle", "Passw0rd-with-Ümlaut", "Corr3ct-Horse!" + "x" * 114])
def test_password_problems_accepts_strong_passwords(password):
    assert password_problems(password, username="alice_1") == []


@pytest.mark.parametrize("password", WEAK)
def test_password_problems_refuses_easily_guessed_passwords_and_says_why(password):
    problems = password_problems(password, username="alice_1")
    assert len(problems) == 1, problems
    assert problems[0].startswith("This password is too easy to guess.")
    # zxcvbn's reason or advice follows, the same words the meter shows while typing.
    assert problems[0].removeprefix("This password is too easy to guess. ") == password_strength(password, username="alice_1").feedback != ""


@pytest.mark.parametrize("username", ["zorblax_quimby", "Vexmor_Tandil", "krellwyn77"])
def test_password_problems_refuses_the_username_with_a_digit_and_a_symbol(username):
    password = username[0].upper() + username[1:] + "1!"
    # Strong enough for anyone else: only its owner's name makes it guessable.
    assert password_problems(password, username="someone_else") == []
    for typed_as in (username, username.upper()):
        problems = password_problems(password, username=typed_as)
        assert problems and "built on your username" in problems[0], problems


def test_password_strength_judges_a_long_password_by_its_start():
    # zxcvbn is slow on long input (and refuses more than 72 characters): it sees the first 32.
    assert password_strength("A1!" + "a" * 40 + "Xq9#vLm2k" * 9).score < PASSWORD_MIN_SCORE
    assert password_strength("Xq9#vLm2k" + "a" * 119).score >= PASSWORD_MIN_SCORE
    assert password_problems("Xq9#vLm2k" + "a" * 119) == []


def test_password_strength_judges_each_password_against_its_own_username_when_run_at_once():
    # zxcvbn keeps the username of a call in a global: concurrent registrations must not mix them up.
    names = ["zorblax_quimby", "vexmor_tandil", "krellwyn_odo", "qintaro_vush", "malvex_trudo", "pellinor_yx"]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race if there is one
    try:
        with ThreadPoolExecutor(len(names)) as pool:
            scores = list(pool.map(lambda name: [password_strength(name.capitalize() + "1!", username=name).score for _ in range(30)], names))
    finally:
        sys.setswitchinterval(interval)
    assert all(score < PASSWORD_MIN_SCORE for row in scores for score in row)


def test_password_strength_of_nothing_is_zero_without_advice():
    assert password_strength("", username="alice_1") == password_strength("")
    assert password_strength("").score == 0 and password_strength("").feedback == ""


@pytest.mark.parametrize("password", ["Corr3ct\x00Horse!", "Corr3ct\x1bHorse!", "Corr3ct\nHorse!"])
def test_password_problems_refuses_control_characters(password):
    assert password_problems(password) == ["Password must not contain control characters such as NUL, line breaks or escape (a tab is fine)."]


def test_password_problems_lets_a_tab_through():
    assert password_problems("Corr3ct\tHorse!") == []


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("Aa1!aaa", "at least 8"),
        ("", "at least 8"),
        (GOOD + "x" * 115, "at most 128"),
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
    assert password_problems(GOOD + "é" * 114) == []


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
    assert password_problems("Corr3ct\ud800Horse!") == ["Password holds a lone surrogate (such as \\ud800), which is not valid text."]
