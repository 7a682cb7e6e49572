"""The client configuration file, ``~/.config/kedge/config`` (like ``~/.config/argocd/config``).

It holds login contexts: a context names a server and a user; a user holds the session token.
The file is YAML, written with mode 0600 because it contains bearer tokens::

    contexts:
    - name: localhost:8080
      server: localhost:8080
      user: localhost:8080
    current-context: localhost:8080
    servers:
    - server: localhost:8080
      insecure: true
      plain-text: true
    users:
    - name: localhost:8080
      auth-token: eyJ...

``KEDGE_CONFIG`` or ``--config`` point elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import KedgeError


def default_path() -> Path:
    env = os.environ.get("KEDGE_CONFIG")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "kedge" / "config"


@dataclass
class Context:
    """A resolved login context: where to connect and with which token."""

    name: str
    server: str
    token: str = ""
    insecure: bool = False
    plaintext: bool = False
    grpc_web: bool = False


class LocalConfig:
    """Read and write the config file; unknown keys are kept."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.doc: dict[str, Any] = {}
        if self.path.exists():
            try:
                loaded = yaml.safe_load(self.path.read_text())
            except (OSError, yaml.YAMLError) as exc:
                raise KedgeError(f"cannot read the config file {self.path}: {exc}") from None
            if loaded is not None and not isinstance(loaded, dict):
                raise KedgeError(f"{self.path}: expected a mapping at the top level")
            self.doc = loaded or {}
        for key in ("contexts", "servers", "users"):
            if not isinstance(self.doc.get(key), list):
                self.doc[key] = []

    # -- lookups ----------------------------------------------------------------------------
    @property
    def current(self) -> str:
        return str(self.doc.get("current-context") or "")

    def _find(self, section: str, key: str, value: str) -> dict[str, Any] | None:
        for item in self.doc[section]:
            if isinstance(item, dict) and item.get(key) == value:
                return item
        return None

    def contexts(self) -> list[dict[str, Any]]:
        return [c for c in self.doc["contexts"] if isinstance(c, dict)]

    def context(self, name: str | None = None) -> Context | None:
        """The named (or current) context, resolved; None when there is none."""
        name = name or self.current
        if not name:
            return None
        ctx = self._find("contexts", "name", name)
        if ctx is None:
            raise KedgeError(f"context {name!r} is not in {self.path} (see `kedge context`)")
        server = str(ctx.get("server") or "")
        srv = self._find("servers", "server", server) or {}
        user = self._find("users", "name", str(ctx.get("user") or "")) or {}
        return Context(
            name=name,
            server=server,
            token=str(user.get("auth-token") or ""),
            insecure=bool(srv.get("insecure")),
            plaintext=bool(srv.get("plain-text")),
            grpc_web=bool(srv.get("grpc-web")),
        )

    # -- updates ----------------------------------------------------------------------------
    def upsert(
        self, name: str, server: str, token: str, insecure: bool, plaintext: bool, grpc_web: bool
    ) -> None:
        """Add or replace the context ``name`` (server and user entries keyed by it) and make it current."""
        for section, key, entry in (
            ("contexts", "name", {"name": name, "server": server, "user": name}),
            (
                "servers",
                "server",
                {"server": server, "insecure": insecure, "plain-text": plaintext, "grpc-web": grpc_web},
            ),
            ("users", "name", {"name": name, "auth-token": token}),
        ):
            existing = self._find(section, key, entry[key])
            if existing is None:
                self.doc[section].append(entry)
            else:
                existing.update(entry)
        self.doc["current-context"] = name

    def remove_token(self, name: str) -> bool:
        ctx = self._find("contexts", "name", name)
        user = self._find("users", "name", str((ctx or {}).get("user") or "")) if ctx else None
        if user is None or not user.get("auth-token"):
            return False
        user.pop("auth-token", None)
        user.pop("refresh-token", None)
        return True

    def delete(self, name: str) -> None:
        ctx = self._find("contexts", "name", name)
        if ctx is None:
            raise KedgeError(f"context {name!r} does not exist")
        self.doc["contexts"].remove(ctx)
        user = self._find("users", "name", str(ctx.get("user") or ""))
        if user is not None:
            self.doc["users"].remove(user)
        if not any(c.get("server") == ctx.get("server") for c in self.contexts()):
            srv = self._find("servers", "server", str(ctx.get("server") or ""))
            if srv is not None:
                self.doc["servers"].remove(srv)
        if self.current == name:
            self.doc["current-context"] = self.contexts()[0]["name"] if self.contexts() else ""

    def use(self, name: str) -> None:
        if self._find("contexts", "name", name) is None:
            raise KedgeError(f"context {name!r} does not exist (see `kedge context`)")
        self.doc["current-context"] = name

    def save(self) -> None:
        """Write atomically with mode 0600 (the file holds tokens)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".config-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as f:
                yaml.safe_dump(self.doc, f, sort_keys=False, default_flow_style=False)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
