"""The client side of the ``kedge`` CLI: two backends behind one interface.

* **core mode** (:class:`~kedge.cli.client.core.CoreBackend`, like ``argocd --core``): the
  management cluster directly, through a kubeconfig;
* **API mode** (:class:`~kedge.cli.client.api.APIBackend`): HTTP to a Kedge API server, with the
  bearer token saved by ``kedge login``.

Which one a command uses: ``--core`` forces core mode; ``--server``/``KEDGE_SERVER`` or a current
login context (``~/.config/kedge/config``) selects API mode; otherwise core mode with the
default kubeconfig. Commands decorate themselves with :func:`client_command` and call
:func:`backend` to get the connected backend.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from kedge.cli.client.base import Backend, NotSupported, ResourceDiffView, SyncRequest
from kedge.cli.output import fail

__all__ = [
    "Backend",
    "ConnOptions",
    "NotSupported",
    "ResourceDiffView",
    "SyncRequest",
    "backend",
    "client_command",
    "connection_options",
]

DEFAULT_NAMESPACE = "argocd"
_META_KEY = "kedge.conn"


@dataclass
class ConnOptions:
    core: bool = False
    kubeconfig: str | None = None
    kube_context: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    server: str | None = None
    auth_token: str | None = None
    insecure: bool = False
    plaintext: bool = False
    grpc_web: bool = False
    config: str | None = None
    kedge_context: str | None = None


#: (flag names, ConnOptions field, click keyword arguments); the click parameter names are
#: prefixed (``conn_``) so they never collide with a command's own arguments (``server``, ...)
_OPTIONS: list[tuple[tuple[str, ...], str, dict[str, Any]]] = [
    (
        ("--core",),
        "core",
        {"is_flag": True, "envvar": "KEDGE_CORE", "help": "Talk to the cluster directly (no API server)."},
    ),
    (
        ("--kubeconfig",),
        "kubeconfig",
        {"envvar": "KUBECONFIG", "metavar": "FILE", "help": "Kubeconfig for core mode."},
    ),
    (
        ("--kube-context", "--context"),
        "kube_context",
        {"metavar": "NAME", "help": "Kubeconfig context for core mode."},
    ),
    (
        ("--namespace",),
        "namespace",
        {
            "envvar": "KEDGE_NAMESPACE",
            "default": DEFAULT_NAMESPACE,
            "show_default": True,
            "help": "Control-plane namespace (core mode).",
        },
    ),
    (
        ("--server",),
        "server",
        {"envvar": "KEDGE_SERVER", "metavar": "HOST:PORT", "help": "Kedge API server address."},
    ),
    (
        ("--auth-token",),
        "auth_token",
        {"envvar": "KEDGE_AUTH_TOKEN", "metavar": "TOKEN", "help": "Bearer token for the API server."},
    ),
    (
        ("--insecure",),
        "insecure",
        {"is_flag": True, "help": "Skip TLS certificate verification of the API server."},
    ),
    (("--plaintext",), "plaintext", {"is_flag": True, "help": "Use plain HTTP to the API server."}),
    (
        ("--grpc-web",),
        "grpc_web",
        {"is_flag": True, "hidden": True, "help": "Accepted for argocd compatibility."},
    ),
    (("--config",), "config", {"envvar": "KEDGE_CONFIG", "metavar": "FILE", "help": "Client config file."}),
    (
        ("--kedge-context", "--argocd-context"),
        "kedge_context",
        {"metavar": "NAME", "help": "Login context to use (default: the current one)."},
    ),
]


def connection_options(f: Callable) -> Callable:
    """Add the connection flags to a command; they are collected into ``ctx.meta``."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        ctx.meta[_META_KEY] = ConnOptions(**{field: kwargs.pop("conn_" + field) for _, field, _ in _OPTIONS})
        return f(*args, **kwargs)

    for flags, field, kw in reversed(_OPTIONS):
        wrapper = click.option(*flags, "conn_" + field, **kw)(wrapper)
    return wrapper


def client_command(f: Callable) -> Callable:
    """Connection flags plus error handling: a KedgeError or HTTP failure prints ``Error: ...``."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from kedge.errors import KedgeError

        try:
            return f(*args, **kwargs)
        except KedgeError as exc:
            fail(str(exc))
        except BrokenPipeError:
            # the reader went away (`kedge ... | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None
        except OSError as exc:
            fail(str(exc))
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback (KEDGE_DEBUG=1 does)
            if os.environ.get("KEDGE_DEBUG"):
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (set KEDGE_DEBUG=1 for the traceback)")
        finally:
            b = click.get_current_context().meta.pop("kedge.backend", None)
            if b is not None:
                b.close()

    return connection_options(wrapper)


def complete_app_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of application names, with the connection flags typed so far.
    Any failure (no cluster, not logged in) completes nothing, quietly."""
    try:
        ctx.meta[_META_KEY] = ConnOptions(
            **{
                field: ctx.params.get(
                    "conn_" + field, kw.get("default", False if kw.get("is_flag") else None)
                )
                for _, field, kw in _OPTIONS
            }
        )
        if ctx.meta[_META_KEY].namespace is None:
            ctx.meta[_META_KEY].namespace = os.environ.get("KEDGE_NAMESPACE", DEFAULT_NAMESPACE)
        with click.Context(click.Command("complete"), obj=ctx.obj) as c:
            c.meta.update(ctx.meta)
            b = backend()
            try:
                return [
                    a["metadata"]["name"]
                    for a in b.list_apps()
                    if a["metadata"]["name"].startswith(incomplete)
                ]
            finally:
                b.close()
    except Exception:  # noqa: BLE001 - completion must never print errors into the shell
        return []


def options() -> ConnOptions:
    ctx = click.get_current_context()
    return ctx.meta.get(_META_KEY) or ConnOptions()


def backend() -> Backend:
    """The backend for the current command (connected lazily, closed when the command ends)."""
    ctx = click.get_current_context()
    existing = ctx.meta.get("kedge.backend")
    if existing is not None:
        return existing
    o = options()
    b: Backend
    if o.core:
        b = _core(o)
    else:
        from kedge.cli.client.config import LocalConfig

        server, token, insecure, plaintext = o.server, o.auth_token, o.insecure, o.plaintext
        if not server:
            ctxinfo = LocalConfig(o.config).context(o.kedge_context)
            if ctxinfo is not None:
                server = ctxinfo.server
                token = token or ctxinfo.token
                insecure = insecure or ctxinfo.insecure
                plaintext = plaintext or ctxinfo.plaintext
        if server:
            from kedge.cli.client.api import APIBackend

            b = APIBackend(server, token or "", insecure=insecure, plaintext=plaintext)
        else:
            b = _core(o)
    ctx.meta["kedge.backend"] = b
    return b


def _core(o: ConnOptions) -> Backend:
    from kedge.cli.client.core import CoreBackend

    path = o.kubeconfig
    if path and os.pathsep in path:
        path = path.split(os.pathsep)[0]
    from kedge.errors import KedgeError

    try:
        return CoreBackend.from_kubeconfig(path, o.kube_context, o.namespace)
    except KedgeError as exc:
        if o.core:
            raise
        raise KedgeError(
            f"{exc}\nNot logged in and no usable kubeconfig: run `kedge login SERVER`, or point KUBECONFIG at "
            "the management cluster (with `kedge up`: ~/.local/share/kedge/kubeconfig)"
        ) from None
