"""The codecs connect-python looks up by content type, adjusted for the gateway:

- a request body that cannot be decoded is INVALID_ARGUMENT, as the Connect protocol says.
  connect-python 0.9's ASGI server lets the decoder's exception through and reports it as
  UNKNOWN (its WSGI server maps it to INVALID_ARGUMENT);
- JSON answers are written compactly, by the standard library's C encoder: the library's own
  (`MessageToJson`, indented) takes Python's slower pure-Python path, a large share of the
  gateway's CPU per call on answers with many entities. The JSON mapping is the same.

`install()` wraps the registered codecs once. tests/test_gateway_errors.py holds the behaviour.
"""

from __future__ import annotations

import json
from typing import Any

from connectrpc import _codec
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf.json_format import MessageToDict


class _GatewayCodec:
    def __init__(self, codec: Any) -> None:
        self.codec = codec
        self.json = codec.name() == "json"

    def name(self) -> str:
        return str(self.codec.name())

    def encode(self, message: Any) -> bytes:
        if self.json:
            return json.dumps(MessageToDict(message), ensure_ascii=False, separators=(",", ":")).encode()
        return bytes(self.codec.encode(message))

    def decode(self, data: bytes | bytearray, message: Any) -> Any:
        try:
            return self.codec.decode(data, message)
        except Exception as error:  # noqa: BLE001 - every decoder failure is the caller's bad body
            expected = message.DESCRIPTOR.full_name
            raise ConnectError(
                Code.INVALID_ARGUMENT, f"the request body is not a {expected} in {self.name()}: {error}"
            ) from None


def install() -> None:
    """Wrap every registered codec once (idempotent)."""
    registry: dict[str, Any] = _codec._codecs
    for name, codec in list(registry.items()):
        if not isinstance(codec, _GatewayCodec):
            registry[name] = _GatewayCodec(codec)
