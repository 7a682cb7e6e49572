"""Glob and regex matching with Argo CD's semantics.

Globs: ``*`` matches any run of characters *including* ``/``; ``?`` one character; ``[abc]``,
``[!abc]``, ``[a-z]`` classes; ``{a,b}`` alternatives; ``\\`` escapes. Regex mode (argocd-rbac-cm
``policy.matchMode: regex``) searches the pattern in the value, unanchored, like Go's
``regexp.MatchString``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


def glob_to_regex(pattern: str) -> str:
    out = []
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            while i + 1 < n and pattern[i + 1] == "*":
                i += 1
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    out.extend(")" * depth)
    return "".join(out)


@lru_cache(maxsize=65536)
def compile_glob(pattern: str) -> Matcher:
    if pattern == "*":
        return lambda value: True
    if not any(ch in pattern for ch in "*?[{\\"):
        return pattern.__eq__
    try:
        rx = re.compile(glob_to_regex(pattern), re.DOTALL)
    except re.error:
        return pattern.__eq__
    return lambda value: rx.fullmatch(value) is not None


@lru_cache(maxsize=65536)
def compile_regex(pattern: str) -> Matcher:
    try:
        rx = re.compile(pattern)
    except re.error:
        return lambda value: False
    return lambda value: rx.search(value) is not None


def matcher_for(mode: str) -> Callable[[str], Matcher]:
    return compile_regex if mode == "regex" else compile_glob


def key_match(value: str, pattern: str, mode: str = "glob") -> bool:
    return matcher_for(mode)(pattern)(value)
