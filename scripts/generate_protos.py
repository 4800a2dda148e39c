"""Generate the Python protobuf and gRPC modules from `protos/` into the client package.

Usage: python scripts/generate_protos.py [OUTPUT_DIR]

protoc writes absolute imports (`from ner.v1 import ner_pb2`); they are rewritten to the
package the modules live in, so the generated code needs no top-level `ner` package.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PROTO_FILE = "ner/v1/ner.proto"
DEFAULT_OUTPUT = ROOT / "client" / "ner_client" / "proto"
PACKAGE = "ner_client.proto"
GENERATED = ("ner_pb2.py", "ner_pb2.pyi", "ner_pb2_grpc.py")


def generate(output: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{PROTO_ROOT}",
                f"--python_out={scratch}",
                f"--pyi_out={scratch}",
                f"--grpc_python_out={scratch}",
                PROTO_FILE,
            ]
        )
        if status != 0:
            raise SystemExit(f"protoc failed with status {status}")
        output.mkdir(parents=True, exist_ok=True)
        for name in GENERATED:
            source = (Path(scratch) / "ner" / "v1" / name).read_text()
            source = re.sub(r"^from ner\.v1 import ", f"from {PACKAGE} import ", source, flags=re.M)
            (output / name).write_text(source)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
