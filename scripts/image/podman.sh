#!/usr/bin/env bash
# podman (or, as `podman.sh buildah ...`, buildah) with this project's container settings:
# the configuration files setup_host.sh writes, so nothing system-wide is changed.
set -euo pipefail
STATE_DIR=${NER_IMAGE_STATE:-/var/lib/ner-grpc-image}
export CONTAINERS_CONF=$STATE_DIR/containers.conf
export CONTAINERS_STORAGE_CONF=$STATE_DIR/storage.conf
if [[ ${1:-} == buildah ]]; then
    shift
    exec buildah "$@"
fi
exec podman "$@"
