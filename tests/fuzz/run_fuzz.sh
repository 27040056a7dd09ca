#!/usr/bin/env bash
# Builds and runs the libFuzzer target for the remoting frame decoders.
#
#   run_fuzz.sh <repo root> <build dir>
#
# The fuzzer is compiled straight from the codec sources with clang (ASan + UBSan + libFuzzer),
# into <build dir>/frame_decoder_fuzz, and rebuilt only when a source or header is newer than
# the binary. The corpus (<build dir>/corpus) is seeded from the golden frames in
# tests/compat/testdata/*.hex (each as a whole frame and as its bare header), then the fuzzer
# runs for FUZZ_SECONDS (default 30). Crash inputs go to <build dir>/artifacts/.
#
# Exit status: 0 when nothing was found, non-zero on a crash or a build failure, 77 (ctest's
# SKIP_RETURN_CODE) when no clang++ is installed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <repo root> <build dir>" >&2
  exit 2
fi
ROOT=$(cd "$1" && pwd)
OUT=$2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

CXX=${FUZZ_CXX:-}
if [[ -z "$CXX" ]]; then
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null 2>&1; then
      CXX=$c
      break
    fi
  done
fi
if [[ -z "$CXX" ]]; then
  echo "run_fuzz.sh: SKIPPED: no clang++-14 or clang++ on PATH (libFuzzer needs clang;" \
       "install clang-14 and libclang-rt-14-dev)" >&2
  exit 77
fi

SOURCES=(
  common/bytes.cc
  common/status.cc
  common/json.cc
  remoting/codes.cc
  remoting/frame_codec.cc
  remoting/header_codec_json.cc
  remoting/header_codec_rocketmq.cc
  remoting/remoting_command.cc
  tests/fuzz/frame_decoder_fuzz.cc
)
# Headers those sources include: a change to any of them also forces a rebuild.
HEADERS=(
  common/bytes.h
  common/json.h
  common/result.h
  common/status.h
  remoting/frame_codec.h
  remoting/remoting_command.h
  remoting/request_code.h
  remoting/response_code.h
)

BIN="$OUT/frame_decoder_fuzz"
need_build=0
if [[ ! -x "$BIN" ]]; then
  need_build=1
else
  for f in "${SOURCES[@]}" "${HEADERS[@]}" tests/fuzz/run_fuzz.sh; do
    if [[ "$ROOT/$f" -nt "$BIN" ]]; then
      need_build=1
      break
    fi
  done
fi

if [[ $need_build -eq 1 ]]; then
  echo "run_fuzz.sh: building $BIN with $CXX"
  abs_sources=()
  for f in "${SOURCES[@]}"; do abs_sources+=("$ROOT/$f"); done
  "$CXX" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" "${abs_sources[@]}" -o "$BIN.tmp"
  mv -f "$BIN.tmp" "$BIN"
else
  echo "run_fuzz.sh: $BIN is up to date"
fi

# Seed corpus: each golden hex file as a binary frame, plus its bare header (the fuzz target also
# feeds the input straight to the two header decoders).
CORPUS="$OUT/corpus"
ARTIFACTS="$OUT/artifacts"
mkdir -p "$CORPUS" "$ARTIFACTS"
python3 - "$ROOT/tests/compat/testdata" "$CORPUS" <<'PY'
import os, re, struct, sys
src, dst = sys.argv[1], sys.argv[2]
n = 0
for name in sorted(os.listdir(src)):
    if not name.endswith('.hex'):
        continue
    with open(os.path.join(src, name)) as f:
        digits = ''.join(re.sub(r'#.*', '', line) for line in f)
    frame = bytes.fromhex(''.join(digits.split()))
    base = 'seed_' + name[:-4]
    with open(os.path.join(dst, base + '.frame'), 'wb') as f:
        f.write(frame)
    if len(frame) >= 8:
        header_len = struct.unpack('>I', frame[4:8])[0] & 0xFFFFFF
        with open(os.path.join(dst, base + '.header'), 'wb') as f:
            f.write(frame[8:8 + header_len])
    n += 1
print('run_fuzz.sh: seeded %d golden frames into %s' % (n, dst))
PY

echo "run_fuzz.sh: fuzzing for ${FUZZ_SECONDS:-30}s"
set +e
"$BIN" -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -max_len=70000 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" "$CORPUS"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  echo "run_fuzz.sh: FAILED: the fuzzer exited with $rc; reproducer(s) in $ARTIFACTS/" >&2
  echo "run_fuzz.sh: replay with: $BIN <artifact file>" >&2
  exit "$rc"
fi
echo "run_fuzz.sh: no crash found"
