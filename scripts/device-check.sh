#!/usr/bin/env bash
# The GPU check: on a machine with an NVIDIA GPU whose python3 imports a CUDA build of torch (no
# virtual environment, no network needed), configure torchact against that torch, build with all
# cores, run the whole ctest suite (C++ and Python, CUDA included), compute-sanitizer memcheck over
# a subset of the CUDA tests, and the CUDA benchmark. Prints a summary; logs go to LOG_DIR.
#
#   scripts/device-check.sh LOG_DIR          (about 5 minutes on one H100/H200)
set -uo pipefail
cd "$(dirname "$0")/.."
logs="${1:?usage: scripts/device-check.sh LOG_DIR}"
mkdir -p "$logs"
build=build/device
python=${PYTHON:-python3}
summary=()
step() {  # step NAME COMMAND...: runs it, logs to $logs/NAME.log, records pass/fail and time
  local name=$1; shift
  local start=$SECONDS
  if "$@" > "$logs/$name.log" 2>&1; then
    summary+=("PASS $name ($((SECONDS - start)) s)")
  else
    summary+=("FAIL $name ($((SECONDS - start)) s): see $logs/$name.log")
  fi
}

prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv > "$logs/gpu.txt" 2>&1
arch=$("$python" -c 'import torch; p = torch.cuda.get_device_capability(); print(f"{p[0]}.{p[1]}")')
step configure cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DTORCHACT_PYTHON="$(command -v "$python")" -DTORCHACT_CUDA=ON -DTORCH_CUDA_ARCH_LIST="$arch" \
  -DTORCHACT_BUILD_BENCHMARKS=OFF
step build cmake --build "$build" -j "$(nproc)"
step ctest bash -c "cd $build && ctest --output-on-failure -E large_input"
if command -v compute-sanitizer >/dev/null; then
  step memcheck compute-sanitizer --tool memcheck --error-exitcode 1 \
    "$build/tests/torchact_tests" --gtest_filter='Table/CudaOpsTest.*float32*:Table/CudaOpsTest.*bfloat16_n1023*:Cuda.CpuCudaMix*'
else
  summary+=("SKIP memcheck: compute-sanitizer not found")
fi
step benchmark env TORCHACT_LIBRARY="$build/libtorchact.so" "$python" benchmarks/cuda_bench.py
python3 scripts/summarize_tests.py device "$build" > "$logs/tests.txt" 2>&1

echo "=== device check: $(head -2 "$logs/gpu.txt" | tail -1)"
for line in "${summary[@]}"; do echo "$line"; done
cat "$logs/tests.txt"
echo "--- benchmark"
tail -40 "$logs/benchmark.log"
! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
