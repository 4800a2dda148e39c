"""One tagging run: input (less what `--resume` finds written) -> the bulk engine -> the writer.

The engine (`ner_client.bulk`) streams, heals, rolls over and orders; memory stays bounded
by `--buffer` documents, however large the input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from ner_client.aio import AsyncNerClient
from ner_client.bulk import BulkSettings, Engine
from ner_client.bulk.retry import wait_for_service
from ner_client.tag.background import read_in_background
from ner_client.tag.inputs import InputDocument, count_documents, read_documents
from ner_client.tag.outputs import FLUSH_SECONDS, Outcome, Writer, id_key, scan_written
from ner_client.tag.progress import Progress
from ner_client.types import Document, DocumentError, DocumentResult


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
    bulk: BulkSettings = field(default_factory=BulkSettings)
    errors: str | None = None
    resume: bool = False
    format: str = "auto"
    keep_text: bool = False
    progress: bool | None = None
    quiet: bool = False
    #: (K, N): only the K-th of N contiguous parts of the input (1-based); None is all of it.
    shard: tuple[int, int] | None = None


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
    #: Calls ended on purpose after --stream-documents or --stream-seconds, each replaced by a new one.
    rollovers: int = 0


async def tag(options: TagOptions) -> Summary:
    if options.resume and options.output == "-":
        raise UsageError("--resume needs an output file, not stdout")
    if options.shard and "-" in options.inputs:
        raise UsageError("--shard needs input files: stdin cannot be counted to be split")
    written = scan_written(Path(options.output)) if options.resume else set()
    part = _part(options)
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
    total = count_documents(options.inputs, options.format) if _bar_wanted(options) else None
    if total is not None and part is not None:
        total = int(min(total, part[1]) - part[0])
    progress = Progress(total, len(written), options.progress, options.quiet)
    try:
        info = await wait_for_service(client, options.bulk.retry_budget, progress)
        unknown = sorted(set(options.labels) - set(info.labels))
        if unknown:
            raise UsageError(f"unknown labels {', '.join(unknown)}; the model has {', '.join(info.labels)}")
        writer = Writer(options.output, errors_path(options), append=options.resume)
        engine: Engine[InputDocument] = Engine(
            client, options.bulk, options.labels, info.limits.max_message_bytes, progress
        )
        try:
            run = _Run(options, writer, progress)
            await run.go(engine, written, part)
        finally:
            writer.close()
        return Summary(
            documents=progress.documents,
            entities=progress.entities,
            errors=progress.errors,
            skipped=run.skipped,
            seconds=progress.seconds,
            reconnects=engine.reconnects,
            retried=engine.retried,
            rollovers=engine.rollovers,
        )
    finally:
        progress.close()
        await client.close()


def _part(options: TagOptions) -> tuple[int, float] | None:
    """The positions `[start, end)` of the input documents this shard tags.

    The parts split the count of input lines; the last part runs to the end of the input, so
    the parts cover every document once even where a blank line was counted.
    """
    if options.shard is None:
        return None
    number, parts = options.shard
    total = count_documents(options.inputs, options.format) or 0
    end = float("inf") if number == parts else total * number // parts
    return total * (number - 1) // parts, end


def _bar_wanted(options: TagOptions) -> bool:
    return not options.quiet and (sys.stderr.isatty() if options.progress is None else options.progress)


def errors_path(options: TagOptions) -> str:
    if options.errors:
        return options.errors
    return "-" if options.output == "-" else options.output + ".errors.jsonl"


class _Run:
    """One run: the input (less what is already written) through the engine to the writer."""

    def __init__(self, options: TagOptions, writer: Writer, progress: Progress) -> None:
        self.options = options
        self.writer = writer
        self.progress = progress
        self.skipped = 0

    async def go(
        self, engine: Engine[InputDocument], written: set[str], part: tuple[int, float] | None
    ) -> None:
        flusher = asyncio.create_task(self._flush_now_and_then())
        try:
            async for document, result in engine.results(self._unwritten(written, part), _prepare):
                self.writer.put(_outcome(document, result))
                writer = self.writer
                self.progress.update(writer.written + writer.failed, writer.entities, writer.failed)
        finally:
            flusher.cancel()

    async def _flush_now_and_then(self) -> None:
        """Flush written lines even while no new answers arrive (a slow stdin, a reconnecting stream)."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.writer.flush()

    async def _unwritten(
        self, written: set[str], part: tuple[int, float] | None
    ) -> AsyncIterator[InputDocument]:
        start, end = part or (0, float("inf"))
        position = -1
        async for document in _documents(self.options):
            position += 1
            if position < start:
                continue
            if position >= end:
                break
            if written and id_key(document.id_value) in written:
                self.skipped += 1
                continue
            yield document


def _prepare(document: InputDocument, position: int) -> Document | DocumentResult:
    if document.error is not None:
        error = DocumentError(grpc.StatusCode.INVALID_ARGUMENT, document.error)
        return DocumentResult(document.id, (), error)
    return Document(document.id, document.text)


def _outcome(document: InputDocument, result: DocumentResult) -> Outcome:
    if result.error is not None:
        error = {"id": document.id_value, "code": result.error.code.name, "message": result.error.message}
        return Outcome(error=error)
    row: dict[str, Any] = {
        "id": document.id_value,
        "entities": [entity.as_dict() for entity in result.entities],
    }
    row.update(document.extra)
    return Outcome(line=json.dumps(row, ensure_ascii=False) + "\n", entities=len(result.entities))


async def _documents(options: TagOptions) -> AsyncIterator[InputDocument]:
    """The input documents; stdin is read on a thread of its own so a slow pipe never stalls the
    streams, and a pipe left open never holds up the end of a cancelled run."""
    documents: Iterator[InputDocument] = read_documents(options.inputs, options.format, options.keep_text)
    if "-" not in options.inputs:
        for document in documents:
            yield document
        return
    async for document in read_in_background(documents):
        yield document
