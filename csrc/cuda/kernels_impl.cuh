// The CUDA kernels of every kernel of the op list for one storage type, included once per dtype
// by kernels_<dtype>.cu (which compile in parallel): TORCHACT_CUDA_STORAGE is the storage type,
// TORCHACT_CUDA_TABLE the name of the table's getter.
#include "kernels.h"
#include "launch.cuh"

namespace torchact {
namespace cuda {
namespace {

using S = TORCHACT_CUDA_STORAGE;

// One kernel kind (Body, elementwise.h) of one activation (Math, math.h) for storage type S.
template <template <typename> class Body, template <typename> class Math>
void launch_kind(const math::Params& params, const at::Tensor* const* in,
                 const at::Tensor* const* out, int64_t rows, int64_t row_len) {
  using F = Math<at::opmath_type<S>>;
  launch<S>(Body<F>{math::make<F>(params)}, in, out, rows, row_len);
}

// Each kernel of the op list with the kinds of its family (the gated kinds only for gated ops).
#define TORCHACT_LAUNCHES_Unary(Math)                                                            \
  launch_kind<elementwise::Forward, math::Math>, launch_kind<elementwise::Backward, math::Math>, \
      launch_kind<elementwise::BackwardBackward, math::Math>, nullptr, nullptr, nullptr
#define TORCHACT_LAUNCHES_Gated(Math)                                          \
  nullptr, nullptr, nullptr, launch_kind<elementwise::GatedForward, math::Math>, \
      launch_kind<elementwise::GatedBackward, math::Math>,                       \
      launch_kind<elementwise::GatedBackwardBackward, math::Math>
#define TORCHACT_LAUNCHES(id, Family, Math) {TORCHACT_LAUNCHES_##Family(Math)},
const Launch kLaunches[kernel::kCount][elementwise::kKinds] = {TORCHACT_KERNELS(TORCHACT_LAUNCHES)};

}  // namespace

const Launch (*TORCHACT_CUDA_TABLE())[elementwise::kKinds] { return kLaunches; }

}  // namespace cuda
}  // namespace torchact
