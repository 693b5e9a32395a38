// The CPU loops built for the avx512 instruction set (compile flags in CMakeLists.txt).
#define TORCHACT_CPU_ISA avx512
#define KERNELS_FUNCTION kernels_avx512
#include "kernels_impl.h"
