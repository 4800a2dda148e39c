#!/usr/bin/env bash
# A stand-in for docker.io/library/python:3.12-slim, for machines that cannot reach Docker Hub:
# a minimal Debian bookworm from the machine's own mirror, plus the machine's CPython 3.12 copied
# into /usr/local, imported and tagged with the official name so the Dockerfile builds unchanged
# with --pull=never. Skipped when an image of that name exists (FORCE=1 rebuilds it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TAG=docker.io/library/python:3.12-slim
PODMAN="$HERE/podman.sh"

if [[ -z ${FORCE:-} ]] && "$PODMAN" image exists "$TAG"; then
    echo "base image $TAG exists"
    exit 0
fi

PYTHON=${PYTHON:-$(command -v python3.12)}
PREFIX=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
VERSION=$("$PYTHON" -c 'import platform; print(platform.python_version())')
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# The shared libraries CPython's extension modules link against (as in the official slim image).
LIBS=ca-certificates,netbase,tzdata,libssl3,libffi8,libsqlite3-0,zlib1g,libbz2-1.0,liblzma5,libexpat1
LIBS=$LIBS,libncursesw6,libreadline8,libuuid1,libcrypt1,libnsl2,libtirpc3,libgdbm6

ROOTFS=$(mktemp -d /var/tmp/python-slim.XXXXXX)
chmod 755 "$ROOTFS" # it becomes the image's /, which every user must be able to enter
trap 'rm -rf "$ROOTFS"' EXIT
echo "debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase --include="$LIBS" bookworm "$ROOTFS" "$MIRROR" >/dev/null

echo "copying CPython $VERSION from $PREFIX"
mkdir -p "$ROOTFS/usr/local/bin" "$ROOTFS/usr/local/lib" "$ROOTFS/usr/local/include"
cp -a "$PREFIX/bin/python3.12" "$ROOTFS/usr/local/bin/"
cp -a "$PREFIX"/lib/libpython3* "$ROOTFS/usr/local/lib/"
cp -a "$PREFIX/include/python3.12" "$ROOTFS/usr/local/include/"
tar -C "$PREFIX/lib" --exclude='python3.12/test' --exclude='python3.12/idlelib' \
    --exclude='python3.12/tkinter' --exclude='python3.12/turtledemo' \
    --exclude='python3.12/site-packages/*' --exclude='__pycache__' --exclude='*.a' -cf - python3.12 |
    tar -C "$ROOTFS/usr/local/lib" -xf -
cp -a "$PREFIX"/lib/python3.12/site-packages/pip* "$ROOTFS/usr/local/lib/python3.12/site-packages/"
for name in python python3; do ln -s python3.12 "$ROOTFS/usr/local/bin/$name"; done
for name in pip pip3 pip3.12; do
    printf '#!/bin/sh\nexec /usr/local/bin/python3.12 -m pip "$@"\n' >"$ROOTFS/usr/local/bin/$name"
    chmod 755 "$ROOTFS/usr/local/bin/$name"
done
chroot "$ROOTFS" /sbin/ldconfig
chroot "$ROOTFS" /usr/local/bin/python3.12 -c 'import ssl, ctypes, sqlite3, lzma, bz2, zlib, venv'
chroot "$ROOTFS" /usr/local/bin/python3.12 -m compileall -q -j 0 /usr/local/lib/python3.12 || true
# As debian:bookworm-slim: no documentation, manual pages or translations.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/* \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*

echo "importing as $TAG"
tar -C "$ROOTFS" --numeric-owner -cf - . |
    "$PODMAN" import \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change "ENV PYTHON_VERSION=$VERSION" \
        --change 'CMD ["python3"]' \
        - "$TAG" >/dev/null
"$PODMAN" image ls "$TAG"
