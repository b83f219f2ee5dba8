"""Start real processes (gunicorn, rq worker, redis-server, escalator serve) for tests."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def procfile_command(name: str) -> list[str]:
    """The Procfile's command for process type `name`, as argv."""
    for line in (REPO / "Procfile").read_text().splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == name:
            return shlex.split(command.strip())
    raise KeyError(name)


def process_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ESCALATOR_", "REDIS_URL"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop(), the process outlives __init__)
        self.popen = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def events(self, name: str) -> list[dict]:
        """The JSON log lines (the default when not on a terminal) whose event is `name`."""
        found = []
        for line in self.output().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line of another program's (redis-server, a crash's traceback)
            if isinstance(record, dict) and record.get("event") == name:
                found.append(record)
        return found

    def wait_for_event(self, name: str, where: Callable[[dict], bool] = lambda _: True, timeout: float = 20) -> dict:
        """The first JSON log line named `name` for which `where` holds, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [record for record in self.events(name) if where(record)]
            if found:
                return found[0]
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        raise TimeoutError(f"no {name} line as expected in {timeout} s:\n{self.output()}")

    def wait_for_url(self, url: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"process exited with {self.popen.returncode}:\n{self.output()}")
            try:
                if requests.get(url, timeout=1).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{url} did not answer in {timeout} s:\n{self.output()}")

    def wait_for_output(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        raise TimeoutError(f"{text!r} not seen in {timeout} s:\n{self.output()}")

    def stop(self, timeout: float = 10) -> int:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()
        return self.popen.returncode


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("redis-server is not installed (.ci/run installs it)")
    return found


class RedisServer:
    """A redis-server of the test's own on a free port, in `directory`: to stop, kill, hang
    (SIGSTOP) and restart, which the shared server must never be. Started without persistence
    unless `options` say otherwise (`appendonly="yes"`)."""

    def __init__(self, directory: Path, **options: str):
        from tests.helpers import free_port

        self.directory = directory
        self.port = free_port()
        self.options = {"save": "", "appendonly": "no", **options}
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.starts = 0

    def start(self) -> RedisServer:
        import redis

        self.starts += 1
        argv = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        for name, value in self.options.items():
            argv += [f"--{name.replace('_', '-')}", value]
        self.process = Process(argv, env={}, log_path=self.directory / f"redis-{self.starts}.log")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return self
            except redis.BusyLoadingError:
                pass  # loading its append-only file
            except redis.ConnectionError:
                if self.process.popen.poll() is not None:
                    break
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start:\n{self.process.output()}")

    @property
    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=5)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        os.kill(self.process.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL: no last write to disk, as an out-of-memory kill or a lost machine."""
        assert self.process is not None
        self.signal(signal.SIGKILL)
        self.process.popen.wait()
        self.process.stop()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.popen.poll() is None:
                self.signal(signal.SIGCONT)  # a hung server would not hear SIGTERM
            self.process.stop()
