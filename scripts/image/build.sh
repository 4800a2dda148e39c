#!/usr/bin/env bash
# Builds the project's unmodified Dockerfile on this machine: host setup, the stand-in base, then
# `buildah bud` with chroot isolation and --pull=never. The host's CA bundle and a pip config
# naming it are bind-mounted into the build, so pip reaches PyPI through this machine's
# TLS-intercepting proxy; neither ends up in the image.
#   scripts/image/build.sh [TAG]      (default localhost/ner-grpc:latest)
#   TARGET=gateway scripts/image/build.sh TAG    (a stage of the Dockerfile: the ner-web gateway)
# Layers are kept for the next build; `scripts/image/podman.sh image prune` reclaims old ones.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TAG=${1:-localhost/ner-grpc:latest}
STATE_DIR=${NER_IMAGE_STATE:-/var/lib/ner-grpc-image}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

"$HERE/setup_host.sh"
"$HERE/base_image.sh"

printf '[global]\ncert = /run/host-ca/ca-certificates.crt\n' >"$STATE_DIR/pip.conf"
started=$(date +%s)
"$HERE/podman.sh" buildah bud \
    --isolation chroot \
    --pull=never \
    --layers \
    --volume "$CA_BUNDLE:/run/host-ca/ca-certificates.crt:ro" \
    --volume "$STATE_DIR/pip.conf:/etc/pip.conf:ro" \
    ${TARGET:+--target "$TARGET"} \
    --tag "$TAG" \
    --file "$ROOT/Dockerfile" \
    "$ROOT"
echo "built $TAG in $(($(date +%s) - started)) s"
"$HERE/podman.sh" image ls "$TAG"
