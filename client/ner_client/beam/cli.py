"""`python -m ner_client.beam`: files in, sharded JSON lines out, on any Beam runner.

    python -m ner_client.beam --input 'corpus/*.jsonl' --output out/tagged --errors out/errors \
        --target localhost:50051 [--labels PERSON,ORG] [Beam options: --runner DataflowRunner ...]

Writes `PREFIX-00000-of-0000N.jsonl` shards of `ner-tag`'s records, and the dead letters to the
`--errors` shards. Without `--runner` it runs on the FnApiRunner, the local runner the
DirectRunner falls back to once it fails to fetch the Prism runner; `--direct_num_workers N
--direct_running_mode multi_processing` spread it over N processes.

Exit status: 0 the pipeline finished (dead letters or not), 2 a usage error or a service that
stayed unreachable for the retry budget (one line on stderr says which), 1 any other failure.
The last line on stderr counts documents, entities, failed documents and retries.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult

from ner_client.beam.connection import ConnectionSettings
from ner_client.beam.handler import NAMESPACE
from ner_client.beam.reading import FORMATS, UNREADABLE, ReadDocuments, missing
from ner_client.beam.transform import FAILED, TagEntities

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_RUNNER = "FnApiRunner"
COUNTERS = ("documents", "entities", "failed_documents", "retries")
_UNREACHABLE = re.compile(r"ServiceUnreachable: (.*?)(?: \[while running .*)?$", re.M)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ner_client.beam",
        description="Tag documents with named entities through ner.v1.NerService in an Apache Beam "
        "pipeline. Options not listed here are Beam pipeline options.",
    )
    p.add_argument("--input", action="append", required=True, help="file pattern (repeatable; gs:// too)")
    p.add_argument("--output", required=True, help="prefix of the output shards")
    p.add_argument("--errors", required=True, help="prefix of the dead-letter shards")
    p.add_argument("--target", required=True, help="host:port, or https://NAME.run.app (TLS on 443)")
    p.add_argument("--format", choices=FORMATS, default="auto", help="input format; auto goes by suffix")
    p.add_argument("--labels", action="append", default=[], help="only these labels, comma-separated")
    p.add_argument("--tls", action="store_true", default=None, help="use TLS for a host:port target")
    p.add_argument("--ca-file", help="PEM CA certificates that sign the server's certificate")
    p.add_argument("--cert-file", help="PEM client certificate chain, for mutual TLS (with --key-file)")
    p.add_argument("--key-file", help="PEM key of --cert-file")
    p.add_argument("--id-token", action="store_true", help="send the workers' Google ID token")
    p.add_argument("--timeout", type=float, default=60.0, help="deadline of one call, in seconds")
    p.add_argument(
        "--retry-budget", type=float, default=120.0, help="fail after this many seconds with no answer"
    )
    p.add_argument("--batch-documents", type=int, default=256, help="most documents in one call")
    p.add_argument("--batch-bytes", type=int, default=1 << 20, help="most text bytes in one call")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args, beam_args = parser().parse_known_args(argv)
    if not any(arg == "--runner" or arg.startswith("--runner=") for arg in beam_args):
        beam_args = ["--runner", DEFAULT_RUNNER, *beam_args]
    if (problem := missing(args.input)) is not None:
        return _usage(problem)
    settings = ConnectionSettings(
        target=args.target,
        tls=args.tls,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        id_token=args.id_token,
        timeout=args.timeout,
        retry_budget=args.retry_budget,
    )
    labels = [label for group in args.labels for label in group.split(",") if label]
    pipeline = beam.Pipeline(options=PipelineOptions(beam_args))
    documents, unreadable = [], []
    for number, pattern in enumerate(args.input):
        read = pipeline | f"Read{number}" >> ReadDocuments(pattern, args.format)
        documents.append(read.documents)
        unreadable.append(read[UNREADABLE])
    tagged = (
        documents
        | "Documents" >> beam.Flatten()
        | "TagEntities"
        >> TagEntities(settings, labels, batch_documents=args.batch_documents, batch_bytes=args.batch_bytes)
    )
    _write(tagged.tagged, "Output", args.output)
    _write([*unreadable, tagged[FAILED]] | "DeadLetters" >> beam.Flatten(), "Errors", args.errors)
    try:
        result = pipeline.run()
        result.wait_until_finish()
    except Exception as error:  # the runner's report of a failed pipeline
        found = _UNREACHABLE.search(str(error))
        if found is None:
            raise
        return _usage(found[1])
    print(f"ner_client.beam: {_summary(result)}", file=sys.stderr)
    return EXIT_OK


def _summary(result: PipelineResult) -> str:
    """The transform's counters, summed over the workers: `3000 documents, 9000 entities, ...`."""
    counts = dict.fromkeys(COUNTERS, 0)
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        if counter.key.metric.name in counts:
            counts[counter.key.metric.name] += counter.committed or 0
    return ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())


def _write(records: beam.PCollection, name: str, prefix: str) -> None:
    (
        records
        | f"{name}Lines" >> beam.Map(lambda record: json.dumps(record, ensure_ascii=False))
        | f"Write{name}" >> beam.io.WriteToText(prefix, file_name_suffix=".jsonl")
    )


def _usage(message: str) -> int:
    print(f"ner_client.beam: {message}", file=sys.stderr)
    return EXIT_USAGE
