#!/usr/bin/env bash
# Installs what torchact's build and tests need on Debian 12, skipping what is already there.
#   scripts/install-deps.sh           Debian's packages: compiler, CMake, GoogleTest, Google
#                                     Benchmark, LibTorch 1.13 (libtorch-dev, python3-torch)
#   scripts/install-deps.sh --pypi    also PyTorch 2.11.0 from PyPI in a virtual environment at
#                                     $TORCHACT_VENV (default ~/.cache/torchact/venv-torch-2.11.0),
#                                     reused when present (the wheel is several GB), with the
#                                     tests' packages (tests/requirements.txt); on a
#                                     machine without a CUDA toolkit also NVIDIA's CUDA compiler
#                                     from PyPI into that environment (the cuda-toolkit version
#                                     torch depends on), so that the CUDA kernels compile and link
set -euo pipefail

TORCH_PYPI_VERSION=2.11.0
VENV="${TORCHACT_VENV:-$HOME/.cache/torchact/venv-torch-$TORCH_PYPI_VERSION}"

packages=(build-essential cmake git python3 python3-venv python3-pip python3-pytest
          python3-setuptools python3-wheel libtorch-dev python3-torch googletest libgtest-dev
          libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Optional: ccache makes scripts/test.sh's second compile of the library (the Python package's
# build) a cache hit. Without it everything works, only slower.
if ! command -v ccache >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ccache >/dev/null 2>&1 ||
    echo "install-deps: ccache not installed (optional)"
fi

if [ "${1:-}" = "--pypi" ]; then
  if ! "$VENV/bin/python" -c "import torch, pytest, numpy, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_PYPI_VERSION')" 2>/dev/null; then
    echo "install-deps: creating $VENV with torch==$TORCH_PYPI_VERSION from PyPI"
    mkdir -p "$(dirname "$VENV")"
    /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "torch==$TORCH_PYPI_VERSION" pytest numpy
  fi
  # The tests' other packages (transformers, for torchact.integrations.transformers), pinned.
  # Without them, those tests are skipped and say why.
  requirements="$(dirname "$0")/../tests/requirements.txt"
  "$VENV/bin/pip" install -q -r "$requirements" >/dev/null 2>&1 ||
    echo "install-deps: could not install $requirements into $VENV (tests/package/test_transformers.py will be skipped)"
  # The Python package's build without isolation (scripts/test.sh): setuptools < 70.1 needs wheel.
  # (scripts/test.sh falls back to Debian's python3-wheel when this cannot be installed.)
  "$VENV/bin/python" -c "import wheel" 2>/dev/null || "$VENV/bin/pip" install -q wheel >/dev/null 2>&1 ||
    echo "install-deps: could not install wheel into $VENV"
  # PyPI's torch is a CUDA build: building against it needs a CUDA compiler (its CMake config
  # stops without a toolkit). Without one on the machine, take NVIDIA's from PyPI, the same
  # cuda-toolkit release torch installed its CUDA libraries from (CMake finds it beside torch).
  if ! command -v nvcc >/dev/null && [ ! -x /usr/local/cuda/bin/nvcc ] && [ -z "${CUDACXX:-}" ]; then
    cuda_toolkit=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('cuda-toolkit'))" 2>/dev/null || true)
    site=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    if [ -z "$cuda_toolkit" ]; then
      echo "install-deps: torch did not install cuda-toolkit; no CUDA compiler: building without CUDA kernels"
    elif ! ls "$site"/nvidia/cu*/bin/nvcc >/dev/null 2>&1; then
      echo "install-deps: no CUDA toolkit on this machine: installing NVIDIA's CUDA compiler from PyPI (cuda-toolkit $cuda_toolkit) into $VENV"
      "$VENV/bin/pip" install -q "cuda-toolkit[nvcc,cccl,crt,nvvm]==$cuda_toolkit" ||
        echo "install-deps: could not install the CUDA compiler from PyPI: building without CUDA kernels"
    fi
  fi
  echo "$VENV"
fi
