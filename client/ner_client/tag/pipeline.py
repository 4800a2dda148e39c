"""One tagging run: input -> feed -> parallel streams -> ordered writer, with bounded memory.

The reader takes a slot of the `buffer` for every document it hands out and the writer gives it
back once the document is written, so documents queued, in flight and held for reordering
never exceed `buffer`, however large the input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_client.aio import AsyncNerClient
from ner_client.tag.inputs import InputDocument, count_documents, read_documents
from ner_client.tag.outputs import FLUSH_SECONDS, OrderedWriter, Outcome, id_key, scan_written
from ner_client.tag.progress import Progress
from ner_client.tag.retry import ConnectionFailed, wait_for_service
from ner_client.tag.streams import Feed, Job, Stream
from ner_client.types import DocumentResult

#: Room left in a request message for everything but the text.
_MESSAGE_OVERHEAD = 4096


class UsageError(Exception):
    """The command cannot run as asked (unknown labels, --resume onto stdout...)."""


@dataclass(frozen=True)
class TagOptions:
    """Everything a run needs; `cli` fills it from the command line."""

    inputs: tuple[str, ...]
    output: str
    target: str
    tls: bool | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    id_token: bool = False
    labels: tuple[str, ...] = ()
    streams: int = 2
    window: int = 64
    errors: str | None = None
    resume: bool = False
    format: str = "auto"
    keep_text: bool = False
    retry_budget: float = 120.0
    stream_timeout: float = 3600.0
    buffer: int = 0
    progress: bool | None = None
    quiet: bool = False

    @property
    def buffer_size(self) -> int:
        return self.buffer or max(256, 4 * self.streams * self.window)


@dataclass(frozen=True)
class Summary:
    documents: int
    entities: int
    errors: int
    skipped: int
    seconds: float
    #: Times a stream was reconnected.
    reconnects: int
    #: Documents sent again after a transient per-document error (their worker died...).
    retried: int


async def tag(options: TagOptions) -> Summary:
    if options.resume and options.output == "-":
        raise UsageError("--resume needs an output file, not stdout")
    written = scan_written(Path(options.output)) if options.resume else set()
    try:
        # The streams resend unanswered documents themselves: no retries by gRPC.
        client = AsyncNerClient(
            options.target,
            tls=options.tls,
            ca_file=options.ca_file,
            cert_file=options.cert_file,
            key_file=options.key_file,
            id_token=options.id_token,
            retries=False,
        )
    except ValueError as error:  # for example an ID token over plaintext
        raise UsageError(str(error)) from None
    except OSError as error:  # a TLS file that cannot be read
        raise UsageError(f"cannot read {error.filename}: {error.strerror}") from None
    try:
        info = await wait_for_service(client, options.retry_budget)
        unknown = sorted(set(options.labels) - set(info.labels))
        if unknown:
            raise UsageError(f"unknown labels {', '.join(unknown)}; the model has {', '.join(info.labels)}")
        total = count_documents(options.inputs, options.format) if _bar_wanted(options) else None
        progress = Progress(total, len(written), options.progress, options.quiet)
        writer = OrderedWriter(options.output, _errors_path(options), append=options.resume)
        try:
            run = _Run(options, info.limits.max_message_bytes, writer, progress)
            streams = await run.go(client, written)
        finally:
            writer.close()
            progress.close()
        return Summary(
            documents=progress.documents,
            entities=progress.entities,
            errors=progress.errors,
            skipped=run.skipped,
            seconds=progress.seconds,
            reconnects=sum(stream.reconnects for stream in streams),
            retried=sum(stream.retried for stream in streams),
        )
    finally:
        await client.close()


def _bar_wanted(options: TagOptions) -> bool:
    return not options.quiet and (sys.stderr.isatty() if options.progress is None else options.progress)


def _errors_path(options: TagOptions) -> str:
    if options.errors:
        return options.errors
    return "-" if options.output == "-" else options.output + ".errors.jsonl"


class _Run:
    """One run's moving parts: the feed, the buffer slots, the streams, the ordered writer."""

    def __init__(
        self, options: TagOptions, max_message_bytes: int, writer: OrderedWriter, progress: Progress
    ) -> None:
        self.options = options
        self.max_bytes = max(0, max_message_bytes - _MESSAGE_OVERHEAD)
        self.writer = writer
        self.progress = progress
        self.slots = asyncio.Semaphore(options.buffer_size)
        self.feed = Feed()
        self.skipped = 0

    async def go(self, client: AsyncNerClient, written: set[str]) -> list[Stream]:
        streams = [
            Stream(
                str(number),
                client,
                self.feed,
                self._on_answer,
                labels=self.options.labels,
                window=self.options.window,
                stream_timeout=self.options.stream_timeout,
                retry_budget=self.options.retry_budget,
                notice=self.progress.notice,
            )
            for number in range(1, self.options.streams + 1)
        ]
        flusher = asyncio.create_task(self._flush_now_and_then())
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read(written))
                for stream in streams:
                    group.create_task(stream.run())
        except ExceptionGroup as group:
            failures = group.subgroup(ConnectionFailed)
            if failures is None:
                raise
            raise failures.exceptions[0] from None
        finally:
            flusher.cancel()
        return streams

    async def _flush_now_and_then(self) -> None:
        """Flush written lines even while no new answers arrive (a slow stdin, a reconnecting stream)."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.writer.flush()

    async def _read(self, written: set[str]) -> None:
        sequence = 0
        async for document in _documents(self.options):
            if written and id_key(document.id_value) in written:
                self.skipped += 1
                continue
            await self.slots.acquire()
            if document.error is None and self.max_bytes and len(document.text) * 4 > self.max_bytes:
                size = len(document.text.encode("utf-8"))
                if size > self.max_bytes:
                    document.error = (
                        f"{size} bytes of text; the server takes messages up to {self.max_bytes} bytes"
                    )
            if document.error is not None:
                error = {"id": document.id_value, "code": "INVALID_ARGUMENT", "message": document.error}
                self._finish(sequence, Outcome(error=error))
            else:
                self.feed.put(Job(sequence, document))
            sequence += 1
        self.feed.end()

    def _on_answer(self, job: Job, result: DocumentResult) -> None:
        document = job.document
        if result.error is not None:
            error = {"id": document.id_value, "code": result.error.code.name, "message": result.error.message}
            self._finish(job.sequence, Outcome(error=error))
            return
        row: dict[str, Any] = {
            "id": document.id_value,
            "entities": [entity.as_dict() for entity in result.entities],
        }
        row.update(document.extra)
        line = json.dumps(row, ensure_ascii=False) + "\n"
        self._finish(job.sequence, Outcome(line=line, entities=len(result.entities)))

    def _finish(self, sequence: int, outcome: Outcome) -> None:
        for _ in range(self.writer.put(sequence, outcome)):
            self.slots.release()
        writer = self.writer
        self.progress.update(writer.written + writer.failed, writer.entities, writer.failed)


async def _documents(options: TagOptions) -> AsyncIterator[InputDocument]:
    """The input documents; stdin is read in a thread so a slow pipe never stalls the streams."""
    documents: Iterator[InputDocument] = read_documents(options.inputs, options.format, options.keep_text)
    if "-" not in options.inputs:
        for document in documents:
            yield document
        return
    while (arrived := await asyncio.to_thread(_next, documents)) is not None:
        yield arrived


def _next(documents: Iterator[InputDocument]) -> InputDocument | None:
    return next(documents, None)
