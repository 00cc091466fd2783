#!/usr/bin/env bash
# Builds the addon outside build/ (so a sanitizer or debug build never clobbers the normal one):
#   test/media/build-addon.sh OUT_DIR [extra compiler flags...]
# Produces OUT_DIR/trunkgate_media.node; objects are cached in OUT_DIR/obj and rebuilt when their
# source or any native header is newer. TRUNKGATE_STUB_DSP=1 replaces native/bind/dsp_bind.cc with an
# empty InitDsp (for working on the media IO while the DSP binding is being edited).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$1"; shift
mkdir -p "$out/obj"
flags=(-std=c++17 -fPIC -pthread -fvisibility=hidden -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS
       -DBUILDING_NODE_EXTENSION -I/usr/include/node -I"$(node -p "require('node-addon-api').include_dir")" -Inative "$@")
newest_header=$(find native -name '*.h' -printf '%T@\n' | sort -n | tail -1)
sources=$(node native/sources.js)
if [ "${TRUNKGATE_STUB_DSP:-0}" = 1 ]; then
  printf '#include <napi.h>\nNapi::Object InitDsp(Napi::Env, Napi::Object e) { return e; }\n' > "$out/dsp_stub.cc"
  sources=$(echo "$sources" | tr ' ' '\n' | grep -v 'native/bind/dsp_bind.cc' | tr '\n' ' ')" $out/dsp_stub.cc"
fi
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
g++ -shared "${flags[@]}" -o "$out/trunkgate_media.node" "${objs[@]}" -lcrypto -lspandsp -lopus
