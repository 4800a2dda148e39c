"""A request body that cannot be decoded is INVALID_ARGUMENT, as the Connect protocol says.

connect-python 0.9's ASGI server lets the decoder's exception through, and reports it as UNKNOWN
(its WSGI server maps it to INVALID_ARGUMENT). `install()` wraps the codecs it looks up by
content type, so both protocols answer INVALID_ARGUMENT naming the expected message; encoding
is untouched. tests/test_gateway_errors.py holds the behaviour to this.
"""

from __future__ import annotations

from typing import Any

from connectrpc import _codec
from connectrpc.code import Code
from connectrpc.errors import ConnectError


class _InvalidArgumentOnDecode:
    def __init__(self, codec: Any) -> None:
        self.codec = codec

    def name(self) -> str:
        return str(self.codec.name())

    def encode(self, message: Any) -> bytes:
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
        if not isinstance(codec, _InvalidArgumentOnDecode):
            registry[name] = _InvalidArgumentOnDecode(codec)
