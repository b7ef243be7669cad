#!/usr/bin/env bash
# Builds, on a machine with the .NET SDK, the one archive the GPU machine needs (it has no .NET and no
# internet): artifacts/gpu/gmsa-gpu.tar.xz. See tools/gpu/README.md.
#
# The archive holds
#   app/              the test assembly published self-contained for linux-x64: it runs the tests
#                     (`app/GmsaSharp.Tests test ...`) and the gmsa command (`app/GmsaSharp.Tests gmsa ...`),
#                     with TorchSharp.dll and TorchSharp 0.107's libLibTorchSharp.so but no libtorch: the GPU
#                     machine's PyTorch provides it (TorchBackend=external);
#   libtorchsharp/    TorchSharp 0.107's native sources (src/Native, MIT), to rebuild libLibTorchSharp.so there
#                     if the prebuilt one does not link against that machine's libtorch.
#
# Everything that travels, the tracked working tree included, must fit in 64 MiB, so the runtime is trimmed
# (TrimMode=partial: only the framework and packages marked trimmable lose unused code; our assemblies, TorchSharp
# and xUnit stay whole) and the archive is xz-compressed. The script fails when the total is over the limit.
#
# Usage: tools/gpu/prepare.sh   (from anywhere; TORCHSHARP_REPO: a git directory of dotnet/TorchSharp)
set -euo pipefail
cd "$(dirname "$0")/../.."

readonly OUT_DIR=artifacts/gpu
readonly STAGE=$OUT_DIR/stage
readonly ARCHIVE=$OUT_DIR/gmsa-gpu.tar.xz
# The commit of dotnet/TorchSharp whose version file says 0.107.0 and whose exports match the prebuilt
# libLibTorchSharp.so of the TorchSharp 0.107.0 package (release notes for 0.107.0, 2026-05-07).
readonly TORCHSHARP_COMMIT=c20b6a1cc574d690707638a488d2583f3b8b983f
readonly TORCHSHARP_REPO=${TORCHSHARP_REPO:-/work/.mirror/dotnet+TorchSharp/repo}
readonly LIMIT_BYTES=$((64 * 1024 * 1024))

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

rm -rf "$STAGE" "$ARCHIVE"
mkdir -p "$STAGE"

echo "== publishing the test assembly (with the gmsa command) for linux-x64, trimmed, without libtorch"
# A separate artifacts path keeps this RID-specific, trimmed build out of bin/ and obj/, so the ordinary
# build is not invalidated. UseAppHost: the test SDK turns the native launcher off, and there is no `dotnet` there. InvariantGlobalization: the GPU machine may lack ICU, and the dry run here then
# runs exactly what runs there. Trim analysis warnings are reported by the ordinary build's analyzers, not here;
# JSON keeps reflection, which the trimmer otherwise switches off.
dotnet publish tests/GmsaSharp.Tests -c Release -r linux-x64 --self-contained \
  --artifacts-path "$OUT_DIR/build" -o "$STAGE/app" \
  -p:TorchBackend=external -p:UseAppHost=true \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -p:JsonSerializerIsReflectionEnabledByDefault=true \
  -p:InvariantGlobalization=true \
  -p:DebugType=none

# The test SDK copies Microsoft.CodeCoverage's collector and instrumentation engines (about 20 MB) for vstest;
# the in-process runner never uses them, and the app's deps.json does not list them.
rm -rf "$STAGE/app/CodeCoverage" "$STAGE/app"/{x86,x64,arm64,alpine,ubuntu,macos}

# libtorch must come from the machine: a stray CPU libtorch here would shadow CUDA's.
if compgen -G "$STAGE/app/libtorch*.so" > /dev/null || compgen -G "$STAGE/app/libc10*.so" > /dev/null; then
  echo "error: libtorch libraries in $STAGE/app; publish with -p:TorchBackend=external" >&2
  exit 1
fi
test -f "$STAGE/app/libLibTorchSharp.so" || { echo "error: no libLibTorchSharp.so in $STAGE/app" >&2; exit 1; }
test -f "$STAGE/app/TorchSharp.dll" || { echo "error: no TorchSharp.dll in $STAGE/app" >&2; exit 1; }

echo "== TorchSharp's native sources at $TORCHSHARP_COMMIT"
if ! git -C "$TORCHSHARP_REPO" cat-file -e "$TORCHSHARP_COMMIT^{commit}" 2>/dev/null; then
  echo "error: $TORCHSHARP_REPO lacks dotnet/TorchSharp commit $TORCHSHARP_COMMIT; set TORCHSHARP_REPO" >&2
  exit 1
fi
mkdir -p "$STAGE/libtorchsharp"
# MIT: the licence notice travels with the sources.
git -C "$TORCHSHARP_REPO" archive "$TORCHSHARP_COMMIT" src/Native LICENSE.txt | tar -x -C "$STAGE/libtorchsharp"
echo "$TORCHSHARP_COMMIT" > "$STAGE/libtorchsharp/COMMIT"

echo "== compressing"
tar -C "$STAGE" -cf - app libtorchsharp | xz -9 -T2 > "$ARCHIVE"

# What the device tool sends: tracked files plus untracked files git does not ignore, plus carried paths.
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
archive_bytes=$(stat -c %s "$ARCHIVE")
total=$((tree_bytes + archive_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
{
  echo "archive:      $ARCHIVE $(mib "$archive_bytes") ($archive_bytes bytes; unpacked $(du -sh "$STAGE" | cut -f1))"
  echo "working tree: $(mib "$tree_bytes") (tracked and untracked-not-ignored files)"
  echo "total sent:   $(mib "$total") of the device tool's 64 MiB"
} | tee "$OUT_DIR/SIZE.txt"
if (( total > LIMIT_BYTES )); then
  echo "error: over the 64 MiB the device tool carries" >&2
  exit 1
fi
