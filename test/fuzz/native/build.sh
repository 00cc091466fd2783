#!/usr/bin/env bash
# Builds the libFuzzer targets test/fuzz/native/<target>.cc with Debian's clang-14 and
# -fsanitize=fuzzer,address,undefined (UB is fatal) into OUT_DIR (never build/). The native sources
# are compiled once with -fsanitize=fuzzer-no-link,... and cached in OUT_DIR/obj (rebuilt when a source
# or any native header changes); each target is one small link.
#   test/fuzz/native/build.sh OUT_DIR [target...]      (default: every target)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="$1"; shift
mkdir -p "$out/obj"
cxx=${FUZZ_CXX:-clang++-14}
common=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Inative -Itest/fuzz/native)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in test/fuzz/native/*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
newest_header=$(find native test/fuzz/native -name '*.h' -printf '%T@\n' | sort -n | tail -1)
stale() { [ ! -f "$2" ] || [ "$1" -nt "$2" ] || awk "BEGIN{exit !($newest_header > $(stat -c %Y "$2"))}"; }
objs=()
todo=()
for src in $(find native/rtp native/srtp native/codec native/dsp -name '*.cc' ! -name '*_test.cc' | sort); do
  obj="$out/obj/$(echo "$src" | tr '/' '_').o"
  objs+=("$obj")
  if stale "$src" "$obj"; then todo+=("$src|$obj"); fi
done
if [ ${#todo[@]} -gt 0 ]; then
  printf '%s\n' "${todo[@]}" | xargs -P 2 -I{} sh -c 'src="${1%%|*}"; obj="${1##*|}"; shift; "$0" "$@" -c "$src" -o "$obj"' \
    "$cxx" {} "${common[@]}" -fsanitize=fuzzer-no-link,address,undefined
fi
for t in "${targets[@]}"; do
  src="test/fuzz/native/$t.cc"
  [ -f "$src" ] || { echo "no fuzz target $t" >&2; exit 2; }
  bin="$out/$t"
  if stale "$src" "$bin" || [ -n "$(find "$out/obj" -newer "$bin" -name '*.o' | head -1)" ]; then
    "$cxx" "${common[@]}" -fsanitize=fuzzer,address,undefined -o "$bin" "$src" "${objs[@]}" -lcrypto -lspandsp -lopus
  fi
done
