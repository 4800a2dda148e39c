"""A real `ner-web` process for tests: started on port 0 against a real server, its JSON log
captured; and plain HTTP calls to it (the standard library's client), answers as status,
headers and body."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message as ProtoMessage

from tests.support import LoggedProcess

HOST = "127.0.0.1"


class GatewayProcess(LoggedProcess):
    name = "gateway"
    start_seconds = 30.0
    stop_seconds = 30.0

    def __init__(self, target: str, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "ner_client.web", "--target", target, "--host", HOST, "--port", "0"]
        super().__init__([*command, *args], env=env)
        self.url = f"http://{HOST}:{self.port}"


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
