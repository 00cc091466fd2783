#!/bin/sh
# Builds native/test/dsp_test.cc with the pure C++ DSP sources under AddressSanitizer + UBSan (every UB
# report is fatal) and runs it. Usage: test/media/dsp/asan.sh [output-dir]. Exit status = the program's.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-$(mktemp -d)}
cxx=${CXX:-g++}
command -v "$cxx" >/dev/null 2>&1 || { echo "asan.sh: no C++ compiler ($cxx)" >&2; exit 127; }
srcs=$(cd "$root" && ls native/codec/*.cc native/dsp/*.cc native/rtp/*.cc native/srtp/*.cc)
cd "$root"
# shellcheck disable=SC2086
"$cxx" -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -Inative native/test/dsp_test.cc $srcs -lcrypto -lspandsp -lopus -o "$out/dsp_test"
ASAN_OPTIONS=detect_leaks=1:suppressions=$root/test/media/dsp/asan.supp UBSAN_OPTIONS=print_stacktrace=1 "$out/dsp_test"
