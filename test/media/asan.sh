#!/usr/bin/env bash
# Builds native/io (+ the codec/dsp/rtp/srtp blocks it uses) and the scenario in asan/ with
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer into a separate directory (never
# build/), then runs it. Objects are cached across runs (rebuilt when a source or header changes).
#   test/media/asan.sh [OUT_DIR]     exit status 0 = clean
# SANITIZERS=thread builds the same scenario with ThreadSanitizer instead (tsan.test.ts); use another OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${TMPDIR:-/tmp}/trunkgate-asan}"
mkdir -p "$out/obj"
sanitizers="${SANITIZERS:-address,undefined}"
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer "-fsanitize=$sanitizers" -fno-sanitize-recover=all -pthread -Inative)
newest_header=$(find native -name '*.h' -printf '%T@\n' | sort -n | tail -1)
sources="$(find native/io native/codec native/dsp native/rtp native/srtp -name '*.cc' ! -name '*_test.cc' | sort) test/media/asan/media-io-scenario.cc"
objs=()
todo=()
for src in $sources; do
  obj="$out/obj/$(echo "$src" | tr '/' '_').o"
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || awk "BEGIN{exit !($newest_header > $(stat -c %Y "$obj"))}"; then
    todo+=("$src|$obj")
  fi
done
if [ ${#todo[@]} -gt 0 ]; then
  printf '%s\n' "${todo[@]}" | xargs -P 2 -I{} sh -c 'src="${1%%|*}"; obj="${1##*|}"; shift; g++ "$@" -c "$src" -o "$obj"' _ {} "${flags[@]}"
fi
g++ "${flags[@]}" -o "$out/media-io-scenario" "${objs[@]}" -lcrypto -lspandsp -lopus
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  "$out/media-io-scenario"
