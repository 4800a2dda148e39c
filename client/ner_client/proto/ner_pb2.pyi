from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExtractEntitiesRequest(_message.Message):
    __slots__ = ("text", "labels")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    text: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, text: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class ExtractEntitiesResponse(_message.Message):
    __slots__ = ("entities",)
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    entities: _containers.RepeatedCompositeFieldContainer[Entity]
    def __init__(self, entities: _Optional[_Iterable[_Union[Entity, _Mapping]]] = ...) -> None: ...

class BatchExtractEntitiesRequest(_message.Message):
    __slots__ = ("documents", "labels")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[Document]
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, documents: _Optional[_Iterable[_Union[Document, _Mapping]]] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchExtractEntitiesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[DocumentEntities]
    def __init__(self, results: _Optional[_Iterable[_Union[DocumentEntities, _Mapping]]] = ...) -> None: ...

class StreamExtractEntitiesRequest(_message.Message):
    __slots__ = ("document", "labels")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    document: Document
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, document: _Optional[_Union[Document, _Mapping]] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamExtractEntitiesResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: DocumentEntities
    def __init__(self, result: _Optional[_Union[DocumentEntities, _Mapping]] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetModelInfoResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "spacy_version", "labels", "pipeline", "limits", "workers")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SPACY_VERSION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    spacy_version: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    pipeline: _containers.RepeatedScalarFieldContainer[str]
    limits: Limits
    workers: int
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., spacy_version: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., pipeline: _Optional[_Iterable[str]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., workers: _Optional[int] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_text_chars", "max_batch_documents", "max_message_bytes", "stream_window")
    MAX_TEXT_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    STREAM_WINDOW_FIELD_NUMBER: _ClassVar[int]
    max_text_chars: int
    max_batch_documents: int
    max_message_bytes: int
    stream_window: int
    def __init__(self, max_text_chars: _Optional[int] = ..., max_batch_documents: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., stream_window: _Optional[int] = ...) -> None: ...

class Document(_message.Message):
    __slots__ = ("id", "text")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class DocumentEntities(_message.Message):
    __slots__ = ("id", "entities", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    entities: _containers.RepeatedCompositeFieldContainer[Entity]
    error: DocumentError
    def __init__(self, id: _Optional[str] = ..., entities: _Optional[_Iterable[_Union[Entity, _Mapping]]] = ..., error: _Optional[_Union[DocumentError, _Mapping]] = ...) -> None: ...

class DocumentError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Entity(_message.Message):
    __slots__ = ("text", "label", "start_char", "end_char", "start_byte", "end_byte", "start_token", "end_token", "start_utf16", "end_utf16")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    START_CHAR_FIELD_NUMBER: _ClassVar[int]
    END_CHAR_FIELD_NUMBER: _ClassVar[int]
    START_BYTE_FIELD_NUMBER: _ClassVar[int]
    END_BYTE_FIELD_NUMBER: _ClassVar[int]
    START_TOKEN_FIELD_NUMBER: _ClassVar[int]
    END_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_UTF16_FIELD_NUMBER: _ClassVar[int]
    END_UTF16_FIELD_NUMBER: _ClassVar[int]
    text: str
    label: str
    start_char: int
    end_char: int
    start_byte: int
    end_byte: int
    start_token: int
    end_token: int
    start_utf16: int
    end_utf16: int
    def __init__(self, text: _Optional[str] = ..., label: _Optional[str] = ..., start_char: _Optional[int] = ..., end_char: _Optional[int] = ..., start_byte: _Optional[int] = ..., end_byte: _Optional[int] = ..., start_token: _Optional[int] = ..., end_token: _Optional[int] = ..., start_utf16: _Optional[int] = ..., end_utf16: _Optional[int] = ...) -> None: ...
