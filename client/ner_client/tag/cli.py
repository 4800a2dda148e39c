"""`ner-tag`: the command line, and its exit status.

Exit status: 0 every document tagged, 1 some documents failed (see the errors file),
2 a usage error or no connection to the service within the retry budget.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from ner_client.bulk import BulkSettings, ConnectionFailed
from ner_client.tag import flag_types
from ner_client.tag.inputs import FORMATS, check_inputs
from ner_client.tag.outputs import check_outputs, something_written
from ner_client.tag.pipeline import Summary, TagOptions, UsageError, errors_path, tag

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Tag documents with named entities through ner.v1.NerService, streaming them over parallel
gRPC streams. Output is JSONL {"id", "entities", <other input fields>} in input order.
Each stream is ended cleanly and replaced every --stream-seconds, so a load balancer spreads
the job over instances added while it runs. Broken streams are reconnected and only unanswered
documents are sent again; --resume continues an interrupted run from its output file."""


def parser() -> argparse.ArgumentParser:
    defaults = BulkSettings()
    p = argparse.ArgumentParser(prog="ner-tag", description=DESCRIPTION)
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="JSONL file, text file, directory, or - for stdin"
    )
    p.add_argument("-t", "--target", required=True, help="host:port, or https://NAME.run.app (TLS on 443)")
    p.add_argument("-o", "--output", required=True, help="output JSONL file, or - for stdout")
    p.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="use TLS for a host:port target (default: TLS only for an https:// target)",
    )
    p.add_argument(
        "--ca-file",
        help="PEM CA certificates that sign the server's certificate (implies --tls; default: the "
        "system's roots)",
    )
    p.add_argument("--cert-file", help="PEM client certificate chain, for mutual TLS (with --key-file)")
    p.add_argument("--key-file", help="PEM key of --cert-file")
    p.add_argument(
        "--id-token", action="store_true", help="send a Google ID token (private Cloud Run; needs [auth])"
    )
    p.add_argument(
        "--labels",
        action="append",
        default=[],
        help="only these labels, comma-separated (repeatable; default: every label of the model)",
    )
    p.add_argument(
        "--streams",
        type=flag_types.count(1),
        default=defaults.streams,
        help="parallel streams; at least one per instance to use (default: %(default)s)",
    )
    p.add_argument(
        "--window",
        type=flag_types.count(1),
        default=defaults.window,
        help="documents in flight per stream (default: %(default)s)",
    )
    p.add_argument("--errors", help="errors JSONL file (default: OUTPUT.errors.jsonl, or stderr for stdout)")
    p.add_argument(
        "--resume", action="store_true", help="skip documents whose id is already in OUTPUT; append"
    )
    p.add_argument(
        "--shard",
        type=flag_types.shard,
        metavar="K/N",
        help="tag only the K-th of N contiguous parts of the input (files, not stdin), so that N "
        "processes share one input; each has its own --output and --resume",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="input format; auto goes by file suffix (default: %(default)s)",
    )
    p.add_argument("--keep-text", action="store_true", help="copy the input text into the output too")
    p.add_argument(
        "--retry-timeout",
        type=flag_types.seconds(zero=True, forever=True),
        default=defaults.retry_budget,
        help="give up after this many seconds without progress; inf never (default: %(default)g)",
    )
    p.add_argument(
        "--stream-timeout",
        type=flag_types.seconds(zero=False, forever=False),
        default=defaults.stream_timeout,
        help="deadline of one stream, in seconds (default: %(default)g)",
    )
    p.add_argument(
        "--stream-seconds",
        type=flag_types.seconds(zero=True, forever=False),
        default=defaults.stream_seconds,
        help="end each stream cleanly after this many seconds and open a new one, routed afresh; "
        "0 never (default: %(default)g)",
    )
    p.add_argument(
        "--stream-documents",
        type=flag_types.count(0),
        default=defaults.stream_documents,
        help="end each stream cleanly after this many documents and open a new one; 0 never "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--buffer",
        type=flag_types.count(0),
        default=defaults.buffer,
        help="most documents queued, in flight or held for ordering; 0 is 4 windows per stream, at "
        "least 256 (default: %(default)s)",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="always show the progress bar (default: when stderr is a terminal)",
    )
    bar.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show the progress bar"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no bar, notices or summary")
    return p


def options_from(args: argparse.Namespace) -> TagOptions:
    labels = tuple(label.strip() for group in args.labels for label in group.split(",") if label.strip())
    return TagOptions(
        inputs=tuple(args.inputs),
        output=args.output,
        target=args.target,
        tls=args.tls,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        id_token=args.id_token,
        labels=labels,
        bulk=BulkSettings(
            streams=args.streams,
            window=args.window,
            stream_documents=args.stream_documents,
            stream_seconds=args.stream_seconds,
            stream_timeout=args.stream_timeout,
            retry_budget=args.retry_timeout,
            buffer=args.buffer,
        ),
        errors=args.errors,
        resume=args.resume,
        format=args.format,
        keep_text=args.keep_text,
        progress=args.progress,
        shard=args.shard,
        quiet=args.quiet,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    options = options_from(p.parse_args(argv))
    problem = (
        check_inputs(options.inputs)
        or check_outputs(options.output, errors_path(options), options.resume)
        or _check_auth(options)
    )
    if problem:
        p.error(problem)
    try:
        summary = asyncio.run(_run(options))
    except UsageError as error:
        p.error(str(error))
    except ConnectionFailed as error:
        print(f"ner-tag: cannot reach {options.target}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if something_written(options.output):
            print("ner-tag: interrupted; run again with --resume to continue", file=sys.stderr)
        else:
            print("ner-tag: interrupted before any document was written", file=sys.stderr)
        return 130
    if not options.quiet:
        rate = summary.documents / summary.seconds if summary.seconds > 0 else 0.0
        skipped = f", {summary.skipped} skipped (already written)" if summary.skipped else ""
        reconnects = f", {summary.reconnects} reconnects" if summary.reconnects else ""
        reconnects += f", {summary.retried} retried" if summary.retried else ""
        reconnects += f", {summary.rollovers} roll-overs" if summary.rollovers else ""
        print(
            f"ner-tag: {summary.documents} documents, {summary.entities} entities, {summary.errors} errors"
            f"{skipped}{reconnects}, {summary.seconds:.1f} s, {rate:.1f} docs/s",
            file=sys.stderr,
        )
    return EXIT_SOME_FAILED if summary.errors else EXIT_OK


async def _run(options: TagOptions) -> Summary:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await tag(options)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _check_auth(options: TagOptions) -> str | None:
    if not options.id_token:
        return None
    try:
        import google.auth  # noqa: F401
    except ImportError:
        return "--id-token needs google-auth: pip install 'ner-grpc-client[auth]'"
    return None
