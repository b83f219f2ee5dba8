"""What every benchmark shares: the Procfile's processes, signed events, a load generator, tables.

Every process is started as the Procfile starts it (`web:` and `worker:`), against a real Redis
(the database named by --redis-url is emptied) and, for the worker, a stub Zendesk on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.webhooks.signing import signed_headers  # noqa: E402
from tests.stub_zendesk import StubZendesk  # noqa: E402

SECRET = "bench-signing-secret"
SAMPLES = REPO / "app" / "samples"
BIN = Path(sys.executable).parent


def machine() -> str:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln), "")
    return (
        f"{os.cpu_count()} cores ({model or platform.machine()}){memory}, "
        f"Python {platform.python_version()}, {platform.system()}"
    )


@contextlib.contextmanager
def redis_for_bench(url: str | None) -> Iterator[str]:
    """`url` when given; else a private redis-server on a free port for the run, so no other
    client of a shared Redis (a test suite, another benchmark) skews the figures."""
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit("no redis-server on PATH: install it, or pass --redis-url of a database the run may empty")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        _private_redis_pids[url] = server.pid
        yield url
    finally:
        server.terminate()
        server.wait(10)


def add_redis_option(parser) -> None:
    parser.add_argument(
        "--redis-url",
        default=None,
        help="a Redis database the run may empty (default: a private redis-server started for the run)",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_command(kind: str) -> list[str]:
    for line in (REPO / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind:
            return shlex.split(command.strip())
    raise KeyError(kind)


def web_command(app_target: str | None = None) -> list[str]:
    """The Procfile's web command; with `app_target`, the same settings serving another app.
    BENCH_GUNICORN_CONFIG names another config file, to compare settings."""
    argv = procfile_command("web")
    if app_target:
        argv[-1] = app_target
    if os.environ.get("BENCH_GUNICORN_CONFIG"):
        argv[argv.index("--config") + 1] = os.environ["BENCH_GUNICORN_CONFIG"]
    return argv


def base_env(redis_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ESCALATOR_", "REDIS_URL"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        REDIS_URL=redis_url,
        ZENDESK_WEBHOOK_SECRET=SECRET,
        ESCALATOR_LOG_FORMAT="json",
    )
    env.update(overrides)
    return env


class Proc:
    """A Procfile process with its output in a file (read when something goes wrong)."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for(self, ready: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited with {self.popen.returncode}:\n{self.output()[-3000:]}")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"not ready in {timeout} s:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, 15)
            try:
                self.popen.wait(25)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, 9)
                self.popen.wait()
        self._log.close()


def http_ok(port: int, path: str = "/healthz") -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return s.recv(64).startswith(b"HTTP/1.1 200")


def start_web(env: dict[str, str], log_dir: Path, app_target: str | None = None, name: str = "web") -> tuple[Proc, int]:
    port = free_port()
    web = Proc(web_command(app_target), {**env, "PORT": str(port)}, log_dir / f"{name}.log")
    web.wait_for(lambda: http_ok(port))
    return web, port


def start_worker(env: dict[str, str], log_dir: Path, name: str = "worker") -> Proc:
    worker = Proc(procfile_command("worker"), env, log_dir / f"{name}.log")
    worker.wait_for(lambda: "Listening on" in worker.output())
    return worker


class TimedStub(StubZendesk):
    """The stub Zendesk, also noting when each request arrived; optionally enforcing a per-minute
    limit over any 60-second window, answering 429 with Retry-After as Zendesk does."""

    def __init__(self, limit_per_minute: int | None = None):
        super().__init__()
        self.limit_per_minute = limit_per_minute
        self.arrivals: list[tuple[float, str, str, int]] = []  # (time, method, path, status)
        self._window: list[float] = []

    def handle(self, method, path, query, body):
        arrived = time.time()
        if self.limit_per_minute is not None:
            with self._lock:
                self._window = [t for t in self._window if t > arrived - 60]
                limited = len(self._window) >= self.limit_per_minute
                if not limited:
                    self._window.append(arrived)
            if limited:
                retry_after = max(1, int(self._window[0] + 60 - arrived) + 1)
                with self._lock:
                    self._requests.append({"method": method, "path": path, "query": query, "body": body, "status": 429})
                    self.arrivals.append((arrived, method, path, 429))
                return 429, {"Retry-After": str(retry_after)}, {"error": "TooManyRequests"}
        status, headers, payload = super().handle(method, path, query, body)
        with self._lock:
            self.arrivals.append((arrived, method, path, status))
        return status, headers, payload

    def put_times(self, ticket_id: int | None = None) -> list[float]:
        with self._lock:
            return [
                t
                for t, method, path, status in self.arrivals
                if method == "PUT" and status == 200 and (ticket_id is None or path == f"/api/v2/tickets/{ticket_id}")
            ]


# -- events --------------------------------------------------------------------------------------

_COMMENT = json.loads((SAMPLES / "ticket_comment_added__end_user_time_sensitive.json").read_text())
UPDATED_AT = "2026-11-27T15:00:00Z"


def comment_event(ticket_id: int, text: str, *, author_id: int = 9001, is_staff: bool = False, **detail) -> dict:
    """A signed-able ticket.comment_added body for a new event on `ticket_id`."""
    body = copy.deepcopy(_COMMENT)
    body["id"] = str(uuid.uuid4())
    body["time"] = "2026-11-30T16:00:00Z"  # Monday 11:00 in New York: business hours
    body["subject"] = f"zen:ticket:{ticket_id}"
    body["detail"].update(id=str(ticket_id), updated_at=UPDATED_AT, actor_id=str(author_id), **detail)
    body["event"]["comment"].update(
        id=str(ticket_id * 1000 + 1),
        body=text,
        html_body="",
        is_public=True,
        author={"id": str(author_id), "is_staff": is_staff, "name": "bench"},
    )
    return body


def signed_request(body: dict | bytes, port: int, path: str = "/webhooks/zendesk") -> bytes:
    """One raw HTTP/1.1 keep-alive POST, signed as Zendesk signs it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = signed_headers(SECRET, raw)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(raw)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + raw


# -- load ----------------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _blast(port: int, requests: Sequence[bytes], connections: int, latencies: list[float], statuses: dict):
    next_index = 0

    async def one_connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < len(requests):
                request = requests[next_index]
                next_index += 1
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))


def blast(port: int, requests: Sequence[bytes], connections: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every request over `connections` keep-alive connections as fast as answers come.
    Returns (requests per second, latencies in seconds, answers by status)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    asyncio.run(_blast(port, requests, connections, latencies, statuses))
    return len(requests) / (time.perf_counter() - started), latencies, statuses


def percentile(values: Iterable[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def redis_server_pid(url: str) -> int | None:
    """The pid of the redis-server a bench started for `url` (None for a Redis it did not start)."""
    return _private_redis_pids.get(url)


_private_redis_pids: dict[str, int] = {}


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (readable on a terminal, pasteable into docs/performance.md)."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text
