// The CUDA kernels for float64 tensors.
#define TORCHACT_CUDA_STORAGE double
#define TORCHACT_CUDA_TABLE kernels_float64
#include "kernels_impl.cuh"
