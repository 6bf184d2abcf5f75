"""`SafeText`: the type of every text field a request carries, and the one rule behind it.

Control characters have no place in a name, a title, a URL or a password, and PostgreSQL
refuses NUL in text outright (a `DataError`, which was a 500). JSON can also carry lone
surrogates (`"\\ud800"`), which no UTF-8 database or hash can take. Both are refused where the
request is read, as a 422 naming the field; a tab is the one control character let through.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

# Unicode's control characters (category Cc: C0, DEL and C1) except the tab.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(value: str, *, name: str = "Text") -> str | None:
    """Why `value` cannot be taken as text, in words a person can act on; None when it can.

    Args:
        value: The text as received.
        name: What the text is, to start the sentence with ("Password").

    Returns:
        A sentence naming the problem, or None.
    """
    if _SURROGATE.search(value):
        return f"{name} holds a lone surrogate (such as \\ud800), which is not valid text."
    if _CONTROL.search(value):
        return f"{name} must not contain control characters such as NUL, line breaks or escape (a tab is fine)."
    return None


def _refuse_unsafe_text(value: object) -> object:
    # Before str's own checks: a length limit reads a lone surrogate as "not a valid string" first.
    problem = text_problem(value) if isinstance(value, str) else None
    if problem:
        # A custom error type keeps the message as written (a ValueError's gets "Value error, " in front).
        raise PydanticCustomError("unsafe_text", problem)
    return value


SafeText = Annotated[str, BeforeValidator(_refuse_unsafe_text)]
"""A `str` without control characters (tab aside) or lone surrogates; the type of request text fields."""
