#!/usr/bin/env bash
# Runs GmsaSharp on the GPU machine (no .NET, no internet; PyTorch with its libtorch, CMake, ninja, gcc) in
# one go, from the repository root, every step time-boxed, everything written to $OUT. See tools/gpu/README.md.
#
#   1 unpack artifacts/gpu/gmsa-gpu.tar.xz (made by tools/gpu/prepare.sh)
#   2 find PyTorch's lib/ folder; list libLibTorchSharp.so's undefined symbols that its libtorch lacks
#   3 only if some are missing: build libLibTorchSharp.so from the carried TorchSharp sources against it
#   4 gmsa info (must report the expected device)
#   5 the transformers-agreement tests of the decoder and of GMSA on that device
#   6 gmsa bench: the random 24-block config and a bigger one (hidden 2048)
#   7 a short gmsa train stage, its first losses compared with the CPU run in tools/gpu/cpu-reference/
#
# Environment (defaults are for the GPU machine; the CPU dry run overrides them):
#   GMSA_DEVICE     cuda      the device steps 4-7 run on and expect (cpu for the dry run)
#   GMSA_TORCH_LIB  PyTorch's lib/ folder (torch imported by python3); the dry run points it at the CPU libtorch
#   GMSA_BUNDLE     artifacts/gpu/gmsa-gpu.tar.xz
#   GMSA_WORK       /tmp/gmsa-gpu (unpacked bundle, build and run folders)
#   GMSA_QUICK      1: short bench contexts, for the dry run on a slow CPU
#   OUT             where results go (the device tool sets it; else artifacts/gpu/out)
set -uo pipefail
# Not -e: each step is recorded and the script goes on, so one failure still brings back the other results.
cd "$(dirname "$0")/../.."
export REPO=$PWD
export DEVICE=${GMSA_DEVICE:-cuda}
export BUNDLE=${GMSA_BUNDLE:-artifacts/gpu/gmsa-gpu.tar.xz}
export WORK=${GMSA_WORK:-/tmp/gmsa-gpu}
export QUICK=${GMSA_QUICK:-0}
export OUT=${OUT:-$REPO/artifacts/gpu/out}
mkdir -p "$OUT"
readonly SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
# One log with everything (the device tool brings back at most 8 files).
exec > >(tee "$OUT/run.log") 2>&1

started=$SECONDS
record() { echo "$1" | tee -a "$SUMMARY"; }
# step NAME SECONDS COMMAND...: runs COMMAND under a time limit and records ok / FAILED / TIMED OUT.
step() {
  local name=$1 limit=$2 begin=$SECONDS status
  shift 2
  echo
  echo "=== $name (limit ${limit}s, at $((SECONDS - started))s)"
  # timeout runs programs, not shell functions: each step runs in a child bash that gets the exported functions.
  timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@"
  status=$?
  if (( status == 0 )); then
    record "ok        $name ($((SECONDS - begin))s)"
  elif (( status == 124 || status == 137 )); then
    record "TIMED OUT $name (${limit}s)"
  else
    record "FAILED    $name (exit $status, $((SECONDS - begin))s)"
  fi
  return $status
}

# --- 1 unpack ------------------------------------------------------------------------------------------
unpack() {
  rm -rf "$WORK/bundle" && mkdir -p "$WORK/bundle" || return 1
  if command -v xz > /dev/null; then
    tar -xJf "$BUNDLE" -C "$WORK/bundle"
  else
    # Python's lzma is always there where PyTorch is.
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE" "$WORK/bundle"
  fi
}
export -f unpack
step unpack 120 unpack || { record "cannot go on without the bundle"; exit 1; }
export APP_DIR=$WORK/bundle/app
export APP=$APP_DIR/GmsaSharp.Tests

# --- 2 libtorch and the symbol check -------------------------------------------------------------------
if [[ -n ${GMSA_TORCH_LIB:-} ]]; then
  TORCH_LIB=$GMSA_TORCH_LIB
  TORCH_CMAKE=${GMSA_TORCH_CMAKE:-}
else
  TORCH_DIR=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') || { record "FAILED    python3 cannot import torch"; exit 1; }
  TORCH_LIB=$TORCH_DIR/lib
  TORCH_CMAKE=$TORCH_DIR/share/cmake
  python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available(), "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
fi
export TORCH_LIB TORCH_CMAKE
echo "libtorch folder: $TORCH_LIB"
# TorchSharp loads libtorch_cuda/libtorch_cpu and libLibTorchSharp's needs (libtorch, libc10) by name.
export LD_LIBRARY_PATH=$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The app is built with invariant globalization; this only documents it for anyone reading the log.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

