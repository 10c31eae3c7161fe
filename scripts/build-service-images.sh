#!/usr/bin/env bash
# Builds the companion-service images the tests run, from Debian packages on this machine (no
# registry is reachable): the server binaries with their shared libraries, plus busybox for a
# shell, in a small rootfs fed to `docker import`.
#   helvetia-redis:7      redis-server (Debian's redis-server package), data in /data
#   helvetia-registry:2   docker-registry (Debian's docker-registry package, distribution 2.8), plain
#                         HTTP on :5000, blobs in /var/lib/registry: the swarm test cluster's registry
set -euo pipefail
VERSION=1
BUSYBOX=/bin/busybox

# Copies a binary and every shared library it loads into the rootfs, at the same paths.
copy_with_libs() {
  local rootfs="$1" binary="$2"
  mkdir -p "$rootfs$(dirname "$binary")"
  cp -L "$binary" "$rootfs$binary"
  ldd "$binary" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

# A rootfs with busybox (sh and friends), /tmp and an unprivileged user, ready for one server.
base_rootfs() {
  local rootfs="$1"
  mkdir -p "$rootfs"/{bin,tmp,etc,data}
  chmod 1777 "$rootfs/tmp"
  cp "$BUSYBOX" "$rootfs/bin/busybox"
  for applet in sh cat echo ls mkdir sleep env nc timeout printf test; do ln -s busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nsvc:x:999:999:svc:/data:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nsvc:x:999:\n' > "$rootfs/etc/group"
}

current() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "helvetia.service-image.version" }}' "$1" 2>/dev/null)" = "$VERSION" ] && [ "${FORCE:-0}" != 1 ]
}

# Sets ROOTFS to a fresh rootfs with busybox and `binary` (from Debian package `package`) with its
# libraries; fails (nothing to build) when `image` is current.
prepare_rootfs() {
  local image="$1" binary="$2" package="$3"
  if current "$image"; then echo "$image already present"; return 1; fi
  command -v "$binary" >/dev/null || { echo "$binary is not installed (apt-get install -y $package)" >&2; exit 1; }
  ROOTFS="$(mktemp -d)"
  base_rootfs "$ROOTFS"
  copy_with_libs "$ROOTFS" "$(command -v "$binary")"
}

# Imports ROOTFS as `image` running as the unprivileged user, with the version label and the
# remaining `-c` changes given, then removes ROOTFS.
import_rootfs() {
  local image="$1"; shift
  tar -C "$ROOTFS" -c . | docker import \
    -c 'ENV PATH=/usr/bin:/bin' -c 'USER 999:999' "$@" \
    -c "LABEL helvetia.service-image.version=$VERSION" - "$image" >/dev/null
  rm -rf "$ROOTFS"
  echo "built $image"
}

build_redis() {
  prepare_rootfs helvetia-redis:7 redis-server redis-server || return 0
  chown 999:999 "$ROOTFS/data"
  import_rootfs helvetia-redis:7 -c 'WORKDIR /data' -c 'EXPOSE 6379' \
    -c 'CMD ["redis-server", "--protected-mode", "no", "--dir", "/data", "--appendonly", "yes"]'
}

build_registry() {
  prepare_rootfs helvetia-registry:2 docker-registry docker-registry || return 0
  # Our own config, not Debian's (that one wants an htpasswd file): no auth and no TLS, because
  # only test clusters on a private bridge use it (their dockerds list it as --insecure-registry).
  mkdir -p "$ROOTFS/etc/docker/registry" "$ROOTFS/var/lib/registry"
  cat > "$ROOTFS/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
YAML
  chown 999:999 "$ROOTFS/var/lib/registry"
  import_rootfs helvetia-registry:2 -c 'EXPOSE 5000' -c 'CMD ["docker-registry", "serve", "/etc/docker/registry/config.yml"]'
}

build_redis
build_registry
