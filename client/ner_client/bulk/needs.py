"""What the bulk engine needs of a client: `StreamingClient`, which `AsyncNerClient` is.

The engine depends on this protocol rather than on `ner_client.aio`, so that the asyncio client can
import the engine (for `tag_all`) without the two importing each other.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Sequence
from typing import Protocol

from ner_client.types import Document, DocumentResult, ModelInfo


class StreamingClient(Protocol):
    #: `host:port` or a URL: what the user is told cannot be reached.
    target: str

    def stream(
        self,
        texts: Iterable[str | Document] | AsyncIterable[str | Document],
        labels: Sequence[str] = (),
        *,
        timeout: float | None = None,
    ) -> AsyncGenerator[DocumentResult]: ...

    async def model_info(self, *, timeout: float | None = None) -> ModelInfo: ...
