#!/bin/sh
# Builds native/test/srtp_diff_test.cc (the OpenSSL SRTP transform against libsrtp2 as the oracle) with
# AddressSanitizer + UBSan (every report fatal) and runs it. Usage: test/media/dsp/srtp-diff.sh [out-dir].
# libsrtp2 is linked here, into the test program only; the addon links OpenSSL's libcrypto.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-$(mktemp -d)}
cxx=${CXX:-g++}
cd "$root"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -Inative native/test/srtp_diff_test.cc native/test/libsrtp_oracle.cc $(ls native/srtp/*.cc) \
  -lsrtp2 -lcrypto -o "$out/srtp_diff_test"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/srtp_diff_test"
