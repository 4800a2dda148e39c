"""`ner-web`: an HTTP gateway to ner.v1.NerService for browsers, curl and any HTTP client.

A client of the gRPC service (the client's channel and stubs; no spaCy) that serves the Connect
protocol and gRPC-Web with connect-python, and the page to try the service on. Needs the `web`
extra. docs/gateway.md describes it.

    cli       flags and NER_WEB_* variables -> GatewaySettings, each checked
    serve     hypercorn on one port, the channel, draining on SIGTERM
    app       which path is served by what; CORS; the page's headers
    forward   each call forwarded to the service, deadline and all
    errors    the service's status and details as Connect errors
    limits    the request body limit
    codecs    undecodable bodies are INVALID_ARGUMENT; compact JSON answers
    health    /healthz from grpc.health.v1
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    from ner_client.web.cli import main as run

    run()
