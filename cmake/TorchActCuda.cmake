# Finds LibTorch and decides whether to build the CUDA kernels (TORCHACT_WITH_CUDA).
#
#   TORCHACT_CUDA=OFF   never
#   TORCHACT_CUDA=AUTO  when LibTorch was built with CUDA and a CUDA compiler is found
#   TORCHACT_CUDA=ON    the same, but an error when either is missing
#
# The CUDA compiler: the machine's toolkit, else NVIDIA's compiler from PyPI installed beside torch
# (cmake/TorchActCudaCompiler.cmake; scripts/install-deps.sh --pypi installs it on a machine
# without a toolkit).
#
# PyPI's torch is a CUDA build, and its CMake config (Caffe2Config.cmake) refuses to load without
# a CUDA toolkit. A build without CUDA kernels (TORCHACT_CUDA=OFF, or AUTO without a compiler)
# imports torch's CPU libraries directly instead (cmake/TorchCpuOnly.cmake): no toolkit needed.

# LibTorch's config looks for its libraries (libc10.so, ...) with find_library, which searches the
# system directories before LibTorch's own lib/: with Debian's libtorch-dev also installed, a PyPI
# or downloaded LibTorch would be linked against Debian's libc10 (two c10s in one process crash).
# Put the lib/ beside the TorchConfig.cmake we are given first.
set(_torch_config_dir "")
foreach(_dir IN LISTS Torch_DIR CMAKE_PREFIX_PATH)
  foreach(_config_dir "${_dir}" "${_dir}/Torch" "${_dir}/share/cmake/Torch" "${_dir}/lib/cmake/Torch")
    if(EXISTS "${_config_dir}/TorchConfig.cmake" AND EXISTS "${_config_dir}/../../../lib/libc10.so")
      get_filename_component(_torch_lib "${_config_dir}/../../../lib" REALPATH)
      list(PREPEND CMAKE_LIBRARY_PATH "${_torch_lib}")
      if(NOT _torch_config_dir)
        get_filename_component(_torch_config_dir "${_config_dir}" REALPATH)
      endif()
    endif()
  endforeach()
endforeach()

macro(torchact_find_torch)
  find_package(Torch REQUIRED)
  if(c10_LIBRARY AND NOT c10_LIBRARY MATCHES "^${TORCH_INSTALL_PREFIX}")
    message(FATAL_ERROR "LibTorch at ${TORCH_INSTALL_PREFIX} but c10 found at ${c10_LIBRARY}: "
                        "two LibTorch installations are mixed; set Torch_DIR to the one to use")
  endif()
endmacro()

# Whether the LibTorch found in CMAKE_PREFIX_PATH / Torch_DIR is a CUDA build (has libtorch_cuda).
set(_torch_is_cuda_build OFF)
if(_torch_config_dir AND EXISTS "${_torch_config_dir}/../../../lib/libtorch_cuda.so")
  set(_torch_is_cuda_build ON)
endif()

include(TorchActCudaCompiler)
set(TORCHACT_TORCH_CPU_ONLY OFF)
set(_cuda_compiler_found OFF)
if(_torch_is_cuda_build AND NOT TORCHACT_CUDA STREQUAL "OFF")
  torchact_find_cuda_compiler("${_torch_config_dir}")
  if(CMAKE_CUDA_COMPILER)
    set(_cuda_compiler_found ON)
  endif()
endif()

# A CUDA build of torch without a CUDA compiler, or without the kernels wanted: torch's own config
# would demand a toolkit, which a build without CUDA kernels does not need. Import torch's CPU
# libraries instead.
if(_torch_is_cuda_build AND NOT _cuda_compiler_found)
  if(TORCHACT_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TORCHACT_CUDA=ON: LibTorch has CUDA but no CUDA compiler was found. "
                        "Install a CUDA toolkit (CUDACXX=<toolkit>/bin/nvcc), or NVIDIA's compiler "
                        "from PyPI beside torch: pip install \"cuda-toolkit[nvcc,cccl,crt,nvvm]==<the "
                        "cuda-toolkit version torch installed>\" (scripts/install-deps.sh --pypi)")
  endif()
  include(TorchCpuOnly)
  torchact_import_torch_cpu_only("${_torch_config_dir}/../../..")
  set(TORCHACT_TORCH_CPU_ONLY ON)
  set(TORCHACT_WITH_CUDA OFF)
  if(TORCHACT_CUDA STREQUAL "AUTO")
    message(WARNING "torchact: no CUDA compiler found, building WITHOUT CUDA kernels against the "
                    "CUDA build of torch at ${TORCH_INSTALL_PREFIX}. For the CUDA kernels without a "
                    "CUDA toolkit: pip install \"cuda-toolkit[nvcc,cccl,crt,nvvm]==<the cuda-toolkit "
                    "version torch installed>\" into torch's environment, then build again.")
  endif()
  return()
endif()

if(TORCHACT_CUDA STREQUAL "OFF")
  torchact_find_torch()
  set(TORCHACT_WITH_CUDA OFF)
  return()
endif()

# LibTorch's CMake config compiles for the GPUs in TORCH_CUDA_ARCH_LIST (all of them by default,
# which is slow): Ampere and Hopper, plus Hopper PTX for newer GPUs, unless set otherwise.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0+PTX")
endif()

if(CMAKE_CUDA_COMPILER)
  # The architectures come from TORCH_CUDA_ARCH_LIST through LibTorch's flags.
  set(CMAKE_CUDA_ARCHITECTURES OFF)
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
endif()
torchact_find_torch()

if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(_torch_has_cuda ON)
else()
  set(_torch_has_cuda OFF)
endif()

if(_torch_has_cuda AND CMAKE_CUDA_COMPILER)
  set(TORCHACT_WITH_CUDA ON)
elseif(TORCHACT_CUDA STREQUAL "ON")
  message(FATAL_ERROR "TORCHACT_CUDA=ON needs a CUDA-enabled LibTorch (found: ${_torch_has_cuda}) "
                      "and nvcc (found: '${CMAKE_CUDA_COMPILER}')")
else()
  set(TORCHACT_WITH_CUDA OFF)
endif()
