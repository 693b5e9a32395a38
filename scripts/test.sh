#!/usr/bin/env bash
# The test command: installs what is missing, then builds torchact and runs its whole test suite
# (GoogleTest, pytest, the installed-package consumer) against both supported LibTorch versions:
#   debian  LibTorch 1.13.1 from Debian (CPU)
#   pypi    PyTorch 2.11.0 from PyPI, with the CUDA kernels compiled and linked when nvcc is
#           present (their tests skip without a GPU)
# Usage: scripts/test.sh [debian|pypi ...]   (default: both). Build trees go to build/<leg>.
set -euo pipefail
cd "$(dirname "$0")/.."
legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=(debian pypi)
jobs=$(nproc)

venv=""
for leg in "${legs[@]}"; do
  [ "$leg" = pypi ] && venv=$(scripts/install-deps.sh --pypi | tail -n 1)
done
scripts/install-deps.sh >/dev/null

if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi

mkdir -p build
status=0
summaries=()
for leg in "${legs[@]}"; do
  build="build/$leg"
  case "$leg" in
    debian)
      args=(-DCMAKE_PREFIX_PATH=/usr/lib/x86_64-linux-gnu/cmake/Torch -DTORCHACT_PYTHON=/usr/bin/python3
            -DTORCHACT_CUDA=OFF) ;;
    pypi)
      prefix=$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
      cuda=AUTO
      if command -v nvcc >/dev/null || [ -n "${CUDACXX:-}" ]; then cuda=ON; fi
      args=(-DCMAKE_PREFIX_PATH="$prefix" -DTORCHACT_PYTHON="$venv/bin/python" -DTORCHACT_CUDA=$cuda) ;;
    *) echo "unknown leg '$leg' (debian, pypi)"; exit 2 ;;
  esac
  echo "=== $leg: configure and build ($build)"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "${args[@]}" > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
  grep -E "^-- torchact" "$build.configure.log" || true
  if ! cmake --build "$build" -j "$jobs" > "$build.build.log" 2>&1; then
    grep -E -A5 "error" "$build.build.log" | head -80
    echo "$leg: build failed (full log: $build.build.log)"
    exit 1
  fi
  grep -E "warning" "$build.build.log" | head -20 || true
  echo "=== $leg: test"
  rm -rf "$build/test-results"
  (cd "$build" && ctest --output-on-failure -j 2) || status=1
  summaries+=("$(python3 scripts/summarize_tests.py "$leg" "$build")")
done

echo "=== summary"
for s in "${summaries[@]}"; do echo "$s"; done
python3 scripts/summarize_tests.py --total "${legs[@]/#/build/}"
exit $status
