#!/usr/bin/env bash
# Installs what linesight needs to build and test on Debian 12 (run as root; idempotent).
# Packages are Debian's own; nothing is downloaded from anywhere else.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config clang-format ccache
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libbenchmark-dev libsodium-dev
  libsqlite3-dev libmodbus-dev libaravis-dev libusb-1.0-0-dev aravis-tools mbpoll
  libmosquitto-dev mosquitto mosquitto-clients libcpp-httplib-dev libssl-dev openssl
  libpq-dev postgresql libxgboost-dev libhowardhinnant-date-dev tzdata
  chromium fonts-wqy-microhei curl python3
)
# The web dashboard (web/, scripts/build-web.sh) needs Node.js >= 18 and npm. Debian 12's own
# nodejs (18) and npm (9) are enough; a newer node already on the PATH (e.g. 20) is kept.
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}"
fi
