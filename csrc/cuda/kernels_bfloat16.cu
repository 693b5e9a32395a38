// The CUDA kernels for bfloat16 tensors.
#define TORCHACT_CUDA_FAST_FLOAT_MATH  // math.h: hardware exp and bounded division (far below 8- or 11-bit rounding)
#define TORCHACT_CUDA_STORAGE c10::BFloat16
#define TORCHACT_CUDA_TABLE kernels_bfloat16
#include "kernels_impl.cuh"
