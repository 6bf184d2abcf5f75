"""Searching a user agent for many patterns in time linear in its length.

An agent is whatever the sender writes, so the patterns run on RE2 (google-re2), whose automata
never backtrack: Python's `re` took 600 ms to search crawlerdetect's list in 2,048 letters
(`[a-z0-9\\-_]*(bot|crawl|...)` tries every start and every length) and still 15 to 25 ms in
512 characters once that pattern was fixed, as it tries ~1,460 alternatives at every position.

RE2 builds its automaton's states as the text needs them, each as large as the patterns that
could still match there. Patterns are therefore compiled in groups of `GROUP_SIZE`: on 512
characters of crawler names each cut short by a letter (many partial matches alive at once), one
regex of all 1,460 took 0.36 ms a call (p99 3.1 ms), groups of 200 took 0.06 ms (p99 0.34 ms).

Word boundaries and classes (`\\b`, `\\w`, `\\d`, `\\s`) are ASCII in RE2 where Python's are
Unicode: beside a non-ASCII letter a pattern may match where `re` would not, or the other way
round. Browsers' agents are ASCII; on ASCII both engines agree (tests compare them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import re2

GROUP_SIZE = 200


def _options(*, ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.never_capture = True  # only whether, never where: no submatches to track
    options.log_errors = False  # a refused pattern is expected (lookarounds) and handled
    return options


def _joined(patterns: list[str]) -> str:
    return "|".join(f"(?:{pattern})" for pattern in patterns)


def _refused(pattern: str, options: re2.Options) -> bool:
    try:
        re2.compile(pattern, options)
    except re2.error:
        return True
    return False


class AnyOf:
    """Whether any of many regular expressions occurs in a text.

    Patterns RE2 supports (all but lookarounds and backreferences) run on RE2 in groups; the rest
    run on Python's `re` and are listed in `backtracking`, so that callers can keep that list
    short and its patterns cheap (tests do).

    Args:
        patterns: Regular expressions in the syntax both engines share.
        ignore_case: Match letters of either case.
    """

    __slots__ = ("patterns", "ignore_case", "backtracking", "_groups", "_fallback")

    def __init__(self, patterns: Iterable[str], *, ignore_case: bool = False) -> None:
        options = _options(ignore_case=ignore_case)
        self.patterns = tuple(patterns)
        self.ignore_case = ignore_case
        groups = []
        backtracking: list[str] = []
        for start in range(0, len(self.patterns), GROUP_SIZE):
            group = list(self.patterns[start : start + GROUP_SIZE])
            if _refused(_joined(group), options):  # find which, one by one (rare: compiling twice)
                refused = [pattern for pattern in group if _refused(pattern, options)]
                backtracking += refused
                group = [pattern for pattern in group if pattern not in refused]
            if group:
                # Raises if RE2 refuses the group still: no pattern is ever dropped unsaid.
                groups.append(re2.compile(_joined(group), options))
        self._groups = tuple(groups)
        self.backtracking = tuple(backtracking)
        flags = re.IGNORECASE if ignore_case else 0
        self._fallback = re.compile("|".join(self.backtracking), flags) if self.backtracking else None

    def search(self, text: str) -> bool:
        """Whether any pattern matches somewhere in `text`."""
        # Bytes: the str path of google-re2 maps every match's offsets back to characters, and
        # surrogatepass keeps a stray surrogate from raising (RE2 just sees invalid UTF-8).
        encoded = text.encode("utf-8", "surrogatepass")
        if any(group.search(encoded) is not None for group in self._groups):
            return True
        return self._fallback is not None and self._fallback.search(text) is not None
