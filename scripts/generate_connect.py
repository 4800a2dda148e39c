"""Generate the Connect service module (`ner_connect.py`) that the `ner-web` gateway serves.

Usage: python scripts/generate_connect.py [OUTPUT_DIR]

buf runs connect-python's plugin (`protoc-gen-connect-python`, installed into the virtual
environment by the dev extra) on `protos/`; the module imports `ner_pb2` from its own package
(`imports=relative`), so it sits beside the protobuf modules in `ner_client/proto`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "client" / "ner_client" / "proto"
GENERATED = "ner_connect.py"


def generate(output: Path) -> None:
    plugin = Path(sys.executable).parent / "protoc-gen-connect-python"
    buf = shutil.which("buf") or str(ROOT / ".tools" / "node_modules" / ".bin" / "buf")
    with tempfile.TemporaryDirectory() as scratch:
        template = {
            "version": "v2",
            "plugins": [{"local": str(plugin), "out": scratch, "opt": ["imports=relative"]}],
        }
        subprocess.run([buf, "generate", "protos", "--template", json.dumps(template)], cwd=ROOT, check=True)
        output.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(scratch) / "ner" / "v1" / GENERATED, output / GENERATED)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
