"""Where the sharded check's jobs run besides the local process pool: a Dask cluster
(`admission check --bundle URL --executor dask://HOST:PORT`, dask.distributed, the optional
`dask` extra).

The jobs are the pool's own (`shard._check_job`: bundle spec, revision, shard key, day); every
worker opens the bundle from the spec itself — a store URL every worker can reach, or a
directory on a file system they share — so only those four values travel to a worker and a
shard's findings travel back.  Dask moves them with its own serialisation, which trusts the
cluster as the process pool trusts its forked workers: run the scheduler and workers on hosts
you control.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

SCHEME = "dask://"


def dask_address(executor: str) -> str:
    """`dask://HOST:PORT` as the scheduler address dask.distributed connects to (`tcp://…`)."""
    if not executor.startswith(SCHEME) or ":" not in executor[len(SCHEME):]:
        raise ValueError(f"执行器须写作 dask://主机:端口 executor must be dask://HOST:PORT, not {executor!r}")
    return "tcp://" + executor[len(SCHEME):]


def run_on_dask(executor: str, job: Callable, jobs: Iterable[tuple], window: int | None = None) -> Iterator:
    """`job(j)` for each of `jobs` on the cluster, results as they finish; at most `window` in
    flight (default four per worker thread), so the scheduler never holds the nation at once."""
    from distributed import Client, as_completed

    with Client(dask_address(executor), set_as_default=False, timeout=30) as client:
        threads = sum(client.nthreads().values()) or 1
        limit = window or 4 * threads
        it = iter(jobs)
        first = [client.submit(job, j, pure=False) for _, j in zip(range(limit), it)]
        if not first:
            return
        running = as_completed(first, loop=client.loop)
        for fut in running:
            result = fut.result()
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                running.add(client.submit(job, nxt, pure=False))
            yield result
