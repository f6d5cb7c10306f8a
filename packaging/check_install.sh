#!/usr/bin/env bash
# The installed tree and the .deb as a user meets them, from an existing build (a test: `make
# test` runs it after the build; nothing is rebuilt and nothing is installed into the system):
#  1. `cmake --install` into a temporary prefix: the binary, public headers only, the library;
#  2. packaging/consumer built against that prefix with find_package(sluice), and again with
#     pkg-config, each run;
#  3. the .deb from CPack: its file list, then extracted into a temporary root, whose `sluice
#     --version` runs and whose man page renders.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-install-check-XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "check_install: $*"; }
fail() {
  echo "check_install: FAILED: $*" >&2
  exit 1
}
quietly() {  # runs a command, showing its output only when it fails
  "$@" >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "$*"; }
}

prefix=$work/prefix
step "cmake --install into $prefix"
quietly cmake --install "$build" --prefix "$prefix" --strip
version=$(sed -n 's/^#define SLUICE_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/sluice/version.h")
[[ -n $version ]] || fail "no SLUICE_VERSION_STRING in the installed version.h"
[[ $("$prefix/bin/sluice" --version) == "sluice $version" ]] || fail "installed sluice --version"
# Public headers only: include/sluice/*.h, no folder of internal ones.
internal=$(find "$prefix/include" -mindepth 2 -type d)
[[ -z $internal ]] || fail "internal headers installed: $internal"
library=$(find "$prefix" -name libsluice.a)
[[ -n $library ]] || fail "no libsluice.a installed"

step "consumer program built with find_package(sluice)"
quietly cmake -S "$source_dir/packaging/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix"
quietly cmake --build "$work/consumer" -j 2
"$work/consumer/sluice_consumer" "$work/run-cmake" || fail "consumer built with find_package"

step "consumer program built with pkg-config"
pc_dir=$(dirname "$(find "$prefix" -name sluice.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs sluice) || fail "pkg-config sluice"
# shellcheck disable=SC2086  # the flags are words
quietly g++ -std=c++20 -Wall -Wextra -Werror -Wno-missing-field-initializers "$source_dir/packaging/consumer/consumer.cc" \
  -o "$work/consumer-pc" $flags
"$work/consumer-pc" "$work/run-pc" || fail "consumer built with pkg-config"

step "the .deb from cpack"
(cd "$build" && quietly cpack -G DEB -B "$work/deb")
deb=$(find "$work/deb" -maxdepth 1 -name '*.deb')
[[ -n $deb ]] || fail "cpack wrote no .deb"
dpkg-deb --contents "$deb" | awk '{print $NF}' >"$work/contents"
for file in ./usr/bin/sluice ./usr/include/sluice/sluice.h ./usr/include/sluice/version.h \
  ./usr/lib/libsluice.a ./usr/lib/cmake/sluice/sluiceConfig.cmake ./usr/lib/pkgconfig/sluice.pc \
  ./usr/share/man/man1/sluice.1.gz; do
  grep -qx "$file" "$work/contents" || fail "the .deb lacks $file"
done
dpkg-deb -x "$deb" "$work/root"
[[ $("$work/root/usr/bin/sluice" --version) == "sluice $version" ]] || fail "packaged sluice --version"
man -l "$work/root/usr/share/man/man1/sluice.1.gz" 2>/dev/null | grep -q "sluice $version" ||
  fail "the packaged man page does not render with its version"
step "ok: $(basename "$deb") ($(du -h "$deb" | cut -f1)), Depends: $(dpkg-deb -f "$deb" Depends)"
