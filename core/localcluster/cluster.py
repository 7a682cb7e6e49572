"""``LocalCluster``: start the embedded API server in-process (tests, ``kedge up``) or from the CLI.

from kedge.localcluster.cluster import LocalCluster

with LocalCluster(in_memory=True) as lc:          # random free port on 127.0.0.1
    subprocess.run(["kubectl", "--kubeconfig", lc.kubeconfig_path, "get", "ns"])
    lc.store.create("/v1/configmaps", {...})      # in-process, same semantics as HTTP
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from kedge.errors import KedgeError
from kedge.localcluster.server import APIServer
from kedge.localcluster.store import Store

log = logging.getLogger(__name__)

DB_FILE = "cluster.db"
TOKEN_FILE = "token"
CONTEXT = "kedge-local"


def kubeconfig(
    url: str, token: str, namespace: str = "default", name: str = CONTEXT, ca_data: str = ""
) -> dict[str, Any]:
    """A kubeconfig document for ``kubectl`` and the ``kubernetes`` client."""
    cluster: dict[str, Any] = {"server": url}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when installed, else asyncio's. uvloop's transports and TLS are compiled
    where asyncio's SSL protocol is pure Python: a request costs the server about a quarter less CPU
    (10-15% less per write, measured with bench/localcluster_write_cpu.py)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class LocalCluster:
    """The embedded cluster: a :class:`Store` plus the HTTP API server on loopback.

    ``data_dir``: where ``cluster.db`` (SQLite) and the token live; None with ``in_memory=True``
    keeps everything in memory. ``port=0`` picks a free port. ``kubeconfig_path``: where to write
    the kubeconfig (default: ``<data_dir>/kubeconfig`` or a temporary file). ``simulate=True``
    starts the workload simulator (``kedge.localcluster.simulator``) when it is installed.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        in_memory: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        kubeconfig_path: str | os.PathLike[str] | None = None,
        simulate: bool = False,
        simulator_options: dict[str, Any] | None = None,
        event_window: int = 20000,
    ) -> None:
        if data_dir is None and not in_memory:
            raise KedgeError("LocalCluster needs a data_dir, or in_memory=True")
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.in_memory = in_memory
        self.host = host
        self.port = port
        self._token = token
        self._kubeconfig_path = Path(kubeconfig_path) if kubeconfig_path else None
        self.simulate = simulate
        self.simulator_options = simulator_options or {}
        self.event_window = event_window
        self.store: Store | None = None  # type: ignore[assignment]
        self.simulator: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._cert: Path | None = None
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ properties
    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_path(self) -> str:
        """The serving certificate (also the CA a client must trust)."""
        assert self._cert is not None, "start() the cluster first"
        return str(self._cert)

    @property
    def token(self) -> str:
        assert self._token is not None, "start() the cluster first"
        return self._token

    @property
    def kubeconfig_path(self) -> str:
        assert self._kubeconfig_path is not None, "start() the cluster first"
        return str(self._kubeconfig_path)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalCluster:
        """Open the store, bind the port, serve on a background thread, write the kubeconfig."""
        import uvicorn

        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._lock_data_dir()
        if self._token is None:
            self._token = self._load_or_make_token()
        from kedge.localcluster.tls import ensure_cert

        self._cert, key = ensure_cert(self._state_dir(), self.host)
        db = None if self.in_memory else str(self.data_dir / DB_FILE)  # type: ignore[operator]
        try:
            self.store = Store(db, event_window=self.event_window)
        except Exception as e:  # sqlite errors: unreadable/corrupt file, permissions
            self._release_lock()
            raise KedgeError(f"cannot open the local cluster's database {db}: {e}") from e
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listening socket says so (without it every response waits ~40 ms for a delayed ACK)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            self.store.close()
            self._release_lock()
            raise KedgeError(f"cannot listen on {self.host}:{self.port}: {e.strerror}") from e
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        app = APIServer(self.store, self._token, f"{self.host}:{self.port}")
        self.app = app
        config = uvicorn.Config(
            app,
            http="httptools",
            loop="asyncio",
            lifespan="off",
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # nothing here reads the client address; saves a middleware per request
            timeout_keep_alive=120,
            timeout_graceful_shutdown=1,
            ssl_certfile=str(self._cert),
            ssl_keyfile=str(key),
        )
        self._server = uvicorn.Server(config)
        started = threading.Event()

        def run() -> None:
            loop = _new_event_loop()
            asyncio.set_event_loop(loop)

            async def serve() -> None:
                task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
                while not self._server.started and not task.done():
                    await asyncio.sleep(0.005)
                started.set()
                await task

            try:
                loop.run_until_complete(serve())
            finally:
                started.set()
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name="localcluster-http", daemon=True)
        self._thread.start()
        started.wait(timeout=15)
        if not self._server.started:
            raise KedgeError("the local cluster's HTTP server did not start")
        self._write_kubeconfig()
        threading.Thread(target=self._warm_up, name="localcluster-warmup", daemon=True).start()
        if self.simulate:
            self._start_simulator()
        log.info("local cluster serving on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the store (every acknowledged write is already on disk)."""
        if self.simulator is not None:
            try:
                self.simulator.stop()
            except Exception:
                log.exception("simulator stop failed")
            self.simulator = None
        if self._server is not None:
            self.app.end_watches()
            deadline = time.monotonic() + 2
            while self.app.watches and time.monotonic() < deadline:
                time.sleep(0.01)
            self._server.should_exit = True
            self._abort_connections()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.store is not None:
            self.store.close()
        self._release_lock()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def _warm_up(self) -> None:
        """Build the validation schemas and OpenAPI documents clients ask for first (importing the
        client models behind them takes about a second), so the first requests do not wait."""
        try:
            registry = self.app.store.registry
            for key in (
                "/v1/configmaps",
                "/v1/services",
                "/v1/pods",
                "apps/v1/deployments",
                "/v1/namespaces",
                "/v1/secrets",
            ):
                info = registry.get(key)
                if info is not None:
                    self.app.openapi.schema_for(info)
            for path in ("api/v1", "apis/apps/v1"):
                self.app.openapi.doc(path)
        except Exception:  # only an optimisation
            log.debug("warm-up failed", exc_info=True)

    def _abort_connections(self) -> None:
        """Drop idle keep-alive connections at once: a TLS close waits for the peer, which would
        hold shutdown for uvicorn's whole graceful timeout."""
        loop = getattr(self.app, "loop", None)
        state = getattr(self._server, "server_state", None)
        if loop is None or state is None or loop.is_closed():
            return

        def abort() -> None:
            for conn in list(state.connections):
                transport = getattr(conn, "transport", None)
                if transport is not None:
                    transport.abort()

        try:
            loop.call_soon_threadsafe(abort)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until the server thread ends (the CLI's foreground mode)."""
        while self._thread is not None and self._thread.is_alive():
            time.sleep(0.2)

    # ------------------------------------------------------------------ helpers
    def _lock_data_dir(self) -> None:
        """One server per data dir: a second one would fork the state and reuse resourceVersions."""
        import fcntl

        assert self.data_dir is not None
        fd = os.open(self.data_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise KedgeError(
                f"the data dir {self.data_dir} is in use by another local cluster (pid {holder}); stop it or use another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _load_or_make_token(self) -> str:
        if self.data_dir is not None:
            path = self.data_dir / TOKEN_FILE
            if path.exists():
                tok = path.read_text().strip()
                if tok:
                    return tok
            tok = secrets.token_urlsafe(32)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(tok + "\n")
            return tok
        return secrets.token_urlsafe(32)

    def _state_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if self._tmpdir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="kedge-localcluster-")
        return Path(self._tmpdir.name)

    def _write_kubeconfig(self) -> None:
        if self._kubeconfig_path is None:
            self._kubeconfig_path = self._state_dir() / "kubeconfig"
        self._kubeconfig_path.parent.mkdir(parents=True, exist_ok=True)
        assert self._cert is not None
        ca = base64.b64encode(self._cert.read_bytes()).decode()
        doc = yaml.safe_dump(kubeconfig(self.url, self.token, ca_data=ca), sort_keys=False)
        fd = os.open(self._kubeconfig_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(doc)

    def _start_simulator(self) -> None:
        try:
            from kedge.localcluster.simulator import Simulator
        except ImportError:
            log.warning("the workload simulator is not installed; serving without it")
            return
        self.simulator = Simulator(self.store, **self.simulator_options)
        self.simulator.start()
