#!/usr/bin/env bash
# The test command: installs what is missing, then builds torchact and runs its whole test suite
# (GoogleTest, pytest, the installed-package consumer) against both supported LibTorch versions:
#   debian  LibTorch 1.13.1 from Debian (CPU)
#   pypi    PyTorch 2.11.0 from PyPI, with the CUDA kernels compiled and linked (their tests skip
#           without a GPU): by the machine's CUDA toolkit, else by NVIDIA's compiler from PyPI,
#           which install-deps.sh puts into the venv; without either, no CUDA kernels (the
#           summary says which)
#   asan    LibTorch 1.13 with AddressSanitizer + UndefinedBehaviorSanitizer: the C++ tests and
#           the examples (any report fails)
# Usage: scripts/test.sh [debian|pypi|asan ...]   (default: all three). Build trees: build/<leg>.
set -euo pipefail
cd "$(dirname "$0")/.."
legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=(debian pypi asan)
jobs=$(nproc)

venv=""
for leg in "${legs[@]}"; do
  [ "$leg" = pypi ] && venv=$(scripts/install-deps.sh --pypi | tail -n 1)
done
scripts/install-deps.sh >/dev/null

if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi

# ccache: the Python package's build (below) compiles the library's sources again, with the same
# flags; ccache makes that second compile a cache hit.
# NVIDIA's compiler from PyPI (machines without a CUDA toolkit) is laid out at one path for both
# builds of the pypi leg, so that the package's build finds its CUDA compiles in the cache too.
# The generated sources, too, are shared: the same op list gives the same files.
launcher=(-DTORCHACT_PYPI_CUDA_DIR="$PWD/build/cuda-toolkit-from-pypi" -DTORCHACT_GENERATED="$PWD/build/generated")
if command -v ccache >/dev/null; then
  launcher+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi

# The Python package, as users install it (README "Python"): pip install . into a fresh
# environment, then tests/package runs there.
#   debian: setup.py configures and builds its own CMake tree, as for any user, in a venv made
#           with --system-site-packages over Debian's python3-torch
#   pypi:   setup.py packages the leg's own build (TORCHACT_CMAKE_BUILD_DIR: compiling the CUDA
#           kernels a second time would take minutes) into a --target directory used with the
#           PyTorch 2.11 venv
package_tests() {
  local leg=$1 build=$2 python=$3 cuda_setting=$4 root=$PWD site="$PWD/$2/package"
  local cmake_args=("${launcher[@]}")
  [ "$leg" = pypi ] && cmake_args+=("${pypi_cuda_arch[@]}")
  local target=() test_path="" wheel_path="" reuse=""
  rm -rf "$site"
  if [ "$leg" = debian ]; then
    "$python" -m venv --system-site-packages "$site"
    python="$site/bin/python"
  else
    target=(--target "$site")
    test_path=$site
    reuse="$PWD/$build"
  fi
  # setuptools < 70.1 builds wheels with the `wheel` package; offline, take Debian's (pure Python).
  if ! "$python" -c "import wheel" 2>/dev/null && [ -d /usr/lib/python3/dist-packages/wheel ]; then
    wheel_path="$PWD/$build/wheel-shim"  # the package and its metadata (bdist_wheel's entry point)
    mkdir -p "$wheel_path"
    for d in /usr/lib/python3/dist-packages/wheel /usr/lib/python3/dist-packages/wheel-*; do
      ln -sfn "$d" "$wheel_path/$(basename "$d")"
    done
  fi
  PYTHONPATH="$wheel_path" CMAKE_ARGS="${cmake_args[*]}" TORCHACT_CUDA=$cuda_setting \
    TORCHACT_CMAKE_BUILD_DIR="$reuse" \
    "$python" -m pip install -q --no-build-isolation "${target[@]}" . > "$build.package.log" 2>&1 ||
    { tail -40 "$build.package.log"; return 1; }
  (cd "$build" && PYTHONPATH="$test_path" "$python" -m pytest -q -rs -W ignore::DeprecationWarning \
     "$root/tests/package" --junitxml=test-results/package_tests.xml)
}

