// wgmma: warpgroup matrix multiply-accumulate on Hopper tensor cores (sm_90a),
// D[64, N] (+)= A[64, 16] · B[16, N] per instruction, fp32 accumulators in
// registers (larc/cuda/fragment.cuh), B in shared memory, A in shared memory
// (SS) or registers (RS). Operands in shared memory are named by 64-bit matrix
// descriptors over 128-byte swizzled tiles (larc/cuda/smem.cuh).
//
// "Major" is which dimension is contiguous in shared memory: a row-major A
// [M, K] is K-major; B given row-major as [K, N] (V in P·V) is MN-major; B
// given as the rows of Bᵀ, [N, K] (K in Q·Kᵀ), is K-major. The tile-level
// helpers below read that off the function name: mma_AB, mma_ABt, mma_AtB.
//
// wgmma is asynchronous: bracket a batch with fence() ... commit(), then
// wait<n>() before touching the accumulators. CCCL has no wgmma wrappers, so
// the PTX is written here, once per N.
#pragma once

#include <cstdint>
#include <type_traits>

#include "larc/cuda/fragment.cuh"
#include "larc/cuda/smem.cuh"

namespace larc::gpu::wgmma {

enum class Major { K, MN };

/// Make earlier register and shared-memory accesses visible to the following
/// wgmmas (wgmma.fence.sync.aligned): before the first wgmma of a batch and
/// whenever its accumulator or A fragment was written by other instructions.
__device__ inline void fence() {
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}

/// Close the wgmmas issued so far into one group
/// (wgmma.commit_group.sync.aligned).
__device__ inline void commit() {
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}

/// Wait until at most N committed groups are pending
/// (wgmma.wait_group.sync.aligned N); their accumulators are then readable.
template <int N = 0> __device__ inline void wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory");
}

/// Compiler-only fence: keeps ordinary uses of the accumulator registers from
/// being moved across fence()/wait() (emits no instruction).
template <int N> __device__ inline void fence_operand(Accum<N> &d) {
#pragma unroll
  for (int i = 0; i < N / 2; ++i)
    asm volatile("" : "+f"(d.v[i])::"memory");
}

/// The same for an A fragment: its conversion stays before the fence() that
/// precedes the RS wgmma reading it (else ptxas re-inserts the fence, C7519).
template <class T, int K> __device__ inline void fence_operand(AFrag<T, K> &a) {
#pragma unroll
  for (int s = 0; s < K / 16; ++s)
#pragma unroll
    for (int q = 0; q < 4; ++q)
      asm volatile("" : "+r"(a.v[s][q])::"memory");
}

/// Matrix descriptor (PTX ISA "Matrix Descriptor Format"): bits 0-13 start
/// address >> 4, 16-29 leading byte offset >> 4, 32-45 stride byte offset >> 4,
/// 49-51 base offset (0: tiles are 1024-byte aligned), 62-63 layout type
/// (1 = 128-byte swizzle).
__device__ inline uint64_t make_desc(uint32_t addr, uint32_t lbo,
                                     uint32_t sbo) {
  return uint64_t((addr & 0x3FFFF) >> 4) |
         uint64_t((lbo & 0x3FFFF) >> 4) << 16 |
         uint64_t((sbo & 0x3FFFF) >> 4) << 32 | uint64_t(1) << 62;
}

/// Descriptor of the k16 slice `k16` of a K-major operand: tile [MN, K]
/// (row-major), rows from mn0 (a multiple of 8). Eight-row groups are 1024
/// bytes apart (stride offset); the leading offset is unused with swizzling.
/// The slice starts 32 bytes into a 128-byte row: the hardware swizzles the
/// final address, as TMA did, so the start address just moves.
template <class Tile>
__device__ inline uint64_t desc_k_major(const Tile &t, int mn0, int k16) {
  const int k = 16 * k16;
  const uint32_t addr = t.addr() + (k / Tile::kSpan) * Tile::kBlockBytes +
                        mn0 * 128 +
                        (k % Tile::kSpan) * sizeof(typename Tile::Elem);
  return make_desc(addr, 16, 1024);
}

/// Descriptor of the k16 slice `k16` of an MN-major operand: tile [K, MN]
/// (row-major), columns from mn0 (a multiple of 64). Eight K rows are 1024
/// bytes apart (stride offset); the next 64-wide MN span is the next column
/// block (leading offset). A k16 slice is 16 rows, 2048 bytes.
template <class Tile>
__device__ inline uint64_t desc_mn_major(const Tile &t, int mn0, int k16) {
  const uint32_t addr =
      t.addr() + (mn0 / Tile::kSpan) * Tile::kBlockBytes + k16 * 2048;
  return make_desc(addr, Tile::kBlockBytes, 1024);
}

