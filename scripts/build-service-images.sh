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

build_redis() {
  local image=helvetia-redis:7
  if current "$image"; then echo "$image already present"; return; fi
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install -y redis-server)" >&2; exit 1; }
  local rootfs; rootfs="$(mktemp -d)"
  base_rootfs "$rootfs"
  copy_with_libs "$rootfs" "$(command -v redis-server)"
  chown 999:999 "$rootfs/data"
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/bin:/bin' -c 'USER 999:999' -c 'WORKDIR /data' -c 'EXPOSE 6379' \
    -c "LABEL helvetia.service-image.version=$VERSION" \
    -c 'CMD ["redis-server", "--protected-mode", "no", "--dir", "/data", "--appendonly", "yes"]' - "$image" >/dev/null
  rm -rf "$rootfs"
  echo "built $image"
}

build_registry() {
  local image=helvetia-registry:2
  if current "$image"; then echo "$image already present"; return; fi
  command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt-get install -y docker-registry)" >&2; exit 1; }
  local rootfs; rootfs="$(mktemp -d)"
  base_rootfs "$rootfs"
  copy_with_libs "$rootfs" "$(command -v docker-registry)"
  # Our own config, not Debian's (that one wants an htpasswd file): no auth and no TLS, because
  # only test clusters on a private bridge use it (their dockerds list it as --insecure-registry).
  mkdir -p "$rootfs/etc/docker/registry" "$rootfs/var/lib/registry"
  cat > "$rootfs/etc/docker/registry/config.yml" <<'YAML'
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
  chown 999:999 "$rootfs/var/lib/registry"
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/bin:/bin' -c 'USER 999:999' -c 'EXPOSE 5000' \
    -c "LABEL helvetia.service-image.version=$VERSION" \
    -c 'CMD ["docker-registry", "serve", "/etc/docker/registry/config.yml"]' - "$image" >/dev/null
  rm -rf "$rootfs"
  echo "built $image"
}

build_redis
build_registry