# The CUDA kernels are compiled and linked, not run, here: one GPU architecture (Hopper) is enough
# to check that (the default build compiles for Ampere and Hopper, plus PTX).
pypi_cuda_arch=(-DTORCH_CUDA_ARCH_LIST=9.0)

# Each step's start, as time since the script began (CI keeps the whole run under 35 minutes).
step() { echo "=== $* [$((SECONDS / 60))m$((SECONDS % 60))s]"; }

# Ninja where installed (a fresh build tree only: CMake keeps a tree's generator).
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

mkdir -p build
status=0
summaries=()
for leg in "${legs[@]}"; do
  build="build/$leg"
  skip_tests=()
  case "$leg" in
    debian)
      # (The benchmarks and the 2^31-element test, which needs a minute alone, in the pypi leg.)
      args=(-DCMAKE_PREFIX_PATH=/usr/lib/x86_64-linux-gnu/cmake/Torch -DTORCHACT_PYTHON=/usr/bin/python3
            -DTORCHACT_CUDA=OFF -DTORCHACT_BUILD_BENCHMARKS=OFF)
      skip_tests=(-E "^large_input_tests$") ;;
    pypi)
      prefix=$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
      cuda=AUTO   # ON where a CUDA compiler is found (the machine's or PyPI's beside torch)
      args=(-DCMAKE_PREFIX_PATH="$prefix" -DTORCHACT_PYTHON="$venv/bin/python" -DTORCHACT_CUDA=$cuda
            "${pypi_cuda_arch[@]}") ;;
    asan)
      # One instruction set's loops (the sanitizers check the same loop code in each), and -O1
      # outside them (ASan's usual level, a quicker build; the loops keep their -O3).
      args=(-DCMAKE_PREFIX_PATH=/usr/lib/x86_64-linux-gnu/cmake/Torch -DTORCHACT_CUDA=OFF
            -DTORCHACT_SANITIZE=address,undefined -DTORCHACT_BUILD_BENCHMARKS=OFF
            -DTORCHACT_CPU_ISAS=baseline "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG") ;;
    *) echo "unknown leg '$leg' (debian, pypi, asan)"; exit 2 ;;
  esac
  step "$leg: configure and build ($build)"
  gen=()
  [ -f "$build/CMakeCache.txt" ] || gen=("${generator[@]}")
  cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "${args[@]}" > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
  grep -E "^-- torchact" "$build.configure.log" || true
  if ! cmake --build "$build" -j "$jobs" > "$build.build.log" 2>&1; then
    grep -E -A5 "error" "$build.build.log" | head -80
    echo "$leg: build failed (full log: $build.build.log)"
    exit 1
  fi
  grep -E "warning" "$build.build.log" | head -20 || true
  step "$leg: test"
  rm -rf "$build/test-results"
  if [ "$leg" = asan ]; then
    # Python cannot load an ASan library without preloading the runtime; the large-input test
    # needs more memory than ASan leaves. LibTorch's own start-up allocations are suppressed by
    # name in tests/sanitizers/lsan.supp (nothing of torchact's).
    (cd "$build" && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
       LSAN_OPTIONS=suppressions=$PWD/../../tests/sanitizers/lsan.supp:print_suppressions=0 \
       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       ctest --output-on-failure -R "^cpp_tests$|example") || status=1
  else
    (cd "$build" && ctest --output-on-failure -j 2 "${skip_tests[@]}") || status=1
    step "$leg: Python package (pip install ., tests/package)"
    if [ "$leg" = debian ]; then package_tests debian "$build" /usr/bin/python3 OFF || status=1
    else package_tests pypi "$build" "$venv/bin/python" "$cuda" || status=1; fi
  fi
  summaries+=("$(python3 scripts/summarize_tests.py "$leg" "$build")")
  summaries+=("    $leg: CUDA kernels $(sed -n 's/^cuda_kernels=//p' "$build/torchact_build.txt")")
done

step summary
for s in "${summaries[@]}"; do echo "$s"; done
python3 scripts/summarize_tests.py --total "${legs[@]/#/build/}"
exit $status
