# Finds a CUDA compiler for a CUDA build of LibTorch, whose CMake config (Caffe2Config.cmake)
# stops without one. Used by the build (cmake/TorchActCuda.cmake) and by the installed
# TorchActConfig.cmake, so that a project using find_package(TorchAct) finds torch the same way.
#
#   torchact_find_cuda_compiler(<TorchConfig.cmake's directory>)
#
# Looks for CUDACXX / CMAKE_CUDA_COMPILER, nvcc on PATH, /usr/local/cuda/bin/nvcc, and last
# NVIDIA's compiler from PyPI installed beside torch (<site-packages>/nvidia/cu<N>/bin/nvcc, from
# pip install "cuda-toolkit[nvcc,cccl,crt,nvvm]==<the cuda-toolkit version torch installed>"). The
# PyPI compiler is laid out as a toolkit at TORCHACT_PYPI_CUDA_DIR (symlinks; default in the build
# tree): nvcc looks for its libraries in lib64/, torch's config for unversioned names
# (libcudart.so), and PyPI has lib/ with versioned names only. Sets CMAKE_CUDA_COMPILER (empty
# when none is found) and, for PyPI's, CUDA_TOOLKIT_ROOT_DIR, CUDAToolkit_ROOT and
# TORCHACT_PYPI_CUDA_ROOT.
set(TORCHACT_PYPI_CUDA_DIR "${CMAKE_BINARY_DIR}/cuda-toolkit-from-pypi" CACHE PATH
    "Where the CUDA compiler from PyPI is laid out as a toolkit (one path for several builds keeps ccache hits)")

macro(torchact_find_cuda_compiler torch_config_dir)
  set(TORCHACT_PYPI_CUDA_ROOT "")
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    unset(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "CUDA compiler" FORCE)
  endif()
  if(NOT CMAKE_CUDA_COMPILER)
    get_filename_component(_site "${torch_config_dir}/../../../.." REALPATH)
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
  endif()
endmacro()
