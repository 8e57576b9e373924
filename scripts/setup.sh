#!/usr/bin/env bash
# System pieces the tests need, all from Debian's archive (no browser or driver downloads from elsewhere):
#   - chromium: the browser e2e tests drive, and its SwiftShader Vulkan driver (used by Node tests too)
#   - libvulkan1 + the libraries Mesa's lavapipe links against
#   - Mesa 25 lavapipe from bookworm-backports, unpacked into .cache/lavapipe (not installed system-wide):
#     the only software Vulkan driver here with shader-f16, so native f16 kernels get tested.
# Idempotent: re-running skips what is already there. Needs root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
for pkg in libvulkan1 libllvm15 libz3-4 libxcb-dri3-0 libxcb-present0 libxcb-sync1 libxcb-randr0 libxcb-xfixes0 \
           libxcb-shm0 libxshmfence1 libx11-xcb1 libwayland-client0 libexpat1 libzstd1 libdrm2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

lvp=.cache/lavapipe
if [ ! -f "$lvp/lvp_icd.json" ]; then
  echo "setup: fetching Mesa 25 lavapipe from bookworm-backports into $lvp"
  rm -rf "$lvp" && mkdir -p "$lvp/lists/partial" "$lvp/debs" "$lvp/root"
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$lvp/backports.list"
  apt_opts=(-o "Dir::Etc::SourceList=$PWD/$lvp/backports.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$PWD/$lvp/lists")
  apt-get "${apt_opts[@]}" update -q
  (cd "$lvp/debs" && apt-get "${apt_opts[@]}" download \
     mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports)
  for deb in "$lvp"/debs/*.deb; do dpkg-deb -x "$deb" "$lvp/root"; done
  lib="$PWD/$lvp/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
  [ -f "$lib" ] || { echo "setup: lavapipe library missing after unpack: $lib" >&2; exit 1; }
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$lib" > "$lvp/lvp_icd.json"
fi
echo "setup: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), lavapipe at $lvp/lvp_icd.json"
