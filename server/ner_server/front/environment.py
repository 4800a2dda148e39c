"""The environment variables around `ner-server`: the one each setting reads (NER_<FIELD>, and
PORT), the project's other NER_* variables, which the server leaves alone, and any other NER_* name,
which is likely a typo of a setting's."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = ["OTHER_PREFIXES", "OTHER_VARIABLES", "unknown_variables", "variable_names"]

#: NER_* variables that other parts of the project read, not the server.
OTHER_VARIABLES = {
    "NER_CORPUS_DIR": "where the tests and benchmarks find their corpora",
    "NER_ADDRESS": "the server the Go and TypeScript clients' tests call",
    "NER_EXPECTED": "the answers the Go and TypeScript clients' tests expect",
    "NER_CA_FILE": "the CA file of the Go and TypeScript clients",
    "NER_CERT_FILE": "the client certificate of the Go and TypeScript clients",
    "NER_KEY_FILE": "the client key of the Go and TypeScript clients",
    "NER_IMAGE_TEST": "runs the container image's tests (make image-test)",
    "NER_IMAGE_STATE": "where the image tests keep podman's state",
    "NER_GRPC": "the docs' name for the repository's root",
}
#: Prefixes of NER_* variables that other programs of the project read.
OTHER_PREFIXES = {"NER_WEB_": "the ner-web gateway's settings"}


def variable_names(field: str) -> tuple[str, ...]:
    """The variables a setting reads, the first one set winning: PORT (as on Cloud Run), then
    NER_PORT, for the port; NER_<FIELD> for every other setting."""
    return ("PORT", "NER_PORT") if field == "port" else (f"NER_{field.upper()}",)


def unknown_variables(environ: Mapping[str, str], fields: Iterable[str]) -> list[tuple[str, str | None]]:
    """Each NER_* variable in `environ` that nothing in the project reads, with the setting's
    variable it most resembles (or None)."""
    known = [name for field in fields for name in variable_names(field)]
    unknown = []
    for name in sorted(environ):
        if not name.startswith("NER_") or name in known or name in OTHER_VARIABLES:
            continue
        if name.startswith(tuple(OTHER_PREFIXES)):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        unknown.append((name, close[0] if close else None))
    return unknown
