// Warpgroup roles: which warpgroup a thread is in, register reallocation
// between producer and consumer warpgroups, and named barriers among a subset
// of the block's threads.
#pragma once

#include <cstdint>

namespace larc::gpu::warpgroup {

constexpr int kThreads = 128;

/// This thread's warpgroup in the block, made warp-uniform with a shuffle so
/// the compiler can branch on it without divergence (shfl.sync.idx).
__device__ inline int index() {
  return __shfl_sync(0xffffffffu, int(threadIdx.x / kThreads), 0);
}

/// Raise this warpgroup's register cap to Regs per thread
/// (setmaxnreg.inc.sync.aligned.u32; Regs a multiple of 8 in 24..256). Takes
/// effect only in kernels with __launch_bounds__(threads, 1), each role one
/// branch of an if/else on index().
template <int Regs> __device__ inline void increase_registers() {
  static_assert(Regs % 8 == 0 && Regs >= 24 && Regs <= 256, "setmaxnreg range");
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(Regs));
}

/// Lower this warpgroup's register cap (setmaxnreg.dec.sync.aligned.u32),
/// e.g. for a TMA producer that needs few registers.
template <int Regs> __device__ inline void decrease_registers() {
  static_assert(Regs % 8 == 0 && Regs >= 24 && Regs <= 256, "setmaxnreg range");
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(Regs));
}

/// Wait at named barrier `id` (1..15; 0 is __syncthreads) until `threads`
/// threads (a multiple of 32) have arrived (bar.sync id, threads).
__device__ inline void barrier_sync(int id, int threads = kThreads) {
  asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(threads) : "memory");
}

/// Arrive at named barrier `id` without waiting (bar.arrive id, threads):
/// a producer signalling consumers that wait with barrier_sync.
__device__ inline void barrier_arrive(int id, int threads = kThreads) {
  asm volatile("bar.arrive %0, %1;" ::"r"(id), "r"(threads) : "memory");
}

} // namespace larc::gpu::warpgroup
