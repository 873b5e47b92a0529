// Our tiled single-precision GEMM, C = A B with a choice of epilogue, for the Linear layers.
// A 64x64 output tile per block of 256 threads, each thread a 4x4 register micro-tile, the
// operands staged through shared memory 16 columns of K at a time; the loads are arranged per
// operand layout so consecutive threads read consecutive addresses. Tails in M, N and K are
// handled by zero-filling the staged tiles (no divisibility is assumed: 288 is not a multiple of
// 64). K may be split across blockIdx.z, each split writing its own partial tile, for the weight
// gradient, whose K is the batch (reduced afterwards in order by reduce.cuh, deterministically).
//
// The tile logic is three host/device phases (load, accumulate, store) that take the thread's
// index as an argument; the kernel runs them with barriers between, and the CPU tests run the
// same phases for every thread of every block in turn, which exercises the index arithmetic
// without a GPU.
#pragma once

#include "common.cuh"

namespace dae::kernels {

/// Tiling of gemm: BM x BN outputs per block, BK of K per stage, TM x TN per thread.
/// @tparam ARowMajor  A(m, k) at A[m * lda + k] (else A[k * lda + m])
/// @tparam BRowMajor  B(k, n) at B[k * ldb + n] (else B[n * ldb + k])
template <bool ARowMajor, bool BRowMajor, int BM = 64, int BN = 64, int BK = 16, int TM = 4, int TN = 4>
struct GemmTile {
  static constexpr int threads_m = BM / TM, threads_n = BN / TN;
  static constexpr int threads = threads_m * threads_n;
  static constexpr int block_m = BM, block_n = BN, block_k = BK;
  // Preconditions
  static_assert(BM % TM == 0 && BN % TN == 0, "GemmTile: the micro-tile must divide the tile");
  static_assert((BM * BK) % threads == 0 && (BN * BK) % threads == 0,
                "GemmTile: every thread loads the same number of elements");
  static_assert(threads % 32 == 0 && threads <= 1024, "GemmTile: a whole number of warps");

  /// The staged tiles, k-major; one column of padding keeps the transposing stores of a K-contiguous
  /// operand (consecutive threads, consecutive k) off a single shared-memory bank.
  struct Shared {
    float a[BK][BM + 1];
    float b[BK][BN + 1];
  };

  /// Stages A(m0.., k0..) and B(k0.., n0..) into shared memory, zero beyond (M, N, k_end).
  DAE_HOST_DEVICE static void load(int tid, int m0, int n0, int k0, int M, int N, int k_end, const float* A,
                                   int lda, const float* B, int ldb, Shared& s) {
    for (int e = tid; e < BM * BK; e += threads) {
      const int m = ARowMajor ? e / BK : e % BM;
      const int k = ARowMajor ? e % BK : e / BM;
      const int gm = m0 + m, gk = k0 + k;
      s.a[k][m] = (gm < M && gk < k_end) ? A[ARowMajor ? static_cast<long long>(gm) * lda + gk
                                                       : static_cast<long long>(gk) * lda + gm]
                                         : 0.0f;
    }
    for (int e = tid; e < BN * BK; e += threads) {
      const int n = BRowMajor ? e % BN : e / BK;
      const int k = BRowMajor ? e / BN : e % BK;
      const int gn = n0 + n, gk = k0 + k;
      s.b[k][n] = (gn < N && gk < k_end) ? B[BRowMajor ? static_cast<long long>(gk) * ldb + gn
                                                       : static_cast<long long>(gn) * ldb + gk]
                                         : 0.0f;
    }
  }

  /// acc(i, j) += sum over the staged k of A(row i) B(col j); the thread's rows are
  /// tid / threads_n + threads_m * i and its columns tid % threads_n + threads_n * j.
  DAE_HOST_DEVICE static void accumulate(int tid, const Shared& s, float (&acc)[TM][TN]) {
    const int ty = tid / threads_n, tx = tid % threads_n;
    for (int k = 0; k < BK; ++k) {
      float a[TM], b[TN];
      for (int i = 0; i < TM; ++i) a[i] = s.a[k][ty + threads_m * i];
      for (int j = 0; j < TN; ++j) b[j] = s.b[k][tx + threads_n * j];
      for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
  }

  /// Hands every in-range accumulator to epilogue(m, n, value).
  template <class Epilogue>
  DAE_HOST_DEVICE static void store(int tid, int m0, int n0, int M, int N, const float (&acc)[TM][TN],
                                    const Epilogue& epilogue) {
    const int ty = tid / threads_n, tx = tid % threads_n;
    for (int i = 0; i < TM; ++i) {
      const int m = m0 + ty + threads_m * i;
      if (m >= M) continue;
      for (int j = 0; j < TN; ++j) {
        const int n = n0 + tx + threads_n * j;
        if (n < N) epilogue(m, n, acc[i][j]);
      }
    }
  }
};

/// Epilogue C(m, n) = act(value + bias[n]).
template <Activation Act>
struct BiasActivationEpilogue {
  float* c;
  int ldc;
  const float* bias;
  DAE_HOST_DEVICE void operator()(int m, int n, float value) const {
    c[static_cast<long long>(m) * ldc + n] = activate<Act>(value + bias[n]);
  }
};

/// Epilogue C(m, n) = value, or 0 where mask(m, n) <= 0 (a fused ReLU derivative) if mask is set.
struct MaskEpilogue {
  float* c;
  int ldc;
  const float* mask;
  DAE_HOST_DEVICE void operator()(int m, int n, float value) const {
    const long long i = static_cast<long long>(m) * ldc + n;
    c[i] = (mask == nullptr || mask[i] > 0.0f) ? value : 0.0f;
  }
};

/// Epilogue partial(m, n) = value into one split's (M, N) slice of a row of `stride` floats.
struct PartialEpilogue {
  float* partial;  // this split's row
  int ldc;
  DAE_HOST_DEVICE void operator()(int m, int n, float value) const {
    partial[static_cast<long long>(m) * ldc + n] = value;
  }
};

#if defined(DAE_CUDA_KERNELS)

/// One block's tile: C(m0.., n0..) over K in [k_begin, k_end), then the epilogue.
template <class Tile, class Epilogue>
__device__ inline void gemm_block(int M, int N, int k_begin, int k_end, const float* __restrict__ A, int lda,
                                  const float* __restrict__ B, int ldb, const Epilogue& epilogue) {
  DAE_SHARED(typename Tile::Shared, shared);
  float acc[Tile::block_m / Tile::threads_m][Tile::block_n / Tile::threads_n] = {};
  const int m0 = blockIdx.y * Tile::block_m, n0 = blockIdx.x * Tile::block_n;
  const int tid = threadIdx.x;
  for (int k0 = k_begin; k0 < k_end; k0 += Tile::block_k) {
    Tile::load(tid, m0, n0, k0, M, N, k_end, A, lda, B, ldb, shared);
    __syncthreads();
    Tile::accumulate(tid, shared, acc);
    __syncthreads();
  }
  Tile::store(tid, m0, n0, M, N, acc, epilogue);
}

/// Grid of a GEMM of M x N outputs in `splits` K-splits.
template <class Tile>
inline dim3 gemm_grid(int M, int N, int splits = 1) {
  return dim3(static_cast<unsigned>(ceil_div(N, Tile::block_n)), static_cast<unsigned>(ceil_div(M, Tile::block_m)),
              static_cast<unsigned>(splits));
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
