// The generic CUDA kernel and its launch: any kernel kind of elementwise.h (built on the activation
// structs of math.h, the same formulas the CPU runs) over 2-D [rows, row_len] tensors.
//
// Memory-bound kernels must move wide words: each thread loads and stores 16 bytes at a time
// (4 floats, 8 halves/bfloat16s, 2 doubles) when every pointer is 16-byte aligned, with a scalar
// loop for the tail; unaligned tensors take the scalar kernel. Indices are 64-bit throughout.
#pragma once

#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>

#include <algorithm>
#include <cstdint>

#include "../elementwise.h"

namespace torchact {
namespace cuda {

constexpr int kThreads = 256;

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename S>
constexpr int pack_size() {
  return 16 / static_cast<int>(sizeof(S));
}

// Grid-stride loop over [rows, row_len] (strides in elements): `inputs` input and `outputs` output
// tensors, N elements per thread step (N = 1: scalar path). A row's elements are contiguous, or 2
// apart (a packed op's interleaved gate and up): `step`, used by the scalar path only.
template <int kInputs, int kOutputs>
struct RowPointers {
  const void* in[kInputs];
  int64_t in_row_stride[kInputs];
  int64_t in_step[kInputs];
  void* out[kOutputs];
  int64_t out_row_stride[kOutputs];
  int64_t out_step[kOutputs];
};

template <typename S, int N, int kInputs, int kOutputs, typename Body>
__global__ void elementwise_rows_kernel(Body body, RowPointers<kInputs, kOutputs> p, int64_t rows,
                                        int64_t row_len) {
  using T = at::opmath_type<S>;
  const int64_t packs = row_len / N;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t row = blockIdx.y; row < rows; row += gridDim.y) {
    const S* in[kInputs];
    S* out[kOutputs];
#pragma unroll
    for (int k = 0; k < kInputs; ++k) in[k] = static_cast<const S*>(p.in[k]) + row * p.in_row_stride[k];
#pragma unroll
    for (int k = 0; k < kOutputs; ++k) out[k] = static_cast<S*>(p.out[k]) + row * p.out_row_stride[k];

    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < packs;
         i += step) {
      Pack<S, N> a[kInputs];
      Pack<S, N> r[kOutputs];
#pragma unroll
      for (int k = 0; k < kInputs; ++k) a[k] = reinterpret_cast<const Pack<S, N>*>(in[k])[i];
#pragma unroll
      for (int j = 0; j < N; ++j) {
        T x[kInputs];
        T y[kOutputs];
#pragma unroll
        for (int k = 0; k < kInputs; ++k) x[k] = static_cast<T>(a[k].v[j]);
        body(x, y);
#pragma unroll
        for (int k = 0; k < kOutputs; ++k) r[k].v[j] = static_cast<S>(y[k]);
      }
#pragma unroll
      for (int k = 0; k < kOutputs; ++k) reinterpret_cast<Pack<S, N>*>(out[k])[i] = r[k];
    }
    // Tail of the row (fewer than N elements); with N = 1 the whole row, elements `step` apart.
    for (int64_t i = packs * N + blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
         i < row_len; i += step) {
      T x[kInputs];
      T y[kOutputs];
#pragma unroll
      for (int k = 0; k < kInputs; ++k) x[k] = static_cast<T>(in[k][N == 1 ? i * p.in_step[k] : i]);
      body(x, y);
#pragma unroll
      for (int k = 0; k < kOutputs; ++k) out[k][N == 1 ? i * p.out_step[k] : i] = static_cast<S>(y[k]);
    }
  }
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Launches body over 2-D [rows, row_len] tensors (unary tensors are one row). Vector path when
// every row start is 16-byte aligned and every row contiguous; the scalar kernel otherwise.
template <typename S, typename Body>
void launch(const Body& body, const at::Tensor* const* inputs, const at::Tensor* const* outputs,
            int64_t rows, int64_t row_len) {
  constexpr int kInputs = Body::kInputs, kOutputs = Body::kOutputs;
  RowPointers<kInputs, kOutputs> p;
  constexpr int N = pack_size<S>();
  bool vectorizable = true;
  for (int k = 0; k < kInputs; ++k) {
    p.in[k] = inputs[k]->data_ptr();
    p.in_row_stride[k] = rows > 1 ? inputs[k]->stride(0) : 0;
    p.in_step[k] = inputs[k]->dim() == 2 ? inputs[k]->stride(1) : 1;
    vectorizable = vectorizable && p.in_step[k] == 1 && aligned16(p.in[k]) &&
                   (p.in_row_stride[k] * static_cast<int64_t>(sizeof(S))) % 16 == 0;
  }
  for (int k = 0; k < kOutputs; ++k) {
    p.out[k] = outputs[k]->data_ptr();
    p.out_row_stride[k] = rows > 1 ? outputs[k]->stride(0) : 0;
    p.out_step[k] = outputs[k]->dim() == 2 ? outputs[k]->stride(1) : 1;
    vectorizable = vectorizable && p.out_step[k] == 1 && aligned16(p.out[k]) &&
                   (p.out_row_stride[k] * static_cast<int64_t>(sizeof(S))) % 16 == 0;
  }
  const int n_per_thread = vectorizable ? N : 1;
  const int64_t per_row = (row_len / n_per_thread) + (row_len % n_per_thread);
  const int sms = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  // Enough blocks to fill every SM several times; the grid-stride loop covers the rest.
  const int64_t max_blocks = static_cast<int64_t>(sms) * 16;
  const int64_t blocks_x = std::max<int64_t>(
      1, std::min<int64_t>((per_row + kThreads - 1) / kThreads, max_blocks));
  const int64_t blocks_y = std::min<int64_t>(
      rows, std::max<int64_t>(1, max_blocks / blocks_x) * 4);
  const dim3 grid(static_cast<unsigned>(blocks_x), static_cast<unsigned>(std::min<int64_t>(blocks_y, 65535)));
  const auto stream = at::cuda::getCurrentCUDAStream();
  if (vectorizable) {
    elementwise_rows_kernel<S, N, kInputs, kOutputs>
        <<<grid, kThreads, 0, stream>>>(body, p, rows, row_len);
  } else {
    elementwise_rows_kernel<S, 1, kInputs, kOutputs>
        <<<grid, kThreads, 0, stream>>>(body, p, rows, row_len);
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace cuda
}  // namespace torchact
