"""A real `ner-server` process for tests: started on port 0, its JSON log captured."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICE = "ner.v1.NerService"


class ServerProcess:
    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ner_server", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.log: list[dict[str, Any]] = []
        self.raw_log: list[str] = []
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._listening.wait(60):
            self.process.kill()
            raise RuntimeError("server did not start listening:\n" + "\n".join(self.raw_log))
        self.port = next(entry["port"] for entry in self.log if entry.get("message") == "listening")
        self.address = f"localhost:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def health(self, service: str = SERVICE) -> int:
        with grpc.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status

    def wait_serving(self, timeout: float = 60) -> float:
        """Seconds from process start until health says SERVING."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(self.raw_log))
            if self.health() == health_pb2.HealthCheckResponse.SERVING:
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise TimeoutError("server never reported SERVING:\n" + "\n".join(self.raw_log))

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the fork server, itself the server's only child."""
        fork_servers = child_pids(self.pid)
        return [pid for fork_server in fork_servers for pid in child_pids(fork_server)]

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(5)
        if self.process.stdout:
            self.process.stdout.close()
        return code

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw_log.append(line.rstrip("\n"))
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            self.log.append(entry)
            if entry.get("message") == "listening":
                self._listening.set()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except FileNotFoundError:
        return []
