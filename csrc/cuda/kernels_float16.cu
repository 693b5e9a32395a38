// The CUDA kernels for float16 tensors.
#define TORCHACT_CUDA_FAST_FLOAT_MATH  // math.h: hardware exp and bounded division (far below 8- or 11-bit rounding)
#define TORCHACT_CUDA_STORAGE c10::Half
#define TORCHACT_CUDA_TABLE kernels_float16
#include "kernels_impl.cuh"
