// The generic CUDA kernel and its launch: any kernel kind of elementwise.h (built on the activation
// structs of math.h, the same formulas the CPU runs) over 2-D [rows, row_len] tensors.
//
// Memory-bound kernels must move wide words and keep several in flight: each thread loads 16 bytes
// at a time (4 floats, 8 halves/bfloat16s, 2 doubles) when every row start is 16-byte aligned and
// rows are contiguous, 1-4 such packs before any math, with the row's tail one element at a time;
// other tensors (unaligned, interleaved gate and up) take the same kernel one element at a time.
// Measured on an H200 (README, "On an NVIDIA H200"). Indices are 64-bit throughout.
#pragma once

#include <ATen/OpMathType.h>
#include <ATen/cuda/CUDAContext.h>

#include <algorithm>
#include <cstdint>

#include "../elementwise.h"

namespace torchact {
namespace cuda {

constexpr int kThreads = 256;  // per block

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename S>
constexpr int pack_size() {
  return 16 / static_cast<int>(sizeof(S));
}

// Items (packs or elements) a thread keeps in flight: its loads are issued together before any
// math, so that it waits for memory once per kUnroll items. About 16 elements per input (8 with
// more than two inputs), 1 to 4 items: more elements cost registers, and fewer resident threads
// (bfloat16 with 4 packs of 8 took 94-102 registers, i.e. 2 blocks per SM: 75% of copy bandwidth).
template <int N, int kInputs>
constexpr int unroll() {
  constexpr int by_elements = (kInputs <= 2 ? 16 : 8) / N;
  constexpr int most = kInputs <= 2 ? 4 : 2;
  return by_elements < 1 ? 1 : (by_elements > most ? most : by_elements);
}

// Pointers and strides (in elements) of the kernel's tensors as [rows, row_len]: `inputs` input
// and `outputs` output tensors. A row's elements are contiguous, or 2 apart (a packed op's
// interleaved gate and up): `step`, used by the scalar path (N = 1) only.
template <int kInputs, int kOutputs>
struct RowPointers {
  const void* in[kInputs];
  int64_t in_row_stride[kInputs];
  int64_t in_step[kInputs];
  void* out[kOutputs];
  int64_t out_row_stride[kOutputs];
  int64_t out_step[kOutputs];
};

// Element (N = 1, `step` apart) or 16-byte pack (N > 1, contiguous) i of a row.
template <typename S, int N>
__device__ __forceinline__ Pack<S, N> load(const S* row, int64_t i, int64_t step) {
  if constexpr (N == 1) {
    return Pack<S, 1>{{row[i * step]}};
  } else {
    return reinterpret_cast<const Pack<S, N>*>(row)[i];
  }
}

template <typename S, int N>
__device__ __forceinline__ void store(S* row, int64_t i, int64_t step, const Pack<S, N>& v) {
  if constexpr (N == 1) {
    row[i * step] = v.v[0];
  } else {
    reinterpret_cast<Pack<S, N>*>(row)[i] = v;
  }
}

// The kernel over [rows, row_len]: a 2-D block, blockDim.x threads along a row (fewer than
// kThreads when rows are short, so that one block covers several rows) and blockDim.y rows. A
// block takes a tile of blockDim.x * kUnroll items of a row (the grid strides over tiles and rows
// where it has fewer blocks than that), its threads kUnroll items each, blockDim.x apart (so that
// a warp's loads are contiguous). N elements per item: 16-byte packs on aligned contiguous rows,
// with the last row_len % N elements one by one; N = 1 (scalar path) for everything else.
template <typename S, int N, int kInputs, int kOutputs, typename Body>
__global__ void __launch_bounds__(kThreads)
    elementwise_rows_kernel(Body body, RowPointers<kInputs, kOutputs> p, int64_t rows,
                            int64_t row_len) {
  using T = at::opmath_type<S>;
  constexpr int kUnroll = unroll<N, kInputs>();
  const int64_t items = row_len / N;
  const int64_t tile = static_cast<int64_t>(blockDim.x) * kUnroll;
  for (int64_t row = blockIdx.y * static_cast<int64_t>(blockDim.y) + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.y) * blockDim.y) {
    const S* in[kInputs];
    S* out[kOutputs];
#pragma unroll
    for (int k = 0; k < kInputs; ++k) in[k] = static_cast<const S*>(p.in[k]) + row * p.in_row_stride[k];
#pragma unroll
    for (int k = 0; k < kOutputs; ++k) out[k] = static_cast<S*>(p.out[k]) + row * p.out_row_stride[k];

    for (int64_t base = blockIdx.x * tile + threadIdx.x; base < items; base += gridDim.x * tile) {
      Pack<S, N> a[kUnroll][kInputs];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {  // every load first
        const int64_t i = base + u * static_cast<int64_t>(blockDim.x);
        if (i < items) {
#pragma unroll
          for (int k = 0; k < kInputs; ++k) a[u][k] = load<S, N>(in[k], i, p.in_step[k]);
        }
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t i = base + u * static_cast<int64_t>(blockDim.x);
        if (i < items) {
          Pack<S, N> r[kOutputs];
#pragma unroll
          for (int j = 0; j < N; ++j) {
            T x[kInputs];
            T y[kOutputs];
#pragma unroll
            for (int k = 0; k < kInputs; ++k) x[k] = static_cast<T>(a[u][k].v[j]);
            body(x, y);
#pragma unroll
            for (int k = 0; k < kOutputs; ++k) r[k].v[j] = static_cast<S>(y[k]);
          }
#pragma unroll
          for (int k = 0; k < kOutputs; ++k) store<S, N>(out[k], i, p.out_step[k], r[k]);
        }
      }
    }
    if constexpr (N > 1) {  // the row's last row_len % N elements (contiguous: N > 1)
      const int64_t i = items * N + blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
      if (i < row_len) {
        T x[kInputs];
        T y[kOutputs];
#pragma unroll
        for (int k = 0; k < kInputs; ++k) x[k] = static_cast<T>(in[k][i]);
        body(x, y);
#pragma unroll
        for (int k = 0; k < kOutputs; ++k) out[k][i] = static_cast<S>(y[k]);
      }
    }
  }
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename S, int N, int kInputs, int kOutputs, typename Body>
void launch_kernel(const Body& body, const RowPointers<kInputs, kOutputs>& p, int64_t rows,
                   int64_t row_len) {
  // Items per row: packs (or elements), at least as many as the tail's elements.
  const int64_t items = std::max<int64_t>(row_len / N, std::min<int64_t>(row_len, N - 1));
  // Threads along a row: the next power of two >= items, at most kThreads.
  int threads_x = 1;
  while (threads_x < kThreads && threads_x < items) threads_x *= 2;
  const int threads_y = kThreads / threads_x;
  const int64_t tile = static_cast<int64_t>(threads_x) * unroll<N, kInputs>();
  // A block per tile and per threads_y rows, within the grid's limits (the loops do the rest).
  const int64_t blocks_x = std::min<int64_t>((items + tile - 1) / tile, 0x7fffffff);
  const int64_t blocks_y = std::min<int64_t>((rows + threads_y - 1) / threads_y, 65535);
  const dim3 grid(static_cast<unsigned>(blocks_x), static_cast<unsigned>(blocks_y));
  const dim3 block(static_cast<unsigned>(threads_x), static_cast<unsigned>(threads_y));
  elementwise_rows_kernel<S, N, kInputs, kOutputs>
      <<<grid, block, 0, at::cuda::getCurrentCUDAStream()>>>(body, p, rows, row_len);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

// Launches body over 2-D [rows, row_len] tensors (unary tensors are one row). Vector path when
// every row start is 16-byte aligned and every row contiguous; the scalar kernel otherwise.
template <typename S, typename Body>
void launch(const Body& body, const at::Tensor* const* inputs, const at::Tensor* const* outputs,
            int64_t rows, int64_t row_len) {
  constexpr int kInputs = Body::kInputs, kOutputs = Body::kOutputs;
  RowPointers<kInputs, kOutputs> p;
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
  if (vectorizable) {
    launch_kernel<S, pack_size<S>()>(body, p, rows, row_len);
  } else {
    launch_kernel<S, 1>(body, p, rows, row_len);
  }
}

}  // namespace cuda
}  // namespace torchact
