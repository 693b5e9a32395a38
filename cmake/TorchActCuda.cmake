# Finds LibTorch and decides whether to build the CUDA kernels (TORCHACT_WITH_CUDA).
#
#   TORCHACT_CUDA=OFF   never
#   TORCHACT_CUDA=AUTO  when LibTorch was built with CUDA and a CUDA compiler is found
#   TORCHACT_CUDA=ON    the same, but an error when either is missing
#
# The CUDA compiler: CUDACXX / CMAKE_CUDA_COMPILER, nvcc on PATH or in /usr/local/cuda, else
# NVIDIA's compiler from PyPI installed beside torch (site-packages/nvidia/cu<N>/bin/nvcc, from
# pip install "cuda-toolkit[nvcc,cccl,crt,nvvm]==<torch's>"; scripts/install-deps.sh --pypi does
# that when the machine has no toolkit).
#
# PyPI's torch is a CUDA build, and its CMake config (Caffe2Config.cmake) refuses to load without
# a CUDA toolkit. When there is no CUDA compiler at all, a build without CUDA kernels imports
# torch's CPU libraries directly instead (cmake/TorchCpuOnly.cmake), so it needs no toolkit.

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

# NVIDIA's compiler from PyPI, beside a PyPI torch (<site-packages>/torch/share/cmake/Torch), laid
# out as a toolkit in the build tree (symlinks): nvcc looks for its libraries in lib64/, torch's
# config for unversioned names (libcudart.so), and PyPI has lib/ with versioned names only.
set(TORCHACT_PYPI_CUDA_DIR "${CMAKE_BINARY_DIR}/cuda-toolkit-from-pypi" CACHE PATH
    "Where the CUDA compiler from PyPI is laid out as a toolkit (one path for several builds keeps ccache hits)")
macro(torchact_use_pypi_cuda_compiler)
  get_filename_component(_site "${_torch_config_dir}/../../../.." REALPATH)
  file(GLOB _pypi_nvccs "${_site}/nvidia/cu*/bin/nvcc")
  if(_pypi_nvccs)
    list(GET _pypi_nvccs 0 _pypi_nvcc)
    get_filename_component(_pypi "${_pypi_nvcc}/../.." REALPATH)
    set(TORCHACT_PYPI_CUDA_ROOT "${TORCHACT_PYPI_CUDA_DIR}")
    file(REMOVE_RECURSE "${TORCHACT_PYPI_CUDA_ROOT}")
    file(MAKE_DIRECTORY "${TORCHACT_PYPI_CUDA_ROOT}/bin" "${TORCHACT_PYPI_CUDA_ROOT}/lib64")
    file(CREATE_LINK "${_pypi}/include" "${TORCHACT_PYPI_CUDA_ROOT}/include" SYMBOLIC)
    file(CREATE_LINK "${_pypi}/nvvm" "${TORCHACT_PYPI_CUDA_ROOT}/nvvm" SYMBOLIC)
    file(GLOB _pypi_tools "${_pypi}/bin/*")
    foreach(_tool IN LISTS _pypi_tools)
      get_filename_component(_name "${_tool}" NAME)
      file(CREATE_LINK "${_tool}" "${TORCHACT_PYPI_CUDA_ROOT}/bin/${_name}" SYMBOLIC)
    endforeach()
    file(GLOB _pypi_libs "${_pypi}/lib/lib*")
    foreach(_lib IN LISTS _pypi_libs)
      get_filename_component(_name "${_lib}" NAME)
      file(CREATE_LINK "${_lib}" "${TORCHACT_PYPI_CUDA_ROOT}/lib64/${_name}" SYMBOLIC)
      string(REGEX REPLACE "[.]so[.][0-9.]+$" ".so" _unversioned "${_name}")
      if(NOT EXISTS "${TORCHACT_PYPI_CUDA_ROOT}/lib64/${_unversioned}")
        file(CREATE_LINK "${_lib}" "${TORCHACT_PYPI_CUDA_ROOT}/lib64/${_unversioned}" SYMBOLIC)
      endif()
    endforeach()
    message(STATUS "torchact: CUDA compiler from PyPI (${_pypi_nvcc}), laid out as a toolkit in "
                   "${TORCHACT_PYPI_CUDA_ROOT}")
    unset(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_COMPILER "${TORCHACT_PYPI_CUDA_ROOT}/bin/nvcc" CACHE FILEPATH "CUDA compiler" FORCE)
    set(CUDA_TOOLKIT_ROOT_DIR "${TORCHACT_PYPI_CUDA_ROOT}" CACHE PATH "CUDA toolkit" FORCE)
    set(CUDAToolkit_ROOT "${TORCHACT_PYPI_CUDA_ROOT}")
  endif()
endmacro()

set(TORCHACT_PYPI_CUDA_ROOT "")
set(_cuda_compiler_found OFF)
if(NOT TORCHACT_CUDA STREQUAL "OFF" OR _torch_is_cuda_build)
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    unset(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "CUDA compiler" FORCE)
  endif()
  if(NOT CMAKE_CUDA_COMPILER AND NOT TORCHACT_CUDA STREQUAL "OFF" AND _torch_is_cuda_build)
    torchact_use_pypi_cuda_compiler()
  endif()
  if(CMAKE_CUDA_COMPILER)
    set(_cuda_compiler_found ON)
  endif()
endif()

if(_torch_is_cuda_build AND NOT _cuda_compiler_found)
  # No toolkit: torch's own config cannot load. Import its CPU libraries (no CUDA kernels).
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
set(TORCHACT_TORCH_CPU_ONLY OFF)

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
