#!/usr/bin/env bash
# Installs the Debian packages sluice needs, only those missing. Quiet when all are present.
# `deps.sh build` installs only what building the `sluice` binary needs (`make demo`: the Debian
# build packages and npm's dependencies, uPlot, which the binary embeds); without an argument, also
# what the tests, `make package` and `make format-check` need, and npm's devDependencies.
set -euo pipefail
scope=${1:-all}
# apt-get's and npm's output, shown only when they fail.
log=$(mktemp "${TMPDIR:-/tmp}/sluice-deps-XXXXXX.log")
trap 'rm -f "$log"' EXIT
# What configuring and building need (CMake finds GoogleTest and Google Benchmark at configure time).
packages=(
  cmake g++ make pkg-config lld
  libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libpq-dev
  libsnappy-dev libzstd-dev liblz4-dev zlib1g-dev libbrotli-dev
  libcurl4-openssl-dev libssl-dev
)
if [[ $scope != build ]]; then
  packages+=(
    clang-format postgresql nodejs python3-xxhash python3-numpy
    # `make package` and its check in `make test`: the man page, the .deb's dependencies, `man -l`.
    help2man dpkg-dev man-db
    # A real S3 server for the tests (src/sluice/io/fs/testing/s3_server.h): Ceph's RADOS Gateway
    # on a one-monitor, one-OSD (memstore) cluster.
    ceph-mon ceph-osd radosgw ceph-common ceph-base
    # The multi-host tests (tests/cluster/slurm_cluster.h): a Slurm controller and slurmd nodes in
    # network namespaces joined by a bridge (iproute2), authenticated by munge.
    slurm-wlm slurmctld slurmd munge iproute2
    # The terminal view's test (tmux at a fixed width) and the HTML report's and live page's
    # browser tests (Chromium driven by playwright-core from npm).
    tmux chromium
  )
fi
# npm packages (package.json + package-lock.json at the root). dependencies: uPlot, which building
# sluice embeds (src/sluice/flow/report_page/); devDependencies: DuckDB's libduckdb.so for the Arrow
# interop tests and side-by-side benchmarks, Polars, playwright-core for the browser tests. `npm ci`
# (`--omit=dev` for `deps.sh build`) runs when a package of the scope is missing or node_modules is
# older than the lock file.
npm_deps() {
  (
    cd "$(dirname "$0")/.."
    [[ -f package-lock.json ]] || exit 0
    local needed=(node_modules/uplot/package.json) omit=()
    if [[ $scope == build ]]; then
      omit=(--omit=dev)
    else
      needed+=(node_modules/@duckdb/node-api/package.json node_modules/playwright-core/package.json)
    fi
    local fresh=1
    [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]] ||
      fresh=0
    for f in "${needed[@]}"; do [[ -f $f ]] || fresh=0; done
    [[ $fresh == 0 ]] || exit 0
    if ! command -v npm >/dev/null; then
      echo "deps: installing npm"
      $(if [[ $(id -u) -ne 0 ]]; then echo sudo; fi) apt-get install -y -q --no-install-recommends npm \
        >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    fi
    echo "deps: npm ci ${omit[*]}"
    npm ci "${omit[@]}" --no-audit --no-fund --loglevel=error >"$log" 2>&1 ||
      { cat "$log" >&2; exit 1; }
  )
}
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && { npm_deps; exit 0; }
echo "deps: installing ${#missing[@]} Debian packages with apt-get (a few minutes on a fresh machine):" \
  "${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: run as root or install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh them only when an install fails.
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  echo "deps: refreshing the package lists (apt-get update), then installing again"
  $sudo apt-get update -q >"$log" 2>&1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    { cat "$log" >&2; exit 1; }
fi
npm_deps
