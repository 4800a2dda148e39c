"""Generate the Python protobuf and gRPC modules from `protos/` into the client package.

Usage: python scripts/generate_protos.py [OUTPUT_DIR]

The stubs are written by a pinned generator, grpcio-tools 1.75 (gencode 6.31.1), so that they
import on every protobuf the client accepts: 6.31.1 and later, 7 included (protobuf 7 takes
older-major gencode). That generator needs protobuf below 7 and the server needs 7, so it lives in
an environment of its own, `build/protoc-env`, made here on first use (`make setup` makes it too).

protoc writes absolute imports (`from ner.v1 import ner_pb2`); they are rewritten to the
package the modules live in, so the generated code needs no top-level `ner` package.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PROTO_FILE = "ner/v1/ner.proto"
DEFAULT_OUTPUT = ROOT / "client" / "ner_client" / "proto"
PACKAGE = "ner_client.proto"
GENERATED = ("ner_pb2.py", "ner_pb2.pyi", "ner_pb2_grpc.py")
#: The generator and the protobuf it runs on; the gencode version follows grpcio-tools' protoc.
GENERATOR = ("grpcio-tools==1.75.1", "protobuf==6.31.1")
ENVIRONMENT = ROOT / "build" / "protoc-env"


def generator_python() -> Path:
    """The throwaway environment's interpreter, the pinned generator installed (once)."""
    python = ENVIRONMENT / "bin" / "python"
    stamp = ENVIRONMENT / ".installed"
    if not stamp.exists() or stamp.read_text() != " ".join(GENERATOR):
        venv.create(ENVIRONMENT, with_pip=True, clear=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *GENERATOR], check=True)
        stamp.write_text(" ".join(GENERATOR))
    return python


def generate(output: Path) -> None:
    python = generator_python()
    with tempfile.TemporaryDirectory() as scratch:
        completed = subprocess.run(
            [
                python,
                "-m",
                "grpc_tools.protoc",
                f"-I{PROTO_ROOT}",
                f"--python_out={scratch}",
                f"--pyi_out={scratch}",
                f"--grpc_python_out={scratch}",
                PROTO_FILE,
            ]
        )
        if completed.returncode != 0:
            raise SystemExit(f"protoc failed with status {completed.returncode}")
        output.mkdir(parents=True, exist_ok=True)
        for name in GENERATED:
            source = (Path(scratch) / "ner" / "v1" / name).read_text()
            source = re.sub(r"^from ner\.v1 import ", f"from {PACKAGE} import ", source, flags=re.M)
            (output / name).write_text(source)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
