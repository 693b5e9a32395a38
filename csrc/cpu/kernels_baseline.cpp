// The CPU loops built for the baseline instruction set (compile flags in CMakeLists.txt).
#define TORCHACT_CPU_ISA baseline
#define KERNELS_FUNCTION kernels_baseline
#include "kernels_impl.h"
