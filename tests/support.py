"""A real `ner-server` process for tests: started on port 0, its JSON log captured; and the
means to hold its processes still (SIGSTOP) and see what waits for them, so that tests decide
when work may finish instead of racing the machine's speed."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVICE = "ner.v1.NerService"


class LoggedProcess:
    """A child process that logs JSON lines on stdout (stderr joined to it): its log captured by a
    thread of its own, and its port read from its `listening` line, which the constructor waits for."""

    name = "process"
    start_seconds = 60.0
    stop_seconds = 15.0

    def __init__(
        self, command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd
        )
        self.log: list[dict[str, Any]] = []
        self.raw_log: list[str] = []
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._listening.wait(self.start_seconds):
            self.process.kill()
            raise RuntimeError(f"{self.name} did not start listening:\n" + "\n".join(self.raw_log))
        self.port: int = next(entry["port"] for entry in self.log if entry.get("message") == "listening")

    def stop(self, signum: int = signal.SIGTERM, timeout: float | None = None) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(self.stop_seconds if timeout is None else timeout)
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


class ServerProcess(LoggedProcess):
    name = "server"

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        cwd: Path | None = None,
    ) -> None:
        """`credentials`: what `health` connects with to a server that serves TLS; `cwd`: where
        relative paths in `args` are found."""
        self.started = time.monotonic()
        self.credentials = credentials
        super().__init__([sys.executable, "-m", "ner_server", "--port", "0", *args], env=env, cwd=cwd)
        self.address = f"localhost:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def health(self, service: str = SERVICE) -> int:
        if self.credentials is None:
            opened = grpc.insecure_channel(self.address)
        else:
            opened = grpc.secure_channel(self.address, self.credentials)
        with opened as channel:
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

    def fork_server_pid(self) -> int:
        [fork_server] = child_pids(self.pid)
        return fork_server

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the fork server, itself the server's only child."""
        fork_servers = child_pids(self.pid)
        return [pid for fork_server in fork_servers for pid in child_pids(fork_server)]


def recorded_facts(report: Path) -> Iterator[dict[str, Any]]:
    """For a fixture: a dict the tests fill with what they measured, written to `report` as JSON."""
    measured: dict[str, Any] = {}
    yield measured
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(measured, indent=2) + "\n")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except FileNotFoundError:
        return []


def wait_until(condition: Callable[[], object], timeout: float = 60, what: str = "the condition") -> None:
    """Poll until `condition()` is true; an event to wait for, never a guess at how long work takes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.01)


@contextmanager
def stopped(pids: Iterable[int]) -> Iterator[list[int]]:
    """Hold processes still with SIGSTOP for the block, and SIGCONT them however it ends."""
    held = list(pids)
    try:
        for pid in held:
            os.kill(pid, signal.SIGSTOP)
        for pid in held:
            wait_until(lambda pid=pid: _state(pid) in ("T", None), 10, f"process {pid} stopping")
        yield held
    finally:
        for pid in held:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


# sock_diag (linux/sock_diag.h, linux/unix_diag.h): the kernel's report on Unix sockets.
_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY, _NLMSG_ERROR, _NLMSG_DONE = 4, 20, 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_UDIAG_SHOW_RQLEN, _UNIX_DIAG_RQLEN, _ALL_STATES = 0x10, 4, 0xFFFFFFFF


def unread_bytes(pid: int) -> int:
    """Bytes that wait, unread, in the receive queues of the Unix sockets `pid` holds.

    A stopped worker reads nothing, so a count above zero proves that a batch was handed to it:
    its callers are in flight and will stay so until it runs again.
    """
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    request = struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, _ALL_STATES, 0, _UDIAG_SHOW_RQLEN, 0, 0)
    header = struct.pack(
        "=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST | _NLM_F_DUMP, 1, 0
    )
    total = 0
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as netlink:
        netlink.send(header + request)
        while True:
            data, offset = netlink.recv(1 << 16), 0
            while offset < len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == _NLMSG_DONE:
                    return total
                if kind == _NLMSG_ERROR:
                    raise OSError(-struct.unpack_from("=i", data, offset + 16)[0], "sock_diag failed")
                (inode,) = struct.unpack_from("=I", data, offset + 20)  # unix_diag_msg.udiag_ino
                if inode in inodes:
                    total += _receive_queue(data, offset + 32, offset + length)  # after the two headers
                offset += (length + 3) & ~3


def _receive_queue(data: bytes, start: int, end: int) -> int:
    """UNIX_DIAG_RQLEN's first field, found among a message's attributes."""
    while start < end:
        size, kind = struct.unpack_from("=HH", data, start)
        if kind == _UNIX_DIAG_RQLEN:
            return int(struct.unpack_from("=I", data, start + 4)[0])
        start += (size + 3) & ~3
    return 0
