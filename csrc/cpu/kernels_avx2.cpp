// The CPU loops built for the avx2 instruction set (compile flags in CMakeLists.txt).
#define TORCHACT_CPU_ISA avx2
#define KERNELS_FUNCTION kernels_avx2
#include "kernels_impl.h"
