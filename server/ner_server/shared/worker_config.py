"""How the model processes run: `WorkerConfig`, built once from the front's settings and sent to
the fork server as its first message; the choices the settings offer for it; and the environment
the model processes start with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MATMULS", "MODEL_PROCESS_ENV", "PIPELINES", "WorkerConfig"]

PIPELINES = ("entities", "full")
#: How the model's layers multiply matrices: through numpy (its BLAS, OpenBLAS in numpy's wheels,
#: which picks kernels for the CPU it finds) or through blis (spaCy's default).
MATMULS = ("numpy", "blis")
#: The environment a process that runs the model starts with (glibc reads it only at the start).
#: Each such process runs on one CPU, so one BLAS thread. And malloc keeps what a batch frees: by
#: default glibc hands the top of its heap back to the kernel past a threshold that follows the
#: blocks freed, and every batch of 15 long documents faulted its arrays in anew (about 20,000
#: zeroed pages a batch), which made it cost more per document than a batch of 7. Blocks under
#: 32 MiB come from the heap, and up to 512 MiB free at its top stays.
MODEL_PROCESS_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(512 * 1024 * 1024),
}


@dataclass(frozen=True)
class WorkerConfig:
    """What the fork server and its workers need to know (`front.settings.Settings` describes each
    field for the user)."""

    #: An installed model package name or a model directory.
    model: str
    #: One of PIPELINES.
    pipeline: str
    #: One of MATMULS.
    matmul: str
    #: Python files imported before the model loads, for custom components.
    code: tuple[str, ...]
    #: Words each worker keeps from the first texts it sees (`worker.recognizer.Recognizer`).
    keep_words: int
    #: Longest accepted text, in code points.
    max_text_chars: int
    #: Level of the JSON log.
    log_level: str
    #: Seconds an idle worker polls for its next batch before it sleeps.
    spin_seconds: float
    #: Niceness of the workers.
    nice: int
