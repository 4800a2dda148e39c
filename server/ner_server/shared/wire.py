"""Length-prefixed pickle frames between the front process and its model processes.

Both ends are this program's own processes, so pickle carries only trusted data.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")


def encode(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def send(sock: socket.socket, message: Any) -> None:
    sock.sendall(encode(message))


def receive(sock: socket.socket) -> Any:
    """The next message, or None when the other end has closed."""
    header = _read_exactly(sock, _HEADER.size)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    body = _read_exactly(sock, length)
    if body is None:
        return None
    return pickle.loads(body)


async def receive_async(reader: asyncio.StreamReader) -> Any:
    """The next message, or None when the other end has closed."""
    try:
        header = await reader.readexactly(_HEADER.size)
        (length,) = _HEADER.unpack(header)
        return pickle.loads(await reader.readexactly(length))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        try:
            chunk = sock.recv(size - len(buffer))
        except ConnectionError:
            return None
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def send_with_fd(sock: socket.socket, message: Any, fd: int) -> None:
    """Send a message with a file descriptor attached (SCM_RIGHTS)."""
    socket.send_fds(sock, [encode(message)], [fd])


def receive_with_fd(sock: socket.socket) -> tuple[Any, int] | None:
    """The next message and the descriptor sent with it, or None when the other end has closed."""
    data, fds, _flags, _address = socket.recv_fds(sock, _HEADER.size, 1)
    if not data:
        return None
    header = (
        data if len(data) == _HEADER.size else data + (_read_exactly(sock, _HEADER.size - len(data)) or b"")
    )
    (length,) = _HEADER.unpack(header)
    body = _read_exactly(sock, length)
    if body is None or not fds:
        return None
    return pickle.loads(body), fds[0]
