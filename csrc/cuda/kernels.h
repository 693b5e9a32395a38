// The CUDA kernels' launch functions, one table per storage type (kernels_<dtype>.cu): for each
// kernel of the op list (generated kernel_list.h) and kind (elementwise.h), a host function that
// launches it on the current stream; nullptr for the other family's kinds.
#pragma once

#include <ATen/ATen.h>

#include "../elementwise.h"
#include "kernel_list.h"

namespace torchact {
namespace cuda {

// in and out: the kind's input and output tensors, 2-D [rows, row_len] with contiguous rows.
using Launch = void (*)(const math::Params&, const at::Tensor* const* in,
                        const at::Tensor* const* out, int64_t rows, int64_t row_len);

const Launch (*kernels_float32())[elementwise::kKinds];
const Launch (*kernels_float64())[elementwise::kKinds];
const Launch (*kernels_float16())[elementwise::kKinds];
const Launch (*kernels_bfloat16())[elementwise::kKinds];

}  // namespace cuda
}  // namespace torchact
