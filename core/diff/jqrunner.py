"""jq path expressions (``jqPathExpressions``) evaluated with a time bound.

The ``jq`` library runs in C and cannot be interrupted, so expressions run in a small worker
process; a call that exceeds its timeout kills the worker (a fresh one starts on the next
call) and raises :class:`JqError`. Results are cached per (expression, document), since the
controller compares the same objects over and over.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from collections import OrderedDict
from typing import Any

_WORKER_CODE = r"""
import json, sys
import jq
cache = {}
for line in sys.stdin:
    try:
        req = json.loads(line)
        prog = cache.get(req["e"])
        if prog is None:
            prog = jq.compile("del(" + req["e"] + ")")
            if len(cache) > 256:
                cache.clear()
            cache[req["e"]] = prog
        out = {"ok": prog.input_value(req["d"]).first()}
    except Exception as exc:
        out = {"err": str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


class JqError(Exception):
    """The expression does not compile, fails at run time, or runs past its time limit."""


class JqRunner:
    """One worker process, used by one caller at a time."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._cache_size = cache_size

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
        return self._proc

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def delete_paths(self, doc: Any, expr: str, timeout: float = 1.0) -> Any:
        """``del(expr)`` applied to ``doc``; a new document (``doc`` is untouched)."""
        payload = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        key = (expr, payload)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return json.loads(hit)
            proc = self._worker()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps({"e": expr, "d": doc}).encode() + b"\n")
                proc.stdin.flush()
            except BrokenPipeError:
                self._kill()
                raise JqError("jq worker exited unexpectedly") from None
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            if not ready:
                self._kill()
                raise JqError(f"evaluation exceeded the {timeout:g}s time limit")
            line = proc.stdout.readline()
            if not line:
                self._kill()
                raise JqError("jq worker exited unexpectedly")
            reply = json.loads(line)
            if "err" in reply:
                raise JqError(reply["err"])
            result = json.dumps(reply["ok"])
            self._cache[key] = result
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return json.loads(result)

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                if self._proc.stdin:
                    self._proc.stdin.close()
                self._kill()


_default: JqRunner | None = None
_default_lock = threading.Lock()


def delete_paths(doc: Any, expr: str, timeout: float = 1.0) -> Any:
    """Module-level convenience over a shared :class:`JqRunner`."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JqRunner()
    return _default.delete_paths(doc, expr, timeout)
