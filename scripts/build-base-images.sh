#!/usr/bin/env bash
# Builds the local base image `helvetia-base:latest` (about 2 MB) from Debian's busybox-static.
# No registry is reachable on CI or dev machines, so every image the tests build starts FROM this one.
set -euo pipefail
IMAGE="${1:-helvetia-base:latest}"
BUSYBOX="$(command -v busybox || true)"
if [ -z "$BUSYBOX" ] || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
  BUSYBOX=/bin/busybox
fi
if [ ! -x "$BUSYBOX" ]; then
  echo "busybox-static is not installed (apt-get install -y busybox-static)" >&2
  exit 1
fi
# Bump when the applet list changes: an older image on a machine is rebuilt.
VERSION=2
if [ "$(docker image inspect -f '{{ index .Config.Labels "helvetia.base.version" }}' "$IMAGE" 2>/dev/null)" = "$VERSION" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "$IMAGE already present"
  exit 0
fi
ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
mkdir -p "$ROOTFS"/{bin,tmp,www,etc,app}
chmod 1777 "$ROOTFS/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in sh ash httpd wget echo cat sleep ls mkdir rm cp mv env printf seq head tail true false \
  yes dd nc id ps kill grep sed awk date tr wc sort uniq hostname touch chmod test expr timeout \
  sha256sum cut; do
  ln -s busybox "$ROOTFS/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
echo 'app:x:10001:10001:app:/app:/bin/sh' >> "$ROOTFS/etc/passwd"
echo 'root:x:0:' > "$ROOTFS/etc/group"
echo 'app:x:10001:' >> "$ROOTFS/etc/group"
tar -C "$ROOTFS" -c . | docker import -c 'ENV PATH=/bin' -c "LABEL helvetia.base.version=$VERSION" - "$IMAGE" >/dev/null
echo "built $IMAGE"
