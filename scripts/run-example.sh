#!/usr/bin/env bash
# The main-example command: installs what is missing (Debian's LibTorch 1.13 unless
# CMAKE_PREFIX_PATH names another LibTorch), builds torchact and runs the activation tour,
# which writes activations.svg in the current directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
prefix="${CMAKE_PREFIX_PATH:-/usr/lib/x86_64-linux-gnu/cmake/Torch}"
mkdir -p build
cmake -S . -B build/example -DCMAKE_PREFIX_PATH="$prefix" -DTORCHACT_CUDA=OFF \
  -DTORCHACT_BUILD_TESTS=OFF -DTORCHACT_BUILD_BENCHMARKS=OFF > build/example.configure.log 2>&1 ||
  { cat build/example.configure.log; exit 1; }
cmake --build build/example -j "$(nproc)" --target activation_tour > build/example.build.log 2>&1 ||
  { tail -50 build/example.build.log; exit 1; }
build/example/examples/activation_tour "$@"
