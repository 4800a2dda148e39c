"""A real `ner-web` process for tests: started on port 0 against a real server, its JSON log
captured; and plain HTTP calls to it (the standard library's client), answers as status,
headers and body."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message as ProtoMessage

HOST = "127.0.0.1"


class GatewayProcess:
    def __init__(self, target: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ner_client.web",
                "--target",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *args,
            ],
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
        if not self._listening.wait(30):
            self.process.kill()
            raise RuntimeError("gateway did not start listening:\n" + "\n".join(self.raw_log))
        self.port = next(entry["port"] for entry in self.log if entry.get("message") == "listening")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
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


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> Answer:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def post_json(gateway: GatewayProcess, method: str, message: dict[str, Any], **headers: str) -> Answer:
    all_headers = {"Content-Type": "application/json", **headers}
    return http(f"{gateway.url}/ner.v1.NerService/{method}", json.dumps(message).encode(), all_headers)


def parsed(answer_json: Any, message_type: type[ProtoMessage]) -> ProtoMessage:
    """A JSON answer as the response message, to compare with what gRPC returned."""
    return json_format.ParseDict(answer_json, message_type())
