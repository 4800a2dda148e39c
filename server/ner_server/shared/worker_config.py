"""How the model processes run: the choices the front's settings offer for them, and the
environment they start with."""

from __future__ import annotations

__all__ = ["MATMULS", "MODEL_PROCESS_ENV", "PIPELINES"]

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
