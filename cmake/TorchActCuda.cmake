# Finds LibTorch and decides whether to build the CUDA kernels (TORCHACT_WITH_CUDA).

# LibTorch's config looks for its libraries (libc10.so, ...) with find_library, which searches the
# system directories before LibTorch's own lib/: with Debian's libtorch-dev also installed, a PyPI
# or downloaded LibTorch would be linked against Debian's libc10 (two c10s in one process crash).
# Put the lib/ beside the TorchConfig.cmake we are given first.
foreach(_dir IN LISTS Torch_DIR CMAKE_PREFIX_PATH)
  foreach(_config_dir "${_dir}" "${_dir}/Torch" "${_dir}/share/cmake/Torch" "${_dir}/lib/cmake/Torch")
    if(EXISTS "${_config_dir}/TorchConfig.cmake" AND EXISTS "${_config_dir}/../../../lib/libc10.so")
      get_filename_component(_torch_lib "${_config_dir}/../../../lib" REALPATH)
      list(PREPEND CMAKE_LIBRARY_PATH "${_torch_lib}")
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
#   TORCHACT_CUDA=OFF   never; a CUDA-enabled LibTorch is then still found without nvcc
#   TORCHACT_CUDA=AUTO  when LibTorch was built with CUDA and nvcc is found
#   TORCHACT_CUDA=ON    the same, but an error when either is missing
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

include(CheckLanguage)
check_language(CUDA)
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
