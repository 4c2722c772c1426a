"""The requests ``review-scorer serve`` answers: the page, the API and the local bucket.

- ``GET /``: ``site/index.html``, with a Content-Security-Policy that lets it run only its own
  inline script and style (by hash) and talk only to this origin, so a browser refuses any
  external resource the page would load;
- ``/api/...``: the API function behind API Gateway's HTTP API (:mod:`.http_api`);
- ``/s3/...``: moto's S3, proxied, so the presigned POST and the download links the API function
  makes (against this origin, see :mod:`.serve`) are same-origin for the page, as a deployed
  page would need CORS on the bucket instead. moto does not check POST policies or
  signatures; the proxy passes every request on as it came.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from review_scorer_local.http_api import MAX_REQUEST_BYTES, HttpResponse, request_event, too_large

S3_PREFIX = "/s3"
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect"}
_OWN = {"content-length", "transfer-encoding", "server", "date"}  # this server writes these


class Site(Protocol):
    """What the handler needs of the running site (:class:`review_scorer_local.serve.LocalSite`)."""

    page: Path

    def call_api(self, event: dict[str, Any]) -> HttpResponse: ...

    def moto_address(self) -> tuple[str, int]: ...


class SiteServer(ThreadingHTTPServer):
    """A thread per request: the API function's S3 calls come back through :data:`S3_PREFIX`
    while its own request waits."""

    def __init__(self, port: int, site: Site) -> None:
        self.site = site
        super().__init__(("127.0.0.1", port), SiteRequestHandler)


class SiteRequestHandler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "review-scorer-local"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: paths name uploads, and a terminal full of polls helps no one."""

    def do_GET(self) -> None:
        self._route()

    # http.server's names for the other methods: every method is routed alike
    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def _route(self) -> None:
        path = urlsplit(self.path).path
        if self.headers.get("host") != self._host():
            self._elsewhere(path)
        elif path.startswith(f"{S3_PREFIX}/"):
            self._proxy_s3()
        elif path == "/api" or path.startswith("/api/"):
            self._api()
        elif path in ("/", "/index.html") and self.command in ("GET", "HEAD"):
            self._page()
        else:
            self.close_connection = True  # a body, if any, is left unread
            self._send(404, [("content-type", "text/plain; charset=utf-8")], b"Not Found\n")

    def _page(self) -> None:
        html = self.server.site.page.read_bytes()  # read each time: an edit shows on reload
        headers = [
            ("content-type", "text/html; charset=utf-8"),
            ("content-security-policy", content_security_policy(html)),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ]
        self._send(200, headers, html)

    def _api(self) -> None:
        length = self._length()
        if length is None or length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the body is left unread
            response = too_large() if length else HttpResponse(411, [], b"")
            self._send(response.status, response.headers, response.body)
            return
        body = self.rfile.read(length)
        event = request_event(
            self.command, self.path, self.headers.items(), body, source_ip=self.client_address[0]
        )
        response = self.server.site.call_api(event)
        self._send(response.status, response.headers, response.body)

    def _proxy_s3(self) -> None:
        length = self._length()
        if length is None:  # S3 too wants a Content-Length (MissingContentLength)
            self.close_connection = True
            self._send(411, [], b"")
            return
        host, port = self.server.site.moto_address()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers.pop("Host", None)
        connection = http.client.HTTPConnection(host, port, timeout=300)
        try:
            body = _Body(self.rfile, length) if length else None
            connection.request(self.command, self.path[len(S3_PREFIX) :], body, headers)
            answer = connection.getresponse()
            data = answer.read()
            passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
            self._send(answer.status, passed, data, head_length=answer.getheader("content-length"))
        finally:
            connection.close()

    def _length(self) -> int | None:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return None
        return int(self.headers.get("content-length") or 0)

    def _host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def _elsewhere(self, path: str) -> None:
        """A request naming another host (``localhost``, or a name rebound to this address):
        the page is sent to 127.0.0.1, since botocore presigns for a host name in virtual-hosted
        style (``<bucket>.localhost``) but for an IP address in path style; the rest is refused
        (421 Misdirected Request, RFC 9110 15.5.20)."""
        self.close_connection = True  # a body, if any, is left unread
        if path in ("/", "/index.html") and self.command in ("GET", "HEAD"):
            self._send(307, [("location", f"http://{self._host()}/")], b"")
        else:
            self._send(421, [("content-type", "text/plain; charset=utf-8")], b"Misdirected\n")

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        head_length: str | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _OWN:
                self.send_header(name, value)
        if status in (204, 304):  # no body, and no Content-Length (RFC 9110 8.6)
            self.end_headers()
            return
        is_head = self.command == "HEAD"
        length = head_length if is_head and head_length is not None else str(len(body))
        self.send_header("Content-Length", length)
        self.end_headers()
        if not is_head:
            self.wfile.write(body)


class _Body:
    """The request body, ``length`` bytes of ``stream``, read by http.client in blocks."""

    def __init__(self, stream: io.BufferedIOBase, length: int) -> None:
        self.stream, self.left = stream, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(size) if size else b""
        self.left -= len(data)
        return data


def content_security_policy(html: bytes) -> str:
    """A policy allowing the page's own inline ``<script>`` and ``<style>`` blocks (by their
    SHA-256, https://www.w3.org/TR/CSP3/#grammardef-hash-source), requests to this origin only,
    and nothing else."""

    def hashes(tag: bytes) -> str:
        blocks = re.findall(rb"<" + tag + rb">(.*?)</" + tag + rb">", html, re.DOTALL)
        digests = (base64.b64encode(hashlib.sha256(b).digest()).decode() for b in blocks)
        return " ".join(f"'sha256-{d}'" for d in digests) or "'none'"

    return (
        f"default-src 'none'; script-src {hashes(b'script')}; style-src {hashes(b'style')}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