namespace detail {

// The accumulator of m64nN is N/2 fp32 registers: their "+f" operand list and
// their "{%0, ..., %(N/2 - 1)}" list in the instruction text.
#define LARC_WGMMA_ACC8(d, i)                                                  \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]),  \
      "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define LARC_WGMMA_ACC16(d) LARC_WGMMA_ACC8(d, 0)
#define LARC_WGMMA_ACC32(d) LARC_WGMMA_ACC16(d), LARC_WGMMA_ACC8(d, 8)
#define LARC_WGMMA_ACC64(d)                                                    \
  LARC_WGMMA_ACC32(d), LARC_WGMMA_ACC8(d, 16), LARC_WGMMA_ACC8(d, 24)
#define LARC_WGMMA_ACC128(d)                                                   \
  LARC_WGMMA_ACC64(d), LARC_WGMMA_ACC8(d, 32), LARC_WGMMA_ACC8(d, 40),         \
      LARC_WGMMA_ACC8(d, 48), LARC_WGMMA_ACC8(d, 56)
#define LARC_WGMMA_ACC256(d)                                                   \
  LARC_WGMMA_ACC128(d), LARC_WGMMA_ACC8(d, 64), LARC_WGMMA_ACC8(d, 72),        \
      LARC_WGMMA_ACC8(d, 80), LARC_WGMMA_ACC8(d, 88), LARC_WGMMA_ACC8(d, 96),  \
      LARC_WGMMA_ACC8(d, 104), LARC_WGMMA_ACC8(d, 112),                        \
      LARC_WGMMA_ACC8(d, 120)

#define LARC_WGMMA_D16 "{%0, %1, %2, %3, %4, %5, %6, %7}"
#define LARC_WGMMA_D32                                                         \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}"
#define LARC_WGMMA_D64                                                         \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "    \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, "     \
  "%30, %31}"
#define LARC_WGMMA_D128                                                        \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "    \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, "     \
  "%30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, "     \
  "%44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, "     \
  "%58, %59, %60, %61, %62, %63}"
#define LARC_WGMMA_D256                                                        \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "    \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, "     \
  "%30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, "     \
  "%44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, "     \
  "%58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, "     \
  "%72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, "     \
  "%86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, "     \
  "%100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "   \
  "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, "   \
  "%124, %125, %126, %127}"

// SS: wgmma.mma_async.sync.aligned.m64nNk16.f32.T.T d, a-desc, b-desc,
// scale-d, imm-scale-a, imm-scale-b, imm-trans-a, imm-trans-b. Operands after
// the accumulators: %P0 a-desc, %P1 b-desc, %P2 scale-d, %P3/%P4 trans a/b.
#define LARC_WGMMA_SS_ASM(N, TY, D, P0, P1, P2, P3, P4)                        \
  "{\n.reg .pred p;\nsetp.ne.b32 p, %" #P2 ", 0;\n"                            \
  "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." TY "." TY " " D ", %" #P0  \
  ", %" #P1 ", p, 1, 1, %" #P3 ", %" #P4 ";\n}\n"
// RS: ... d, {a0, a1, a2, a3}, b-desc, scale-d, imm-scale-a, imm-scale-b,
// imm-trans-b. Operands: %P0-%P3 the A registers, %P4 b-desc, %P5 scale-d,
// %P6 trans-b.
#define LARC_WGMMA_RS_ASM(N, TY, D, P0, P1, P2, P3, P4, P5, P6)                \
  "{\n.reg .pred p;\nsetp.ne.b32 p, %" #P5 ", 0;\n"                            \
  "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." TY "." TY " " D ", {%" #P0 \
  ", %" #P1 ", %" #P2 ", %" #P3 "}, %" #P4 ", p, 1, 1, %" #P6 ";\n}\n"

// One instruction for each N, bf16 or fp16 inputs (T), A and B majorness as
// the trans immediates (0 = K-major, 1 = MN-major). P0..P6 number the
// operands after the N/2 accumulators, so P0 = N/2.
template <int N> struct Mma;
#define LARC_DEFINE_WGMMA(N, D, ACC, P0, P1, P2, P3, P4, P5, P6)               \
  template <> struct Mma<N> {                                                  \
    template <class T, int TA, int TB>                                         \
    __device__ static void ss(float (&d)[N / 2], uint64_t a, uint64_t b,       \
                              int scale_d) {                                   \
      if constexpr (std::is_same_v<T, bf16>)                                   \
        asm volatile(LARC_WGMMA_SS_ASM(N, "bf16", D, P0, P1, P2, P3, P4)       \
                     : ACC(d)                                                  \
                     : "l"(a), "l"(b), "r"(scale_d), "n"(TA), "n"(TB));        \
      else                                                                     \
        asm volatile(LARC_WGMMA_SS_ASM(N, "f16", D, P0, P1, P2, P3, P4)        \
                     : ACC(d)                                                  \
                     : "l"(a), "l"(b), "r"(scale_d), "n"(TA), "n"(TB));        \
    }                                                                          \
    template <class T, int TB>                                                 \
    __device__ static void rs(float (&d)[N / 2], const uint32_t (&a)[4],       \
                              uint64_t b, int scale_d) {                       \
      if constexpr (std::is_same_v<T, bf16>)                                   \
        asm volatile(                                                          \
            LARC_WGMMA_RS_ASM(N, "bf16", D, P0, P1, P2, P3, P4, P5, P6)        \
            : ACC(d)                                                           \
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b),              \
              "r"(scale_d), "n"(TB));                                          \
      else                                                                     \
        asm volatile(                                                          \
            LARC_WGMMA_RS_ASM(N, "f16", D, P0, P1, P2, P3, P4, P5, P6)         \
            : ACC(d)                                                           \
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b),              \
              "r"(scale_d), "n"(TB));                                          \
    }                                                                          \
  };

