"""Repo server configuration: environment variables and ``argocd-cmd-params-cm`` keys.

=================================================  ==========================================
setting (env / argocd-cmd-params-cm key)           meaning (default)
=================================================  ==========================================
``KEDGE_REPO_CACHE_DIR``                           mirrors, checkouts, charts (``~/.cache/kedge/repo``)
``ARGOCD_EXEC_TIMEOUT`` / ``exec.timeout``         timeout of each git/tool command (``90s``)
``reposerver.revision.cache.expiration``           how long ``ls-remote``/index.yaml answers are reused (``3m``)
``ARGOCD_GIT_MODULES_ENABLED``                     fetch Git submodules (``false``)
``reposerver.parallelism.limit``                   concurrent manifest generations, 0 = unlimited (``0``)
``reposerver.checkout.max.bytes``                  disk for materialised revisions, LRU (``2Gi``)
``reposerver.default.cache.expiration``            manifest cache entry lifetime (``24h``)
``reposerver.cache.max.bytes``                     in-process manifest cache size (``256Mi``)
``redis`` / ``REDIS_SERVER``                       ``host:port`` or ``unix:///path``: use Redis for manifests
``reposerver.helm.index.max.bytes``                largest index.yaml accepted (``64Mi``)
``reposerver.helm.chart.max.bytes``                largest chart .tgz accepted (``64Mi``)
``reposerver.helm.extracted.max.bytes``            largest extracted chart (``256Mi``), ``.max.files`` (``10000``)
=================================================  ==========================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kedge.errors import ConfigError

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?|[kmgt]|[KMGT]B)?\s*$")
_MULT = {"": 1, "K": 10**3, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "KB": 10**3, "MB": 10**6}
_MULT.update({"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "GB": 10**9, "TB": 10**12})


def parse_size(text: str | int, what: str = "size") -> int:
    """Bytes in ``512Mi``, ``2G``, ``1048576``."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m:
        raise ConfigError(f"{what}: invalid size {text!r} (use e.g. 512Mi, 2Gi or a number of bytes)")
    return int(float(m.group(1)) * _MULT[m.group(2) or ""])


def parse_duration(text: str | float | int, what: str = "duration") -> float:
    """Seconds in a Go duration (``90s``, ``3m``); plain numbers are seconds."""
    if isinstance(text, int | float):
        return float(text)
    t = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    try:
        from kedge.settings.durations import parse_go_duration

        return parse_go_duration(t)
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def _bool(text: str) -> bool:
    return str(text).strip().lower() in ("1", "true", "yes", "on")


@dataclass
class RepoServerConfig:
    """Tunables of the repo server; see the module docstring for the setting names."""

    cache_dir: Path = Path(os.path.expanduser("~/.cache/kedge/repo"))
    exec_timeout: float = 90.0
    revision_cache_expiration: float = 180.0
    submodules: bool = False
    parallelism: int = 0
    checkout_max_bytes: int = 2 * 2**30
    manifest_cache_expiration: float = 24 * 3600.0
    manifest_cache_max_bytes: int = 256 * 2**20
    redis: str = ""
    helm_index_max_bytes: int = 64 * 2**20
    helm_chart_max_bytes: int = 64 * 2**20
    helm_extracted_max_bytes: int = 256 * 2**20
    helm_extracted_max_files: int = 10_000
    http_timeout: float = 30.0

    @classmethod
    def from_env(
        cls, params: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None, **overrides
    ) -> RepoServerConfig:
        """Settings from ``argocd-cmd-params-cm`` data (``params``) and environment variables
        (``env``, default ``os.environ``); keyword ``overrides`` win."""
        env = os.environ if env is None else env
        params = params or {}
        cfg = cls()

        def get(env_name: str | None, key: str | None) -> str | None:
            if env_name and env.get(env_name):
                return env[env_name]
            if key and params.get(key):
                return params[key]
            return None

        if v := get("KEDGE_REPO_CACHE_DIR", "reposerver.cache.dir"):
            cfg.cache_dir = Path(v)
        if v := get("ARGOCD_EXEC_TIMEOUT", "exec.timeout"):
            cfg.exec_timeout = parse_duration(v, "ARGOCD_EXEC_TIMEOUT")
        if v := get("ARGOCD_REPO_SERVER_REVISION_CACHE_EXPIRATION", "reposerver.revision.cache.expiration"):
            cfg.revision_cache_expiration = parse_duration(v, "reposerver.revision.cache.expiration")
        if v := get("ARGOCD_GIT_MODULES_ENABLED", "reposerver.enable.git.submodule"):
            cfg.submodules = _bool(v)
        if v := get("ARGOCD_REPO_SERVER_PARALLELISM_LIMIT", "reposerver.parallelism.limit"):
            try:
                cfg.parallelism = int(v)
            except ValueError:
                raise ConfigError(f"reposerver.parallelism.limit: {v!r} is not an integer") from None
        if v := get("KEDGE_REPO_CHECKOUT_MAX_BYTES", "reposerver.checkout.max.bytes"):
            cfg.checkout_max_bytes = parse_size(v, "reposerver.checkout.max.bytes")
        if v := get("ARGOCD_DEFAULT_CACHE_EXPIRATION", "reposerver.default.cache.expiration"):
            cfg.manifest_cache_expiration = parse_duration(v, "reposerver.default.cache.expiration")
        if v := get("KEDGE_REPO_CACHE_MAX_BYTES", "reposerver.cache.max.bytes"):
            cfg.manifest_cache_max_bytes = parse_size(v, "reposerver.cache.max.bytes")
        if v := get("REDIS_SERVER", "redis.server"):
            cfg.redis = v
        for attr, key in (
            ("helm_index_max_bytes", "reposerver.helm.index.max.bytes"),
            ("helm_chart_max_bytes", "reposerver.helm.chart.max.bytes"),
            ("helm_extracted_max_bytes", "reposerver.helm.extracted.max.bytes"),
        ):
            if v := get(None, key):
                setattr(cfg, attr, parse_size(v, key))
        if v := get(None, "reposerver.helm.extracted.max.files"):
            cfg.helm_extracted_max_files = int(v)
        for k, val in overrides.items():
            if val is not None:
                setattr(cfg, k, Path(val) if k == "cache_dir" else val)
        return cfg
