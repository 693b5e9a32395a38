# torch's CPU libraries as an imported target, without torch's CMake config: that config, in a
# CUDA build of torch (PyPI's), stops unless it finds a CUDA toolkit, which a build without CUDA
# kernels does not need. Used by CMakeLists.txt (cmake/TorchActCuda.cmake) and by the installed
# TorchActConfig.cmake when torchact was built this way.
#
# Sets what find_package(Torch) would for torchact's use: TORCH_LIBRARIES, TORCH_INSTALL_PREFIX,
# Torch_VERSION, Torch_DIR, c10_LIBRARY.
macro(torchact_import_torch_cpu_only prefix)
  get_filename_component(TORCH_INSTALL_PREFIX "${prefix}" REALPATH)
  set(Torch_DIR "${TORCH_INSTALL_PREFIX}/share/cmake/Torch")
  if(NOT TARGET torchact_torch_cpu_only)
    include("${Torch_DIR}/TorchConfigVersion.cmake")  # sets PACKAGE_VERSION
    set(Torch_VERSION "${PACKAGE_VERSION}")
    add_library(torchact_torch_cpu_only INTERFACE IMPORTED)
    set_target_properties(torchact_torch_cpu_only PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES
        "${TORCH_INSTALL_PREFIX}/include;${TORCH_INSTALL_PREFIX}/include/torch/csrc/api/include"
      # The libraries are named by path; --no-as-needed keeps libtorch.so, which registers the
      # operators, even where nothing refers to it directly (as torch's own config does).
      INTERFACE_LINK_LIBRARIES
        "-Wl,--no-as-needed;${TORCH_INSTALL_PREFIX}/lib/libtorch.so;${TORCH_INSTALL_PREFIX}/lib/libtorch_cpu.so;${TORCH_INSTALL_PREFIX}/lib/libc10.so;-Wl,--as-needed")
  endif()
  set(TORCH_LIBRARIES torchact_torch_cpu_only)
  set(c10_LIBRARY "${TORCH_INSTALL_PREFIX}/lib/libc10.so")
endmacro()