# Prints the symbols libLibTorchSharp.so needs from libtorch that no libtorch/libc10 library defines.
# Versioned symbols (name@GLIBC_..., @GLIBCXX_..., @GCC_...) come from the C and C++ runtimes, not libtorch.
missing_symbols() {
  local lib=$1
  nm -D --undefined-only "$lib" | awk '$1 == "U" && $2 !~ /@/ {print $2}' | sort -u > "$WORK/needed.txt"
  nm -D --defined-only "$TORCH_LIB"/libtorch*.so "$TORCH_LIB"/libc10*.so 2>/dev/null \
    | awk 'NF == 3 && $2 ~ /[TtWwVviBDdRr]/ {sub(/@.*/, "", $3); print $3}' | sort -u > "$WORK/defined.txt"
  comm -23 "$WORK/needed.txt" "$WORK/defined.txt"
}
check_symbols() {
  missing_symbols "$APP_DIR/libLibTorchSharp.so" > "$OUT/missing-symbols.txt" || return 1
  local count
  count=$(wc -l < "$OUT/missing-symbols.txt")
  echo "libLibTorchSharp.so needs $(wc -l < "$WORK/needed.txt") libtorch symbols; $count missing from $TORCH_LIB"
  head -n 40 "$OUT/missing-symbols.txt" | c++filt
  (( count == 0 ))
}
export -f missing_symbols check_symbols
step symbols 120 check_symbols
symbols_ok=$?

# --- 3 rebuild LibTorchSharp when symbols are missing ------------------------------------------------------
build_libtorchsharp() {
  local build=$WORK/libtorchsharp-build
  rm -rf "$build"
  # PyTorch's CMake config looks for the CUDA toolkit (nvcc) for a CUDA build of torch.
  cmake -S tools/gpu/libtorchsharp -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTORCHSHARP_NATIVE="$WORK/bundle/libtorchsharp/src/Native" -DCMAKE_PREFIX_PATH="$TORCH_CMAKE" || return 1
  cmake --build "$build" -j "$(nproc)" || return 1
  cp "$APP_DIR/libLibTorchSharp.so" "$WORK/libLibTorchSharp.prebuilt.so"
  cp "$build/LibTorchSharp/libLibTorchSharp.so" "$APP_DIR/libLibTorchSharp.so"
}
export -f build_libtorchsharp
if (( symbols_ok != 0 )) || [[ ${GMSA_BUILD_LIBTORCHSHARP:-0} == 1 ]]; then
  if step build-libtorchsharp 420 build_libtorchsharp; then
    step symbols-after-build 120 check_symbols
  fi
fi

# --- 4 gmsa info -------------------------------------------------------------------------------------------
info() {
  "$APP" gmsa info | tee "$WORK/info.txt" || return 1
  grep -q "^device $DEVICE" "$WORK/info.txt" || { echo "expected 'device $DEVICE' in gmsa info"; return 1; }
}
export -f info
step info 120 info

# --- 5 agreement tests on the device -----------------------------------------------------------------------
tests() {
  GMSASHARP_TEST_DEVICE=$DEVICE "$APP" test TestDeviceTests TransformersAgreementTests GmsaTransformersAgreementTests
}
export -f tests
step tests 300 tests

# --- 6 bench -----------------------------------------------------------------------------------------------
# A string, not an array: the child bash of each step sees exported variables only.
if [[ $QUICK == 1 ]]; then
  export BENCH_ARGS="--contexts 256,512 --rates 4,8 --answer-tokens 8 --repeats 1"
else
  export BENCH_ARGS="--contexts 512,1024,2048,4096 --rates 4,8,16 --answer-tokens 32 --repeats 3"
fi
bench() {
  local name=$1
  shift
  "$APP" gmsa bench "$@" $BENCH_ARGS --device "$DEVICE" --out "$WORK/$name" || return 1
  cp "$WORK/$name/results.md" "$OUT/$name.md"
}
export -f bench
step bench-24 240 bench bench-24 --random-layers 24
step bench-2048x24 240 bench bench-2048x24 --random-layers 24 --random-hidden 2048

# --- 7 train, compared with the CPU ------------------------------------------------------------------------
train() {
  # The reference losses hold only for the inputs they were recorded on (a retrained models/bio-small once made
  # them stale): say so rather than report a difference.
  sha256sum --check --quiet tools/gpu/cpu-reference/inputs.sha256 \
    || { echo "the training inputs differ from tools/gpu/cpu-reference/inputs.sha256: record the CPU reference again (tools/gpu/README.md)"; return 1; }
  # A fresh folder: the trainer refuses one holding a checkpoint, as a rerun on a warm machine (or here) would.
  rm -rf "$WORK/train"
  "$APP" gmsa $(cat tools/gpu/cpu-reference/train-args.txt) --device "$DEVICE" --out "$WORK/train" || return 1
  python3 tools/gpu/compare-losses.py tools/gpu/cpu-reference/train-metrics.jsonl "$WORK/train/metrics.jsonl" | tee "$OUT/train-losses.txt"
  test "${PIPESTATUS[0]}" -eq 0
}
export -f train
step train 240 train

echo
echo "=== summary ($((SECONDS - started))s)"
cat "$SUMMARY"
! grep -qv '^ok' "$SUMMARY"
