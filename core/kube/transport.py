"""The fast path for ordinary API requests: libcurl (through pycurl), one handle per thread.

A request through the official client's urllib3/http.client stack costs ~0.3 ms of Python CPU
(header objects, URL parsing, the email-based header parser); a sync makes ~25 of them per
application, so that stack was the largest single cost of a sync. libcurl does the same work in C
(~0.09 ms) and keeps each thread's connection alive. Watches keep using the official client's
streaming responses.

:func:`curl_transport` builds one from the official client's ``Configuration`` (server, CA,
client certificate, ``insecure``, proxy); it returns None when pycurl is missing or the
configuration needs something only the official stack does (a TLS server-name override), and
the client then uses that stack for everything.
"""

from __future__ import annotations

import base64
import math
import threading
from io import BytesIO
from typing import Any

try:  # an optional accelerator: without it every request goes through urllib3
    import pycurl
except ImportError:  # pragma: no cover - pycurl is a dependency; this keeps odd installs working
    pycurl = None  # type: ignore[assignment]


OVERALL_FACTOR = 10  # a request never takes longer than this many read timeouts...
OVERALL_MIN = 300.0  # ...or five minutes, whichever is longer


class TransportError(Exception):
    """The request did not get an HTTP response (connection refused, TLS, timeout...)."""


class CurlTransport:
    """Thread-safe: each thread gets its own libcurl handle (and keep-alive connection)."""

    def __init__(
        self,
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        verify: bool = True,
        proxy: str | None = None,
        no_proxy: str | None = None,
    ) -> None:
        self._ca_file = ca_file
        self._cert_file = cert_file
        self._key_file = key_file
        self._verify = verify
        self._proxy = proxy
        self._no_proxy = no_proxy
        # a thread's handle (and its connection) is freed with the thread
        self._local = threading.local()

    def _handle(self) -> Any:
        c = getattr(self._local, "curl", None)
        if c is not None:
            return c
        c = pycurl.Curl()
        c.setopt(pycurl.NOSIGNAL, 1)  # required with threads; timeouts still work
        c.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)
        c.setopt(pycurl.TCP_NODELAY, 1)
        c.setopt(pycurl.FOLLOWLOCATION, 0)
        if self._ca_file:
            c.setopt(pycurl.CAINFO, self._ca_file)
        if self._cert_file:
            c.setopt(pycurl.SSLCERT, self._cert_file)
        if self._key_file:
            c.setopt(pycurl.SSLKEY, self._key_file)
        if not self._verify:
            c.setopt(pycurl.SSL_VERIFYPEER, 0)
            c.setopt(pycurl.SSL_VERIFYHOST, 0)
        c.setopt(pycurl.PROXY, self._proxy or "")  # "" = no proxy, whatever the environment says
        if self._no_proxy:
            c.setopt(pycurl.NOPROXY, self._no_proxy)
        self._local.curl = c
        return c

    def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, bytes]:
        """Send one request; returns (HTTP status, body). Raises :class:`TransportError`."""
        c = self._handle()
        buf = BytesIO()
        c.setopt(pycurl.URL, url)
        c.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in headers.items()] + ["Expect:"])
        c.setopt(pycurl.WRITEDATA, buf)
        # like urllib3's timeout: bounds the connection and each wait for data (a big list may
        # take longer than ``timeout`` as long as it keeps coming), plus an overall bound
        c.setopt(pycurl.CONNECTTIMEOUT_MS, max(int(min(timeout, 30.0) * 1000), 1))
        c.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        c.setopt(pycurl.LOW_SPEED_TIME, max(math.ceil(timeout), 1))
        c.setopt(pycurl.TIMEOUT_MS, int(max(timeout * OVERALL_FACTOR, OVERALL_MIN) * 1000))
        if body is None:
            c.setopt(pycurl.HTTPGET, 1)  # also clears a previous request's body
            if method != "GET":
                c.setopt(pycurl.CUSTOMREQUEST, method)
            else:
                c.unsetopt(pycurl.CUSTOMREQUEST)
        else:
            c.setopt(pycurl.POSTFIELDS, body)
            c.setopt(pycurl.CUSTOMREQUEST, method)
        try:
            c.perform()
        except pycurl.error as exc:
            code, message = exc.args[0], exc.args[1] if len(exc.args) > 1 else ""
            raise TransportError(f"{message or 'curl error'} (curl {code})") from None
        return c.getinfo(pycurl.RESPONSE_CODE), buf.getvalue()

    def close(self) -> None:
        """Close this thread's handle; other threads' handles go with their threads (or with
        this transport)."""
        c = getattr(self._local, "curl", None)
        if c is not None:
            c.close()
        self._local = threading.local()


def curl_transport(configuration: Any) -> CurlTransport | None:
    """A transport for the official client's ``Configuration``, or None when it cannot be used."""
    if pycurl is None or getattr(configuration, "tls_server_name", None):
        return None
    if not str(configuration.host).startswith(("https://", "http://")):
        return None
    return CurlTransport(
        ca_file=configuration.ssl_ca_cert or None,
        cert_file=configuration.cert_file or None,
        key_file=configuration.key_file or None,
        verify=bool(configuration.verify_ssl),
        proxy=getattr(configuration, "proxy", None) or None,
        no_proxy=getattr(configuration, "no_proxy", None) or None,
    )


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
