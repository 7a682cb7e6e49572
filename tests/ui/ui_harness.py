"""A running Kedge API server (with the web UI) for browser tests and the UI benchmark.

:func:`start_server` composes the backend exactly as ``kedge server`` does, over a
control-plane namespace of its own in an existing cluster, serves it with uvicorn on a free
loopback port and returns a :class:`UIServer`. :func:`launch_chromium` starts Debian's
Chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the password of the test users other than admin
PASSWORD = "Passw0rd-123"
CHROMIUM = os.environ.get("KEDGE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def wait_for(cond, timeout: float = 20.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"condition not met in {timeout}s (last value: {last!r})")


@dataclass
class UIServer:
    """A running Kedge: ``url``, the ``admin_password``, the control-plane ``namespace``, a
    ``kube`` client of its cluster, and (in-process servers only) the ``backend``."""

    url: str
    backend: Any
    admin_password: str
    namespace: str
    kube: Any = None
    example: Path | None = None  # kedge up's guestbook working copy (commits are pushed)
    _stop: list = field(default_factory=list)

    def client(self, token: str | None = None):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def token(self, user: str = "admin", password: str | None = None) -> str:
        with self.client() as c:
            r = c.post(
                "/api/v1/session", json={"username": user, "password": password or self.admin_password}
            )
        r.raise_for_status()
        return r.json()["token"]

    def stop(self) -> None:
        for fn in reversed(self._stop):
            fn()
        self._stop.clear()


def start_server(
    kube: Any,
    namespace: str,
    cache_dir: Path,
    extra_cm: dict[str, str] | None = None,
    reconcile: bool = True,
) -> UIServer:
    """Start backend + uvicorn for control-plane ``namespace`` (created here) in ``kube``'s cluster.

    ``reconcile=False`` starts the controller's informers but none of its status processors, so
    generated Applications keep the status they were created with (for the UI benchmark)."""
    import uvicorn

    from kedge.server import build_backend, create_app

    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    if extra_cm:
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "argocd-cm", "namespace": namespace},
                "data": extra_cm,
            }
        )
    backend = build_backend(
        client=kube, namespace=namespace, repo_cache_dir=cache_dir, processors=4, resync=60
    )
    if not reconcile:
        backend.controller.processors = 0
    backend.start()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(backend), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15)
    ui = UIServer(f"http://127.0.0.1:{port}", backend, backend.extras["initial_password"], namespace, kube)

    def stop() -> None:
        server.should_exit = True
        thread.join(5)
        backend.stop()

    ui._stop.append(stop)
    return ui


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_kedge_up(data_dir: Path, timeout: float = 90.0) -> UIServer:
    """Run ``kedge up --data-dir DATA_DIR --port FREE`` (the product: local cluster, controller,
    repo server, API server and the guestbook example in one process) until it says it is
    ready; :meth:`UIServer.stop` interrupts it (Ctrl-C) and waits for it to exit."""
    import re
    import signal
    import subprocess

    from kedge.kube.client import KubeClient

    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "kedge-up.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kedge", "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "COLUMNS": "200"},
    )

    def stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()

    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if "Kedge is ready." in text and "Admin password:" in text:
            break
        if proc.poll() is not None:
            stop()
            raise RuntimeError(f"kedge up exited with {proc.returncode}:\n{text}")
        time.sleep(0.1)
    else:
        stop()
        raise RuntimeError(f"kedge up was not ready within {timeout}s:\n{text}")
    password = re.search(r"Admin password:\s+(\S+)", text).group(1)
    url = re.search(r"API server:\s+(http\S+)", text).group(1)  # as argocd-cm's url says
    kube = KubeClient.from_kubeconfig(str(data_dir / "kubeconfig"))
    ui = UIServer(url, None, password, "argocd", kube, data_dir / "example" / "guestbook")

    def close() -> None:
        kube.close()
        stop()

    ui._stop.append(close)
    return ui


def launch_chromium(playwright: Any):
    """Debian's Chromium, headless, with no network activity of its own."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def login(page: Any, user: str, password: str) -> None:
    """Log in through the login page (the page must have the server as its base URL)."""
    page.goto("/applications")
    page.wait_for_selector("#username")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("main")
