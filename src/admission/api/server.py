"""Running the API: one uvicorn server per worker process, each with its own listening socket on
the same port (`SO_REUSEPORT`), so the kernel spreads connections over the workers.

uvicorn's own multi-worker mode shares one listening socket, and a worker that wakes first
accepts every connection waiting at that moment: a client opening a handful of keep-alive
connections at once (a dispatch system's pool, a load balancer) then often lands on one worker
and gets one core.  With a socket per worker each connection is hashed to a worker.

Each worker builds its own runtime in the app's lifespan (after the process started); the parent
only supervises: it binds the port first (so a port in use fails at once), starts the workers,
restarts one that dies, and on SIGTERM or SIGINT asks each to shut down gracefully (the decision
log is flushed in their lifespan shutdown).  A worker whose parent disappears shuts itself down.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time

log = logging.getLogger("admission.api.server")
APP = "admission.api.app:create_app"


def _uvicorn_options(log_level: str, access_log: bool) -> dict:
    kw: dict = {"log_level": log_level, "access_log": access_log, "lifespan": "on", "proxy_headers": False,
                "server_header": False, "timeout_graceful_shutdown": 10}
    try:
        import uvloop  # noqa: F401

        kw["loop"] = "uvloop"
    except ImportError:
        pass
    from .protocol import protocol_class

    kw["http"] = protocol_class()  # uvicorn's httptools (or h11) protocol, answering problem+json, with a read timeout
    return kw


def _listening_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _port_free(host: str, port: int) -> None:
    """Raise OSError (EADDRINUSE) when anything is bound to the port: a bind without SO_REUSEPORT
    fails even against sockets that set it, which a bind with it would silently join."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _worker(host: str, port: int, log_level: str, access_log: bool) -> None:  # in the child
    import uvicorn

    parent = os.getppid()

    def orphaned() -> None:  # the supervisor was killed: stop serving
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=orphaned, daemon=True, name="parent-watch").start()
    sock = _listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, **_uvicorn_options(log_level, access_log))
    uvicorn.Server(config).run(sockets=[sock])


def serve(*, host: str, port: int, workers: int, log_level: str = "warning", access_log: bool = False) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit code."""
    import uvicorn

    if workers <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, factory=True, host=host, port=port, workers=max(workers, 1),
                    **_uvicorn_options(log_level, access_log))
        return 0
    _port_free(host, port)  # another server (even one using SO_REUSEPORT too) must not share the port
    guard = _listening_socket(host, port, listen=False)  # holds the port for this server's workers
    ctx = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> multiprocessing.Process:
        p = ctx.Process(target=_worker, args=(host, port, log_level, access_log), name="admission-api-worker")
        p.start()
        return p

    def stop(signum, _frame) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    procs = [start() for _ in range(workers)]
    deaths: list[float] = []
    code = 0
    try:
        while not stopping.wait(0.5):
            for i, p in enumerate(procs):
                if p.is_alive():
                    continue
                deaths.append(time.monotonic())
                deaths[:] = [t for t in deaths if time.monotonic() - t < 30]
                if len(deaths) > 3 * workers:
                    print("工作进程反复退出，停止服务 workers keep dying; stopping", file=sys.stderr)
                    stopping.set()
                    code = 1
                    break
                print(f"工作进程 {p.pid} 退出（{p.exitcode}），重新启动 worker exited; restarting", file=sys.stderr)
                procs[i] = start()
    finally:
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
        guard.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code
