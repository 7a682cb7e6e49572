"""Back-off arithmetic for failed syncs (``retry``) and for self-heal.

``syncPolicy.retry`` / ``operation.retry``: ``{limit, backoff: {duration, factor, maxDuration}}``.
The n-th retry (n = 0 for the first) waits ``duration * factor**n``, capped at ``maxDuration``
(Argo CD's defaults: 5s, 2, 3m). ``limit`` 0 means no retries, a negative limit retries forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kedge.errors import KedgeError
from kedge.settings.durations import parse_go_duration

DEFAULT_DURATION = 5.0
DEFAULT_FACTOR = 2.0
DEFAULT_MAX_DURATION = 180.0


def _duration(value: Any, default: float, where: str) -> float:
    if value in (None, ""):
        return default
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return float(text)  # Argo CD accepts plain seconds too
    try:
        return parse_go_duration(text)
    except ValueError as exc:
        raise KedgeError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class RetryStrategy:
    limit: int = 0
    duration: float = DEFAULT_DURATION
    factor: float = DEFAULT_FACTOR
    max_duration: float = DEFAULT_MAX_DURATION

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> RetryStrategy:
        raw = raw or {}
        backoff = raw.get("backoff") or {}
        try:
            limit = int(raw.get("limit") or 0)
        except (TypeError, ValueError):
            raise KedgeError(f"retry.limit: expected an integer, got {raw.get('limit')!r}") from None
        factor = backoff.get("factor")
        return cls(
            limit=limit,
            duration=_duration(backoff.get("duration"), DEFAULT_DURATION, "retry.backoff.duration"),
            factor=float(factor) if factor not in (None, "") else DEFAULT_FACTOR,
            max_duration=_duration(
                backoff.get("maxDuration"), DEFAULT_MAX_DURATION, "retry.backoff.maxDuration"
            ),
        )

    def allows(self, retries_done: int) -> bool:
        """Whether another attempt may follow ``retries_done`` retries."""
        return self.limit < 0 or retries_done < self.limit

    def delay(self, retries_done: int) -> float:
        """Seconds to wait before retry number ``retries_done + 1``."""
        wait = self.duration * (self.factor**retries_done)
        return min(wait, self.max_duration) if self.max_duration > 0 else wait


def self_heal_delay(attempts: int, timeout: float = 2.0, factor: float = 3.0, cap: float = 300.0) -> float:
    """Seconds to wait before self-heal attempt ``attempts + 1`` (Argo CD's self-heal back-off:
    ``--self-heal-backoff-timeout-seconds`` 2, factor 3, cap 300 s). The first attempt is
    immediate."""
    if attempts <= 0:
        return 0.0
    return min(timeout * factor ** (attempts - 1), cap)
