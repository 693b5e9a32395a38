#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU whose python3 imports a CUDA build of torch (no
# virtual environment, no network needed), configure torchact against that torch for the GPU's own
# architecture, build what the check needs (the library, the C++ tests, the CUDA benchmark's
# library), run the CUDA tests (C++ and Python), compute-sanitizer memcheck over a subset, and
# the CUDA benchmark. Every step runs under `timeout`; the whole check takes under 8 minutes on 16
# cores. Prints a summary; logs go to LOG_DIR.
#
#   scripts/device-check.sh [--build-only | --prebuilt DIR] LOG_DIR
#
# --build-only stops after the build. --prebuilt DIR skips configure and build and tests DIR's
# libtorchact.so and tests/torchact_tests, built elsewhere (e.g. on a machine without a GPU, against
# the same torch version, TORCH_CUDA_ARCH_LIST naming this GPU's architecture): GPU time is then
# spent on the GPU only.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/device
mode=full
case "${1:-}" in
  --build-only) mode=build-only; shift ;;
  --prebuilt) mode=prebuilt; build=${2:?usage: --prebuilt DIR}; shift 2 ;;
esac
logs="${1:?usage: scripts/device-check.sh [--build-only | --prebuilt DIR] LOG_DIR}"
mkdir -p "$logs"
python=${PYTHON:-python3}
summary=()
fail() { echo "device-check: $*" | tee "$logs/summary.txt"; exit 1; }
step() {  # step NAME SECONDS COMMAND...: runs it under timeout, logs to $logs/NAME.log
  local name=$1 limit=$2; shift 2
  local start=$SECONDS status=0
  timeout "$limit" "$@" > "$logs/$name.log" 2>&1 || status=$?
  if [ $status -eq 0 ]; then
    summary+=("PASS $name ($((SECONDS - start)) s)")
  elif [ $status -eq 124 ]; then
    summary+=("FAIL $name: timed out after $limit s (see $logs/$name.log)")
  else
    summary+=("FAIL $name ($((SECONDS - start)) s, exit $status): see $logs/$name.log")
  fi
}

# ---- What the check needs, or a clear message ---------------------------------------------------
if ! command -v nvcc >/dev/null && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc PATH="/usr/local/cuda/bin:$PATH"
fi
nvcc=${CUDACXX:-$(command -v nvcc || true)}
sanitizer=$(command -v compute-sanitizer || true)
[ -n "$sanitizer" ] || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && sanitizer=/usr/local/cuda/bin/compute-sanitizer; }
"$python" -c 'import torch, pytest' 2>/dev/null || fail "$python cannot import torch and pytest"
torch_cuda=$("$python" -c 'import torch; print(torch.version.cuda or "")')
[ -n "$torch_cuda" ] || fail "$python's torch $("$python" -c 'import torch; print(torch.__version__)') has no CUDA"
nvcc_cuda=none
if [ "$mode" != prebuilt ]; then  # what the build needs
  [ -n "$nvcc" ] && [ -x "$nvcc" ] || fail "no nvcc (not on PATH, CUDACXX unset, no /usr/local/cuda/bin/nvcc)"
  nvcc_cuda=$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\.\([0-9]*\).*/\1.\2/p')
  [ "${nvcc_cuda%%.*}" = "${torch_cuda%%.*}" ] ||
    fail "nvcc is CUDA $nvcc_cuda but torch was built with CUDA $torch_cuda: the major versions must match"
  [ -e /usr/include/gtest/gtest.h ] || [ -e /usr/local/include/gtest/gtest.h ] || [ -n "${GTest_DIR:-}" ] ||
    fail "GoogleTest not found (apt install libgtest-dev, or set GTest_DIR)"
fi
"$python" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null || fail "torch sees no GPU"
arch=$("$python" -c 'import torch; p = torch.cuda.get_device_capability(); print(f"{p[0]}.{p[1]}")')
: "${arch:?device-check: could not read the compute capability of the GPU}"
prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
nvidia-smi --query-gpu=name,memory.total,memory.used,clocks.max.memory --format=csv > "$logs/gpu.txt" 2>&1
echo "torch $("$python" -c 'import torch; print(torch.__version__)'), nvcc $nvcc_cuda, sm_${arch/./}" >> "$logs/gpu.txt"

# ---- Build, test, memcheck, benchmark --------------------------------------------------------------
if [ "$mode" = prebuilt ]; then
  [ -f "$build/libtorchact.so" ] && [ -x "$build/tests/torchact_tests" ] ||
    fail "--prebuilt $build: no libtorchact.so and tests/torchact_tests there"
  # The prebuilt test program finds LibTorch, libtorchact.so and the CUDA runtime here.
  cudart=$("$python" -c 'import glob, os, site, torch
dirs = site.getsitepackages() + [os.path.dirname(os.path.dirname(torch.__file__))]
print(":".join(sorted({os.path.dirname(p) for d in dirs for p in glob.glob(d + "/nvidia/*/lib/libcudart.so.*")})))')
  export LD_LIBRARY_PATH="$prefix/../../lib:$build:$cudart:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
step configure 120 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CUDA_COMPILER="$nvcc" -DTORCHACT_PYTHON="$(command -v "$python")" -DTORCHACT_CUDA=ON \
  -DTORCH_CUDA_ARCH_LIST="$arch" -DTORCHACT_BUILD_BENCHMARKS=OFF -DTORCHACT_BUILD_EXAMPLES=OFF \
  -DTORCHACT_CPU_ISAS=avx512
step build 240 cmake --build "$build" -j "$(nproc)" --target torchact torchact_tests
if [ "$mode" = build-only ]; then
  for line in "${summary[@]}"; do echo "$line"; done
  ! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
  exit
fi
fi
step cuda_tests 120 "$build/tests/torchact_tests" --gtest_filter='*Cuda*' \
  --gtest_output="xml:$build/test-results/cuda_tests.xml"
step python_cuda_tests 120 env TORCHACT_LIBRARY="$build/libtorchact.so" "$python" -m pytest -q -rs \
  tests/python -k cuda -p no:cacheprovider --junitxml="$build/test-results/python_cuda_tests.xml"
if [ -n "$sanitizer" ]; then
  # Without the caching allocator every tensor is its own cudaMalloc, so an access past a tensor's
  # end is caught rather than landing in the pool's slack.
  step memcheck 180 env PYTORCH_NO_CUDA_MEMORY_CACHING=1 "$sanitizer" --tool memcheck --error-exitcode 1 \
    "$build/tests/torchact_tests" \
    --gtest_filter='Table/CudaOpsTest.*float32*:Table/CudaOpsTest.*bfloat16_n1023*:Cuda.CpuCudaMix*:Cuda.Packed*:Cuda.Misaligned*'
else
  summary+=("SKIP memcheck: compute-sanitizer not found (PATH, /usr/local/cuda/bin)")
fi
step benchmark 180 env TORCHACT_LIBRARY="$build/libtorchact.so" "$python" benchmarks/cuda_bench.py
python3 scripts/summarize_tests.py device "$build" > "$logs/tests.txt" 2>&1

echo "=== device check: $(sed -n 2p "$logs/gpu.txt") ($(tail -1 "$logs/gpu.txt"))"
for line in "${summary[@]}"; do echo "$line"; done
cat "$logs/tests.txt"
echo "--- benchmark"
tail -60 "$logs/benchmark.log"
! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
