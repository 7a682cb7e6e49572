"""Retry and self-heal back-off arithmetic."""

import pytest

from kedge.errors import KedgeError
from kedge.sync.retry import RetryStrategy, self_heal_delay


def test_defaults_match_argo_cd():
    s = RetryStrategy.from_dict({"limit": 5})
    assert (s.duration, s.factor, s.max_duration) == (5.0, 2.0, 180.0)
    assert [s.delay(n) for n in range(7)] == [5, 10, 20, 40, 80, 160, 180]


def test_custom_backoff_and_limits():
    s = RetryStrategy.from_dict({"limit": 2, "backoff": {"duration": "1s", "factor": 3, "maxDuration": "5s"}})
    assert [s.delay(n) for n in range(4)] == [1, 3, 5, 5]
    assert s.allows(0) and s.allows(1) and not s.allows(2)
    assert not RetryStrategy.from_dict({"limit": 0}).allows(0)
    forever = RetryStrategy.from_dict({"limit": -1, "backoff": {"duration": "30"}})
    assert forever.allows(10_000) and forever.delay(0) == 30.0


def test_bad_retry_settings():
    with pytest.raises(KedgeError, match="retry.backoff.duration"):
        RetryStrategy.from_dict({"limit": 1, "backoff": {"duration": "soon"}})
    with pytest.raises(KedgeError, match="retry.limit"):
        RetryStrategy.from_dict({"limit": "many"})


def test_self_heal_backoff():
    assert self_heal_delay(0) == 0
    assert [self_heal_delay(n) for n in range(1, 7)] == [2, 6, 18, 54, 162, 300]
    assert self_heal_delay(3, timeout=0.5, factor=2, cap=1.5) == 1.5
