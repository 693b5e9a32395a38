// Built instead of the CUDA kernels when TORCHACT_CUDA is OFF or LibTorch has no CUDA: CUDA
// tensors then get an error that names the op (frontend.cpp).
#include "../backend.h"

namespace torchact {
const Backend* cuda_backend() { return nullptr; }
}  // namespace torchact
