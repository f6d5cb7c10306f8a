#!/usr/bin/env bash
# Installs the Debian packages sluice needs, only those missing. Quiet when all are present.
set -euo pipefail
packages=(
  cmake g++ make pkg-config clang-format
  libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev
)
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: run as root or install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh them only when an install fails.
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/sluice-apt.log 2>&1; then
  $sudo apt-get update -q >/tmp/sluice-apt.log 2>&1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/sluice-apt.log 2>&1 ||
    { cat /tmp/sluice-apt.log >&2; exit 1; }
fi
