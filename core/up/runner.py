"""The ``kedge up`` composition: start every part in order, stop them in reverse order."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedge.errors import KedgeError

log = logging.getLogger(__name__)

EXAMPLE_MARKER = ".example-registered"
LOCK_FILE = ".lock"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "kedge"


@dataclass
class UpOptions:
    data_dir: Path = field(default_factory=default_data_dir)
    port: int = 8080
    address: str = "127.0.0.1"
    kubeconfig: str | None = None
    kube_context: str | None = None
    namespace: str = "argocd"
    example: bool = True
    processors: int = 10


class Up:
    """``start(step)`` runs each part, calling ``step(description)`` before it; ``stop()`` undoes it.

    After ``start``: ``kubeconfig`` (path), ``client`` (management cluster), ``admin_password``
    (None once argocd-initial-admin-secret was deleted), ``api_url``, ``example`` (the example's working copy, or None).
    """

    def __init__(self, options: UpOptions) -> None:
        self.o = options
        self.cluster: Any = None
        self.client: Any = None
        self.kubeconfig: str = ""
        self.settings: Any = None
        self.repo: Any = None
        self.controller: Any = None
        self.api: Any = None
        self.api_url: str | None = None
        self.admin_password: str | None = None
        self.example: Path | None = None
        self.warnings: list[str] = []
        self._stops: list[tuple[str, Callable[[], None]]] = []

    def start(self, step: Callable[[str], None] = lambda _: None) -> None:
        o = self.o
        ensure_port_free(o.address, o.port)
        o.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_data_dir()
        from kedge.kube.client import KubeClient

        if o.kubeconfig:
            step(f"Connecting to the cluster in {o.kubeconfig}")
            self.kubeconfig = o.kubeconfig
            self.client = KubeClient.from_kubeconfig(o.kubeconfig, o.kube_context)
            self.client.version()
        else:
            step("Starting the local cluster")
            from kedge.localcluster.cluster import LocalCluster

            self.kubeconfig = str(o.data_dir / "kubeconfig")
            self.cluster = LocalCluster(
                data_dir=o.data_dir / "cluster", kubeconfig_path=self.kubeconfig, simulate=True
            ).start()
            self._stops.append(("local cluster", self.cluster.stop))
            self.client = KubeClient.from_kubeconfig(self.kubeconfig)
        self._stops.append(("cluster client", self.client.close))

        step(f"Installing the CRDs and the control plane in namespace {o.namespace}")
        from kedge.up.bootstrap import bootstrap

        url = f"http://{'localhost' if o.address in ('127.0.0.1', '0.0.0.0') else o.address}:{o.port}"
        result = bootstrap(self.client, o.namespace, url=url)
        self.admin_password = result.admin_password

        step("Starting the repo server, application controller and API server")
        from kedge.repo.config import RepoServerConfig
        from kedge.repo.server import RepoServer
        from kedge.server import build_backend, create_app

        self.repo = RepoServer(RepoServerConfig.from_env({}, cache_dir=o.data_dir / "repo-cache"))
        self.api = build_backend(
            client=self.client,
            namespace=o.namespace,
            repo=self.repo,
            install_crds=False,
            initialize=False,
            insecure=True,
            processors=o.processors,
        )
        self.api.start()
        self._stops.append(("controller", self.api.stop))
        self.controller = self.api.controller
        self.settings = self.api.settings
        self._serve(create_app(self.api))

        if o.example and not (o.data_dir / EXAMPLE_MARKER).exists():
            step("Creating the guestbook example")
            from kedge.up import example
            from kedge.up.bootstrap import _create_if_missing

            try:
                repo_url, work = example.create_repository(o.data_dir)
                _create_if_missing(self.client, example.application(o.namespace, repo_url))
            except KedgeError as exc:  # Kedge works without its example: say why and go on
                self.warnings.append(f"the guestbook example was not created: {exc}")
            else:
                (o.data_dir / EXAMPLE_MARKER).write_text(repo_url + "\n")
                self.example = work
        elif (o.data_dir / "example" / "guestbook").exists():
            self.example = o.data_dir / "example" / "guestbook"

    def _lock_data_dir(self) -> None:
        """One ``kedge up`` per data directory (two would share one cluster database)."""
        import fcntl

        path = self.o.data_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise KedgeError(
                f"another kedge up (pid {owner}) is using {self.o.data_dir}; stop it or use --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

        def unlock() -> None:
            os.close(fd)  # closing releases the lock

        self._stops.append(("data directory lock", unlock))

    def _serve(self, app: Any) -> None:
        """Serve the API on ``address:port`` from a background thread."""
        import asyncio
        import threading

        import uvicorn

        config = uvicorn.Config(
            app,
            host=self.o.address,
            port=self.o.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the CLI owns signals

        def run() -> None:
            asyncio.run(server.serve())

        thread = threading.Thread(target=run, name="api-server", daemon=True)
        thread.start()
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        if not server.started:
            raise KedgeError(f"the API server did not start on {self.o.address}:{self.o.port}")

        def stop() -> None:
            server.should_exit = True
            thread.join(timeout=10)

        self._stops.append(("API server", stop))
        host = "localhost" if self.o.address in ("127.0.0.1", "0.0.0.0") else self.o.address
        self.api_url = f"http://{host}:{self.o.port}"

    def stop(self) -> None:
        """Stop everything started, newest first; errors are logged, never raised."""
        while self._stops:
            name, fn = self._stops.pop()
            try:
                fn()
            except Exception:  # noqa: BLE001 - keep stopping the rest
                log.exception("stopping the %s failed", name)


def ensure_port_free(address: str, port: int) -> None:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError as exc:
            raise KedgeError(f"cannot listen on {address}:{port}: {exc.strerror} (use --port)") from None
