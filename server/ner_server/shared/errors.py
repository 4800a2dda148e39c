"""Domain errors: what went wrong, with the google.rpc code and a message safe to show the caller.

Free of gRPC, so the worker processes (forked from a process that must never load gRPC) raise
and report the same errors as the front. `front.error_status` turns them into gRPC statuses.
"""

from __future__ import annotations

from typing import Any

from google.rpc import code_pb2, error_details_pb2

__all__ = [
    "MALFORMED",
    "DeadlineExceeded",
    "InferenceFailed",
    "InvalidArgument",
    "NerError",
    "Overloaded",
    "Unavailable",
    "error_from",
]

#: Why a request that does not parse is refused (both the front and the workers parse requests).
MALFORMED = "the request is not a valid protobuf message (for example a string field holds invalid UTF-8)"


class NerError(Exception):
    """An error with a google.rpc code (the numbers gRPC status codes use) and a caller-safe message."""

    code: int = code_pb2.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[Any]:
        return []


class InvalidArgument(NerError):
    code = code_pb2.INVALID_ARGUMENT

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description

    def details(self) -> list[Any]:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=self.field, description=self.description
        )
        return [error_details_pb2.BadRequest(field_violations=[violation])]


class Overloaded(NerError):
    code = code_pb2.RESOURCE_EXHAUSTED


class Unavailable(NerError):
    code = code_pb2.UNAVAILABLE


class DeadlineExceeded(NerError):
    code = code_pb2.DEADLINE_EXCEEDED


class InferenceFailed(NerError):
    code = code_pb2.INTERNAL


def error_from(code: int, field: str, description: str) -> NerError:
    """The error a worker reported as parts (exceptions with their own arguments do not pickle)."""
    if field:
        return InvalidArgument(field, description)
    error = NerError(description)
    error.code = code
    return error
