#!/usr/bin/env bash
# Builds the Parquet libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs
# each for N seconds, seeded with parquet-testing's files. Findings (crash-*, leak-*, timeout-*,
# oom-*) land in the work directory; the script fails if a target finds one.
#
#   scripts/fuzz_parquet.sh [seconds per target, default 60] [work dir, default /tmp/sluice-fuzz]
set -euo pipefail
seconds=${1:-60}
work=${2:-/tmp/sluice-fuzz}
root=$(cd "$(dirname "$0")/.." && pwd)
testing=${SLUICE_PARQUET_TESTING:-$root/../shared/parquet-testing}
cxx=${CXX_FUZZ:-clang++}
command -v "$cxx" >/dev/null ||
  { echo "fuzz: needs clang with libFuzzer (apt-get install clang libclang-rt-dev)" >&2; exit 2; }
mkdir -p "$work/obj"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -I "$root/src")
libs=(-lfmt -lsnappy -lzstd -llz4 -lz -lbrotlienc -lbrotlidec -lpthread)

sources=()
for f in "$root"/src/sluice/base/*.cc "$root"/src/sluice/table/*.cc "$root"/src/sluice/io/parquet/*.cc; do
  case "$f" in *_test.cc | *_test_support.cc) continue ;; esac
  sources+=("$f")
done
objects=()
for f in "${sources[@]}"; do
  o="$work/obj/$(basename "$(dirname "$f")")_$(basename "$f" .cc).o"
  if [[ ! -f "$o" || "$f" -nt "$o" ]]; then
    "$cxx" "${flags[@]}" -c "$f" -o "$o"
  fi
  objects+=("$o")
done

status=0
for target in ${SLUICE_FUZZ_TARGETS:-footer_fuzzer page_fuzzer file_reader_fuzzer}; do
  "$cxx" "${flags[@]}" -fsanitize=fuzzer "$root/src/sluice/io/parquet/fuzz/$target.cc" \
    "${objects[@]}" "${libs[@]}" -o "$work/$target"
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  if [[ -d "$testing/data" && -z "$(ls -A "$corpus")" ]]; then
    for f in "$testing"/data/*.parquet "$testing"/bad_data/*.parquet; do
      [[ $(stat -c %s "$f") -le 65536 ]] || continue
      if [[ $target != page_fuzzer ]]; then
        cp "$f" "$corpus/"
      else
        # Every selector byte in front of the file, so each decoder starts from real bytes.
        for s in 0 1 2 3 4 5 6 7 8 9 10 11; do
          { printf "\\x$(printf %02x "$s")"; cat "$f"; } >"$corpus/$(basename "$f").$s"
        done
      fi
    done
  fi
  echo "fuzz: running $target for ${seconds}s"
  (cd "$work" && "./$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=262144 -print_final_stats=1 "$corpus") >"$work/$target.log" 2>&1 || status=1
  tail -n 15 "$work/$target.log"
done
exit $status