// clang-format off
LARC_DEFINE_WGMMA(16, LARC_WGMMA_D16, LARC_WGMMA_ACC16, 8, 9, 10, 11, 12, 13, 14)
LARC_DEFINE_WGMMA(32, LARC_WGMMA_D32, LARC_WGMMA_ACC32, 16, 17, 18, 19, 20, 21, 22)
LARC_DEFINE_WGMMA(64, LARC_WGMMA_D64, LARC_WGMMA_ACC64, 32, 33, 34, 35, 36, 37, 38)
LARC_DEFINE_WGMMA(128, LARC_WGMMA_D128, LARC_WGMMA_ACC128, 64, 65, 66, 67, 68, 69, 70)
LARC_DEFINE_WGMMA(256, LARC_WGMMA_D256, LARC_WGMMA_ACC256, 128, 129, 130, 131, 132, 133, 134)
// clang-format on

#undef LARC_DEFINE_WGMMA
#undef LARC_WGMMA_SS_ASM
#undef LARC_WGMMA_RS_ASM
#undef LARC_WGMMA_ACC8
#undef LARC_WGMMA_ACC16
#undef LARC_WGMMA_ACC32
#undef LARC_WGMMA_ACC64
#undef LARC_WGMMA_ACC128
#undef LARC_WGMMA_ACC256
#undef LARC_WGMMA_D16
#undef LARC_WGMMA_D32
#undef LARC_WGMMA_D64
#undef LARC_WGMMA_D128
#undef LARC_WGMMA_D256

template <class T>
constexpr bool is_mma_input =
    std::is_same_v<T, bf16> || std::is_same_v<T, fp16>;

} // namespace detail

/// One m64nNk16 wgmma with both operands in shared memory:
/// d = A·B + (accumulate ? d : 0), T = bf16 or fp16, MA/MB each descriptor's
/// majorness (wgmma.mma_async.sync.aligned.m64nNk16.f32.T.T, SS form).
template <class T, Major MA, Major MB, int N>
__device__ inline void mma_ss(Accum<N> &d, uint64_t a_desc, uint64_t b_desc,
                              bool accumulate) {
  static_assert(detail::is_mma_input<T>, "wgmma inputs are bf16 or fp16 here");
  detail::Mma<N>::template ss<T, MA == Major::MN, MB == Major::MN>(
      d.v, a_desc, b_desc, accumulate);
}

/// One m64nNk16 wgmma with A from registers (one k16 slice of an AFrag, always
/// K-major) and B in shared memory (same instruction, RS form).
template <class T, Major MB, int N>
__device__ inline void mma_rs(Accum<N> &d, const uint32_t (&a)[4],
                              uint64_t b_desc, bool accumulate) {
  static_assert(detail::is_mma_input<T>, "wgmma inputs are bf16 or fp16 here");
  detail::Mma<N>::template rs<T, MB == Major::MN>(d.v, a, b_desc, accumulate);
}

// Whole-tile products: all k16 slices of one product, issued back to back.
// They do not fence, commit or wait (a kernel batches several products).
// `accumulate` = false starts from zero.

