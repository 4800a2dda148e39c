#!/usr/bin/env bash
# Installs podman, buildah, runc and debootstrap (skipped when present) and writes the container
# settings that work on these machines (Debian 12, root, no Docker daemon, hybrid cgroups):
#   storage driver vfs         no overlay mounts inside the sandbox
#   runtime runc               crun 1.8.1 refuses the hybrid cgroup layout
#   cgroup_manager cgroupfs    no systemd
#   default_ulimits            exactly the current hard limits: the sandbox cannot raise them
# The files live in $NER_IMAGE_STATE (default /var/lib/ner-grpc-image) and are used through
# scripts/image/podman.sh, which points CONTAINERS_CONF and CONTAINERS_STORAGE_CONF at them.
set -euo pipefail
STATE_DIR=${NER_IMAGE_STATE:-/var/lib/ner-grpc-image}

missing=()
for tool in podman buildah runc debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends podman buildah runc debootstrap uidmap >/dev/null
fi

mkdir -p "$STATE_DIR/storage" "$STATE_DIR/run"
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768

cat >"$STATE_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
netns = "host"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

cat >"$STATE_DIR/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$STATE_DIR/storage"
runroot = "$STATE_DIR/run"
CONF
echo "container settings in $STATE_DIR (vfs, runc, cgroupfs, nofile=$nofile, nproc=$nproc)"
