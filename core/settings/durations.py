"""Go ``time.ParseDuration`` syntax (``5s``, ``3m``, ``1h30m``, ``1.5h``), used across Argo CD settings.

Kept dependency-free so :mod:`kedge.model` and :mod:`kedge.settings` can both use it cheaply.
"""

from __future__ import annotations

import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string; raises ``ValueError`` with the reason.

    Accepts what Go accepts: an optional sign, then one or more ``<number><unit>`` parts with
    units ``ns us µs ms s m h`` (``"0"`` alone is also valid). A bare number such as ``"30"``
    is rejected (Go says "missing unit").
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a duration string, got {text!r}")
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f"invalid duration {text!r}")
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            if re.fullmatch(r"\d+\.?\d*", s[pos:]):
                raise ValueError(f"invalid duration {text!r}: missing unit (e.g. 30s, 5m, 1h)")
            raise ValueError(
                f"invalid duration {text!r}: expected <number><unit> with unit ns, us, ms, s, m or h"
            )
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def is_go_duration(text: object) -> bool:
    """Whether ``text`` is a valid Go duration string."""
    try:
        parse_go_duration(text)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True
