"""A real HTTP/2 load balancer in front of several `ner-server` instances: nginx with `grpc_pass`.

`Nginx` renders deploy/balancer/nginx.conf into a temporary prefix (its pid file, temp folders
and config live there; nothing under /etc or /var) and runs nginx in the foreground as a child
process, listening on 127.0.0.1. `set_upstreams` rewrites the instance list and reloads nginx
the way an operator would (SIGHUP); it returns once the old worker has stopped taking new calls.

`make balancer N=3` runs `main`: N instances with one worker each behind it, until Ctrl-C.

    .venv/bin/python scripts/balancer.py --instances 3 [--port 50051]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "balancer" / "nginx.conf"
TOOLS_NGINX = ROOT / ".tools" / "bin" / "nginx"


def nginx_binary() -> str | None:
    """nginx from .tools (what `make setup` installs), else from PATH; None when there is none."""
    if TOOLS_NGINX.is_file():
        return str(TOOLS_NGINX)
    return shutil.which("nginx")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Nginx:
    """nginx balancing gRPC calls over `upstreams` (`host:port` each), on 127.0.0.1:`port`.

    `timeout_seconds` is how long a call may go quiet before nginx ends it (its read, send and
    client body timeouts); `keepalive_requests` how many calls a client connection carries
    before nginx sends GOAWAY.
    """

    def __init__(
        self,
        upstreams: Sequence[str],
        *,
        port: int = 0,
        timeout_seconds: float = 3600,
        keepalive_requests: int = 100_000,
        binary: str | None = None,
        log_level: str = "warn",
    ) -> None:
        found = binary or nginx_binary()
        if found is None:
            raise FileNotFoundError("nginx is not installed (make setup puts it into .tools/bin)")
        self.binary = found
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.upstreams = list(upstreams)
        self._fields = {
            "listen": self.address,
            "timeout_ms": str(round(timeout_seconds * 1000)),
            "keepalive_requests": str(keepalive_requests),
            "log_level": log_level,
        }
        self._folder = tempfile.TemporaryDirectory(prefix="ner-balancer-")
        self.prefix = Path(self._folder.name)
        self.config = self.prefix / "nginx.conf"
        self._write_config()
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.prefix), "-c", str(self.config), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._wait_listening()

    def _write_config(self) -> None:
        servers = "\n".join(
            f"        server {upstream} max_fails=1 fail_timeout=30s;" for upstream in self.upstreams
        )
        text = TEMPLATE.read_text(encoding="utf-8")
        for name, value in {**self._fields, "prefix": str(self.prefix), "servers": servers}.items():
            text = text.replace("{{" + name + "}}", value)
        self.config.write_text(text, encoding="utf-8")

    def _wait_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.process.returncode}): {self._stderr()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"nginx did not listen on {self.address}: {self._stderr()}")

    def workers(self) -> list[int]:
        """The worker processes (children of the master)."""
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as handle:
                return [int(pid) for pid in handle.read().split()]
        except FileNotFoundError:
            return []

    def set_upstreams(self, upstreams: Sequence[str], timeout: float = 30) -> None:
        """Route new calls over `upstreams` from now on; calls already open stay where they are."""
        self.upstreams = list(upstreams)
        self._write_config()
        old = set(self.workers())
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        # Done when a new worker runs and every old one has left the listening socket (it is
        # gone, or says it is shutting down in its title: it only finishes the calls it holds).
        while not (set(self.workers()) - old and all(_shutting_down(pid) for pid in old)):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"nginx did not reload: {self._stderr()}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # fast shutdown: open calls are cut
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        self._folder.cleanup()

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(nginx still running)"
        return self.process.stderr.read()


def _shutting_down(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"shutting down" in handle.read()
    except FileNotFoundError:
        return True


def start_instance(metrics_port: int) -> tuple[subprocess.Popen[str], int]:
    """One `ner-server --workers 1` on a free port; its port once it listens."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ner-server"),
            "--port",
            "0",
            "--workers",
            "1",
            "--metrics-port",
            str(metrics_port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        entry = json.loads(line)
        if entry.get("message") == "listening":
            # Its log goes on to this process's stdout, so that the pipe never fills.
            threading.Thread(target=shutil.copyfileobj, args=(server.stdout, sys.stdout), daemon=True).start()
            return server, int(entry["port"])
    raise RuntimeError(f"ner-server exited ({server.wait()}) before listening")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=3, help="ner-server instances (one worker each)")
    parser.add_argument("--port", type=int, default=50051, help="the balancer's port on 127.0.0.1")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    instances: list[subprocess.Popen[str]] = []
    try:
        upstreams = []
        for _ in range(args.instances):
            metrics = free_port()
            server, port = start_instance(metrics)
            instances.append(server)
            upstreams.append(f"127.0.0.1:{port}")
            print(f"instance 127.0.0.1:{port}, metrics http://127.0.0.1:{metrics}/metrics", flush=True)
        nginx = Nginx(upstreams, port=args.port)
        print(f"balancer {nginx.address} (config {nginx.config}); Ctrl-C stops it all", flush=True)
        try:
            nginx.process.wait()  # until Ctrl-C or SIGTERM, or nginx ends by itself
        except KeyboardInterrupt:
            pass
        finally:
            nginx.stop()
    finally:
        for server in instances:
            server.terminate()
        for server in instances:
            server.wait(15)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
