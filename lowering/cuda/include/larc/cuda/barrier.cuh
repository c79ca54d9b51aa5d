// mbarrier: the shared-memory barrier that TMA loads complete on.
//
// A barrier counts pending arrivals and pending transaction bytes; its phase
// completes when both reach zero, then it re-arms and the phase parity flips.
// Waiters name the parity of the phase they wait for, so a ring of S stages
// waits on parity 0 for its first S loads, 1 for the next S, and so on
// (PhaseRing below keeps that count). The PTX comes from CCCL's cuda::ptx.
#pragma once

#include <cstdint>
#include <cuda/ptx>

namespace larc::gpu {

/// One mbarrier (a 64-bit word in shared memory).
struct alignas(8) Barrier {
  uint64_t word;
};

namespace mbarrier {
namespace ptx = ::cuda::ptx;

/// Arm for `count` arrivals per phase (mbarrier.init.shared.b64). One thread.
__device__ inline void init(Barrier &bar, uint32_t count) {
  ptx::mbarrier_init(&bar.word, count);
}

/// After init, before any other thread or the copy engine uses the barriers:
/// make the initialisation visible to the async proxy (fence.mbarrier_init
/// .release.cluster; fence.proxy.async.shared::cta). Follow with __syncthreads.
__device__ inline void init_fence() {
  ptx::fence_mbarrier_init(ptx::sem_release, ptx::scope_cluster);
  ptx::fence_proxy_async(ptx::space_shared);
}

/// Arrive once and expect `bytes` more transaction bytes in this phase
/// (mbarrier.arrive.expect_tx.release.cta.shared::cta.b64). The issuer of a TMA
/// load calls this with the bytes the load(s) will write.
__device__ inline void arrive_expect_tx(Barrier &bar, uint32_t bytes) {
  ptx::mbarrier_arrive_expect_tx(ptx::sem_release, ptx::scope_cta,
                                 ptx::space_shared, &bar.word, bytes);
}

/// Expect `bytes` more transaction bytes without arriving
/// (mbarrier.expect_tx.relaxed.cta.shared::cta.b64).
__device__ inline void expect_tx(Barrier &bar, uint32_t bytes) {
  ptx::mbarrier_expect_tx(ptx::sem_relaxed, ptx::scope_cta, ptx::space_shared,
                          &bar.word, bytes);
}

/// Arrive once (mbarrier.arrive.release.cta.shared::cta.b64), e.g. a consumer
/// releasing a stage back to the producer.
__device__ inline void arrive(Barrier &bar) {
  ptx::mbarrier_arrive(ptx::sem_release, ptx::scope_cta, ptx::space_shared,
                       &bar.word);
}

/// Whether the phase with this parity has completed, waiting a bounded,
/// hardware-chosen time (mbarrier.try_wait.parity.acquire.cta.shared::cta.b64).
__device__ inline bool try_wait(Barrier &bar, uint32_t parity) {
  return ptx::mbarrier_try_wait_parity(ptx::sem_acquire, ptx::scope_cta,
                                       &bar.word, parity);
}

/// Whether the phase with this parity has completed, without waiting
/// (mbarrier.test_wait.parity.acquire.cta.shared::cta.b64). A fresh barrier is
/// in phase 0, so test_wait(bar, 1) is true at once: the "previous" phase.
__device__ inline bool test_wait(Barrier &bar, uint32_t parity) {
  return ptx::mbarrier_test_wait_parity(ptx::sem_acquire, ptx::scope_cta,
                                        &bar.word, parity);
}

/// Block until the phase with this parity has completed (try_wait loop).
__device__ inline void wait(Barrier &bar, uint32_t parity) {
  while (!try_wait(bar, parity)) {
  }
}

} // namespace mbarrier

/// Stage index and phase parity of a ring of `Stages` buffers, each with its
/// own barrier: wait(bars[ring.stage], ring.parity), use it, ring.advance().
/// The parity flips each time the stage index wraps.
template <int Stages> struct PhaseRing {
  int stage = 0;
  uint32_t parity = 0;
  __device__ void advance() {
    if (++stage == Stages) {
      stage = 0;
      parity ^= 1u;
    }
  }
};

} // namespace larc::gpu