/// d (+)= A · Bᵀ: rows [a_row0, a_row0 + 64) of a row-major tile A [*, K],
/// and rows [b_row0, b_row0 + N) of a row-major tile B [*, K] (both K-major;
/// b_row0 a multiple of 64). E.g. S = Q Kᵀ.
template <int N, class TA, class TB>
__device__ inline void mma_ABt(Accum<N> &d, const TA &a, const TB &b,
                               bool accumulate = false, int a_row0 = 0,
                               int b_row0 = 0) {
  using T = typename TA::Elem;
  static_assert(std::is_same_v<T, typename TB::Elem>, "one input type");
  static_assert(TA::kCols == TB::kCols && TB::kRows % N == 0,
                "A [64,K] · [N,K]ᵀ");
#pragma unroll
  for (int s = 0; s < TA::kCols / 16; ++s)
    mma_ss<T, Major::K, Major::K>(d, desc_k_major(a, a_row0, s),
                                  desc_k_major(b, b_row0, s),
                                  accumulate || s > 0);
}

/// d (+)= A · B: rows [a_row0, a_row0 + 64) of a row-major tile A [*, K], and
/// B a row-major [K, N] tile (MN-major; N a multiple of 64). E.g. Q S, P V.
template <int N, class TA, class TB>
__device__ inline void mma_AB(Accum<N> &d, const TA &a, const TB &b,
                              bool accumulate = false, int a_row0 = 0) {
  using T = typename TA::Elem;
  static_assert(std::is_same_v<T, typename TB::Elem>, "one input type");
  static_assert(TA::kCols == TB::kRows && TB::kCols == N, "A [64,K] · B [K,N]");
#pragma unroll
  for (int s = 0; s < TA::kCols / 16; ++s)
    mma_ss<T, Major::K, Major::MN>(d, desc_k_major(a, a_row0, s),
                                   desc_mn_major(b, 0, s), accumulate || s > 0);
}

/// d (+)= Aᵀ · B: A a row-major tile [K, *] whose columns [a_col0, a_col0 + 64)
/// become the rows of d (MN-major; a_col0 a multiple of 64), B a row-major
/// [K, N] tile. E.g. the state update Kᵀ V.
template <int N, class TA, class TB>
__device__ inline void mma_AtB(Accum<N> &d, const TA &a, const TB &b,
                               bool accumulate = false, int a_col0 = 0) {
  using T = typename TA::Elem;
  static_assert(std::is_same_v<T, typename TB::Elem>, "one input type");
  static_assert(TA::kRows == TB::kRows && TB::kCols == N,
                "A [K,64]ᵀ · B [K,N]");
#pragma unroll
  for (int s = 0; s < TA::kRows / 16; ++s)
    mma_ss<T, Major::MN, Major::MN>(d, desc_mn_major(a, a_col0, s),
                                    desc_mn_major(b, 0, s),
                                    accumulate || s > 0);
}

/// d (+)= A · B with A [64, K] in registers (e.g. P = to_afrag<bf16>(S)) and
/// columns [b_col0, b_col0 + N) of a row-major [K, *] tile B (b_col0 a
/// multiple of 64). After writing `a`: fence_operand(a); fence(). E.g. P V.
template <int N, class T, int K, class TB>
__device__ inline void mma_AB(Accum<N> &d, const AFrag<T, K> &a, const TB &b,
                              bool accumulate = false, int b_col0 = 0) {
  static_assert(std::is_same_v<T, typename TB::Elem>, "one input type");
  static_assert(TB::kRows == K && TB::kCols % N == 0, "A [64,K] · B [K,N]");
#pragma unroll
  for (int s = 0; s < K / 16; ++s)
    mma_rs<T, Major::MN>(d, a.v[s], desc_mn_major(b, b_col0, s),
                         accumulate || s > 0);
}

/// d (+)= A · Bᵀ with A [64, K] in registers and B a row-major [N, K] tile.
template <int N, class T, int K, class TB>
__device__ inline void mma_ABt(Accum<N> &d, const AFrag<T, K> &a, const TB &b,
                               bool accumulate = false) {
  static_assert(std::is_same_v<T, typename TB::Elem>, "one input type");
  static_assert(TB::kCols == K && TB::kRows == N, "A [64,K] · [N,K]ᵀ");
#pragma unroll
  for (int s = 0; s < K / 16; ++s)
    mma_rs<T, Major::K>(d, a.v[s], desc_k_major(b, 0, s), accumulate || s > 0);
}

} // namespace larc::gpu::wgmma
