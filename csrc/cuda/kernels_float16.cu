// The CUDA kernels for float16 tensors.
#define TORCHACT_CUDA_STORAGE c10::Half
#define TORCHACT_CUDA_TABLE kernels_float16
#include "kernels_impl.cuh"
