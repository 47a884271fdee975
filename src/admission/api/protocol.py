"""The HTTP/1.1 protocol the server runs: uvicorn's, with two changes.

- A request the HTTP parser cannot read (a bad `Content-Length`, `Content-Length` together with
  `Transfer-Encoding: chunked`, a malformed request line or header) is answered with a 400
  `application/problem+json` (code `bad-http`) like every other error, not uvicorn's text/plain.
- A read timeout (`read_timeout_seconds`, `ADMISSION_READ_TIMEOUT_SECONDS`, default 10 s): once
  a request has begun, the client must send its next bytes within that time (every byte resets
  the timer) until the request is complete.  A request that stops short — a body shorter than its
  `Content-Length`, headers never finished — is answered with a 408 problem (code
  `request-timeout`) and the connection closed, instead of holding the connection and a worker
  task forever.

`server.py` passes the class as uvicorn's `http=`: `ProblemHttpToolsProtocol` when httptools is
installed (it is a dependency), `ProblemH11Protocol` otherwise.
"""

from __future__ import annotations

from functools import lru_cache

import orjson

from .problems import MEDIA_TYPE, problem_body

BAD_HTTP = "请求不符合 HTTP/1.1 格式（如 Content-Length 无效，或与 Transfer-Encoding: chunked 同时出现），连接已关闭"


@lru_cache(maxsize=1)
def read_timeout() -> float:
    """The setting, read once per worker (the `admission serve` options set the variables)."""
    from .settings import ApiSettings

    return ApiSettings().read_timeout_seconds


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response carrying a problem, closing the connection."""
    body = orjson.dumps(problem_body(status, code, detail))
    phrase = {400: "Bad Request", 408: "Request Timeout"}.get(status, "Error")
    head = (f"HTTP/1.1 {status} {phrase}\r\ncontent-type: {MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\n"
            f"connection: close\r\n\r\n").encode("ascii")
    return head + body


class _ReadTimeout:
    """The read timer, for either protocol: armed while a request is being read, reset by every
    chunk received, answered with 408 when it runs out."""

    _read_timer = None

    def _reading(self) -> bool:  # a request has begun and is not yet complete
        raise NotImplementedError

    def _arm_read_timer(self) -> None:
        self._cancel_read_timer()
        if self._reading():
            self._read_timer = self.loop.call_later(read_timeout(), self._read_timed_out)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing() or not self._reading():
            return
        if self.flow.read_paused:  # we stopped reading (the app is slow to take the body): not the client's fault
            self._arm_read_timer()
            return
        cycle = getattr(self, "cycle", None)
        started = cycle is not None and cycle.response_started
        if cycle is not None:
            cycle.disconnected = True  # the app sees a disconnect; its answer is not sent
            cycle.keep_alive = False
        if not started:
            self.transport.write(problem_bytes(
                408, "request-timeout",
                f"请求在 {read_timeout():g} 秒内没有收完（请求体短于 Content-Length，或请求头未结束），连接已关闭"))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self._cancel_read_timer()
        self.transport.write(problem_bytes(400, "bad-http", BAD_HTTP))
        self.transport.close()

    def connection_lost(self, exc) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a dependency
    HttpToolsProtocol = None

if HttpToolsProtocol is not None:
    class ProblemHttpToolsProtocol(_ReadTimeout, HttpToolsProtocol):
        _in_request = False

        def _reading(self) -> bool:
            return self._in_request

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self.transport.is_closing():
                self._arm_read_timer()

        def on_message_begin(self) -> None:
            self._in_request = True
            super().on_message_begin()

        def on_message_complete(self) -> None:
            self._in_request = False
            self._cancel_read_timer()
            super().on_message_complete()


from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: E402


class ProblemH11Protocol(_ReadTimeout, H11Protocol):
    def _reading(self) -> bool:
        import h11

        conn = self.conn
        return conn.their_state is h11.SEND_BODY or (conn.their_state is h11.IDLE and bool(conn.trailing_data[0]))

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.transport.is_closing():
            self._arm_read_timer()


def protocol_class() -> type:
    return ProblemHttpToolsProtocol if HttpToolsProtocol is not None else ProblemH11Protocol
