// The CUDA kernels for float32 tensors.
#define TORCHACT_CUDA_STORAGE float
#define TORCHACT_CUDA_TABLE kernels_float32
#include "kernels_impl.cuh"
