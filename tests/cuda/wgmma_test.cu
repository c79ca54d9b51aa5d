// Device tests of wgmma through larc's tile products, operands loaded by TMA
// into 128-byte swizzled tiles, compared with a CPU product in double.
//
// Inputs are drawn already rounded to bf16/fp16, so the reference sees the
// device's exact operands and the products are exact in fp32: the only error
// left in SS/RS products of inputs is fp32 accumulation over K ≤ 128 terms
// (about K·2^-24 ≈ 1e-5 at worst). Bound 1e-4; a wrong descriptor, swizzle or
// fragment layout gives an error of order 1.
//
//   ABt   D = A Bᵀ, A [64,K], B [N,K] row-major   (S = Q Kᵀ)
//   AB    D = A B,  B [K,N] row-major             (Q S, P V from shared memory)
//   AtB   D = Aᵀ B, A [K,64W] row-major           (state update Kᵀ V)
//   RS    S = Q Kᵀ, P = bf16(S ⊙ Γ or S), O = P V with P from registers
//         (attention's second product); P is rounded to bf16 (2^-9 relative
//         per element) before the second product, so the bound is 1e-2.
//   TMA store of the output as bf16: output rounding 2^-9, bound 4e-3.
#include "device_test.h"

using namespace larc;
using namespace larc::gpu;
using test::DeviceBuffer;

namespace {

enum class Form { AB, ABt, AtB };

template <class T, Form F, int W, int N, int K> struct Gemm {
  static constexpr int M = 64 * W; // W warpgroups, 64 rows of D each
  using TileA = SwizzledTile<T, F == Form::AtB ? K : M, F == Form::AtB ? M : K>;
  using TileB = SwizzledTile<T, F == Form::ABt ? N : K, F == Form::ABt ? K : N>;
  using TileD = SwizzledTile<bf16, M, (N < 64 ? 64 : N)>; // used by ViaTma
  static constexpr size_t kSmem = sizeof(TileA) + sizeof(TileB) +
                                  sizeof(TileD) + sizeof(Barrier) + 1024 + 64;
};

/// D = product of the A and B tiles, written as fp32 to `d`, or as bf16 by a
/// TMA store through a swizzled tile (ViaTma).
template <class T, Form F, int W, int N, int K, bool ViaTma>
__global__ void gemm(const __grid_constant__ CUtensorMap a_map,
                     const __grid_constant__ CUtensorMap b_map,
                     const __grid_constant__ CUtensorMap d_map, float *d) {
  using G = Gemm<T, F, W, N, K>;
  extern __shared__ char smem[];
  SmemCarver carve{smem};
  auto &a = carve.take<typename G::TileA>();
  auto &b = carve.take<typename G::TileB>();
  auto &out = carve.take<typename G::TileD>();
  Barrier &bar = carve.take<Barrier>();
  if (threadIdx.x == 0) {
    mbarrier::init(bar, 1);
    mbarrier::init_fence();
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    mbarrier::arrive_expect_tx(bar, G::TileA::kBytes + G::TileB::kBytes);
    tma::load_tile(a, &a_map, bar, 0, 0);
    tma::load_tile(b, &b_map, bar, 0, 0);
  }
  test::wait_or_trap(bar, 0);

  const int wg = warpgroup::index();
  Accum<N> acc;
  wgmma::fence();
  if constexpr (F == Form::ABt)
    wgmma::mma_ABt(acc, a, b, false, 64 * wg);
  else if constexpr (F == Form::AB)
    wgmma::mma_AB(acc, a, b, false, 64 * wg);
  else
    wgmma::mma_AtB(acc, a, b, false, 64 * wg);
  wgmma::commit();
  wgmma::wait<0>();
  wgmma::fence_operand(acc);

  if constexpr (ViaTma) {
    store(acc, out, 64 * wg, 0);
    tma::fence_shared_to_async();
    __syncthreads();
    if (threadIdx.x == 0) {
      tma::store_tile(&d_map, out, 0, 0);
      tma::store_wait<0>();
    }
  } else {
    store(acc, d + size_t(64 * wg) * N, N);
  }
}

/// value(m, k) of an operand stored row-major as [rows, cols], read either
/// directly or transposed.
template <class T> double at(const std::vector<T> &v, int cols, int r, int c) {
  return test::to_float(v[size_t(r) * cols + c]);
}

template <class T, Form F, int W, int N, int K, bool ViaTma = false>
void run_gemm(test::Report &rep, const char *name, double bound) {
  using G = Gemm<T, F, W, N, K>;
  using TA = typename G::TileA;
  using TB = typename G::TileB;
  constexpr int M = G::M;
  auto ha = test::random_vector<T>(size_t(TA::kRows) * TA::kCols);
  auto hb = test::random_vector<T>(size_t(TB::kRows) * TB::kCols);
  DeviceBuffer<T> da(ha.size()), db(hb.size());
  DeviceBuffer<float> dd(size_t(M) * N);
  DeviceBuffer<bf16> dd16(size_t(M) * N);
  da.upload(ha);
  db.upload(hb);
  const TileElem e = test::elem_of<T>();
  const CUtensorMap am = test::make_map(
      test::matrix_map(e, da.ptr, TA::kRows, TA::kCols, TA::kCols, TA::kRows));
  const CUtensorMap bm = test::make_map(
      test::matrix_map(e, db.ptr, TB::kRows, TB::kCols, TB::kCols, TB::kRows));
  const CUtensorMap dm = ViaTma ? test::make_map(test::matrix_map(
                                      TileElem::BF16, dd16.ptr, M, N, N, M))
                                : am; // unused
  auto kernel = gemm<T, F, W, N, K, ViaTma>;
  test::allow_smem(kernel, G::kSmem);
  kernel<<<1, 128 * W, G::kSmem>>>(am, bm, dm, dd.ptr);
  LARC_CHECK_LAUNCH();

  std::vector<double> ref(size_t(M) * N, 0.0);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double s = 0;
      for (int k = 0; k < K; ++k) {
        const double x =
            F == Form::AtB ? at(ha, TA::kCols, k, m) : at(ha, TA::kCols, m, k);
        const double y =
            F == Form::ABt ? at(hb, TB::kCols, n, k) : at(hb, TB::kCols, k, n);
        s += x * y;
      }
      ref[size_t(m) * N + n] = s;
    }
  rep.check(name,
            ViaTma ? test::as_double(dd16.download())
                   : test::as_double(dd.download()),
            ref, bound);
}

/// Attention's two products on one 64-token chunk: S = Q Kᵀ (SS), P = S or
/// S ⊙ Γ with Γ from the cumulative log-gates of g, then O = P V (RS, V
/// [64, Dv]) or O = P Vᵀ (RS, V given as [Dv, 64]).
template <class T, int Dk, int Dv, bool Decay, bool SecondT>
__global__ void attention(const __grid_constant__ CUtensorMap q_map,
                          const __grid_constant__ CUtensorMap k_map,
                          const __grid_constant__ CUtensorMap v_map,
                          const float *g, float *o) {
  using TQ = SwizzledTile<T, 64, Dk>;
  using TV = SwizzledTile<T, SecondT ? Dv : 64, SecondT ? 64 : Dv>;
  extern __shared__ char smem[];
  SmemCarver carve{smem};
  TQ &q = carve.take<TQ>();
  TQ &k = carve.take<TQ>();
  TV &v = carve.take<TV>();
  Barrier &bar = carve.take<Barrier>();
  float *b = &carve.take<float>(64);
  if (threadIdx.x == 0) {
    mbarrier::init(bar, 1);
    mbarrier::init_fence();
  }
  if (Decay && threadIdx.x < 32)
    warp_cumsum<64>(g, b);
  __syncthreads();
  if (threadIdx.x == 0) {
    mbarrier::arrive_expect_tx(bar, 2 * TQ::kBytes + TV::kBytes);
    tma::load_tile(q, &q_map, bar, 0, 0);
    tma::load_tile(k, &k_map, bar, 0, 0);
    tma::load_tile(v, &v_map, bar, 0, 0);
  }
  test::wait_or_trap(bar, 0);

  Accum<64> s;
  wgmma::fence();
  wgmma::mma_ABt(s, q, k);
  wgmma::commit();
  wgmma::wait<0>();
  wgmma::fence_operand(s);
  if constexpr (Decay)
    apply_decay_mask(s, b, b);
  AFrag<T, 64> p = to_afrag<T>(s);

  Accum<Dv> out;
  wgmma::fence_operand(p);
  wgmma::fence();
  if constexpr (SecondT)
    wgmma::mma_ABt(out, p, v);
  else
    wgmma::mma_AB(out, p, v);
  wgmma::commit();
  wgmma::wait<0>();
  wgmma::fence_operand(out);
  store(out, o, Dv);
}

template <class T, int Dk, int Dv, bool Decay, bool SecondT>
void run_attention(test::Report &rep, const char *name, double bound) {
  const int C = 64;
  const int vr = SecondT ? Dv : C, vc = SecondT ? C : Dv;
  auto hq = test::random_vector<T>(size_t(C) * Dk);
  auto hk = test::random_vector<T>(size_t(C) * Dk);
  auto hv = test::random_vector<T>(size_t(vr) * vc);
  std::vector<float> hg(C);
  for (auto &x : hg)
    x = float(test::uniform(-0.1, 0.0)); // log-gates ≤ 0
  DeviceBuffer<T> dq(hq.size()), dk(hk.size()), dv(hv.size());
  DeviceBuffer<float> dg(C), dout(size_t(C) * Dv);
  dq.upload(hq);
  dk.upload(hk);
  dv.upload(hv);
  dg.upload(hg);
  const TileElem e = test::elem_of<T>();
  const CUtensorMap qm =
      test::make_map(test::matrix_map(e, dq.ptr, C, Dk, Dk, C));
  const CUtensorMap km =
      test::make_map(test::matrix_map(e, dk.ptr, C, Dk, Dk, C));
  const CUtensorMap vm =
      test::make_map(test::matrix_map(e, dv.ptr, vr, vc, vc, vr));
  const size_t smem = 2 * sizeof(SwizzledTile<T, 64, Dk>) +
                      size_t(vr) * vc * sizeof(T) + 64 * sizeof(float) + 1024 +
                      64;
  auto kernel = attention<T, Dk, Dv, Decay, SecondT>;
  test::allow_smem(kernel, smem);
  kernel<<<1, 128, smem>>>(qm, km, vm, dg.ptr, dout.ptr);
  LARC_CHECK_LAUNCH();

  std::vector<double> bsum(C);
  double run = 0;
  for (int r = 0; r < C; ++r)
    bsum[r] = run += hg[r];
  std::vector<double> p(size_t(C) * C), ref(size_t(C) * Dv, 0.0);
  for (int r = 0; r < C; ++r)
    for (int c = 0; c < C; ++c) {
      double s = 0;
      for (int d = 0; d < Dk; ++d)
        s += at(hq, Dk, r, d) * at(hk, Dk, c, d);
      if (Decay)
        s = r >= c ? s * std::exp(bsum[r] - bsum[c]) : 0.0;
      p[size_t(r) * C + c] = s;
    }
  for (int r = 0; r < C; ++r)
    for (int n = 0; n < Dv; ++n) {
      double s = 0;
      for (int c = 0; c < C; ++c)
        s += p[size_t(r) * C + c] *
             (SecondT ? at(hv, vc, n, c) : at(hv, vc, c, n));
      ref[size_t(r) * Dv + n] = s;
    }
  rep.check(name, test::as_double(dout.download()), ref, bound);
}

} // namespace

int main() {
  test::Report rep;
  // SS, both operands K-major: Q Kᵀ with Q, K row-major [64, 128].
  run_gemm<bf16, Form::ABt, 1, 64, 128>(
      rep, "SS ABt bf16 m64n64,  K=128 (Q Kt)", 1e-4);
  run_gemm<bf16, Form::ABt, 1, 128, 64>(rep, "SS ABt bf16 m64n128, K=64", 1e-4);
  run_gemm<bf16, Form::ABt, 1, 16, 64>(rep, "SS ABt bf16 m64n16,  K=64", 1e-4);
  run_gemm<bf16, Form::ABt, 1, 32, 128>(rep, "SS ABt bf16 m64n32,  K=128",
                                        1e-4);
  run_gemm<bf16, Form::ABt, 1, 256, 64>(rep, "SS ABt bf16 m64n256, K=64", 1e-4);
  // SS, B row-major [K, N] (MN-major).
  run_gemm<bf16, Form::AB, 1, 64, 64>(rep, "SS AB  bf16 m64n64,  K=64", 1e-4);
  run_gemm<bf16, Form::AB, 1, 64, 128>(rep, "SS AB  bf16 m64n64,  K=128", 1e-4);
  run_gemm<bf16, Form::AB, 1, 128, 64>(rep, "SS AB  bf16 m64n128, K=64", 1e-4);
  run_gemm<bf16, Form::AB, 1, 128, 128>(rep, "SS AB  bf16 m64n128, K=128",
                                        1e-4);
  run_gemm<bf16, Form::AB, 1, 256, 64>(rep, "SS AB  bf16 m64n256, K=64", 1e-4);
  // fp16 inputs, both B forms.
  run_gemm<fp16, Form::ABt, 1, 64, 128>(rep, "SS ABt fp16 m64n64,  K=128",
                                        1e-4);
  run_gemm<fp16, Form::AB, 1, 128, 64>(rep, "SS AB  fp16 m64n128, K=64", 1e-4);
  // A MN-major (Kᵀ V), and two warpgroups on row/column slices of A.
  run_gemm<bf16, Form::AtB, 1, 64, 64>(rep, "SS AtB bf16 m64n64,  K=64 (Kt V)",
                                       1e-4);
  run_gemm<bf16, Form::AtB, 2, 128, 64>(rep, "SS AtB bf16 2 wg, m128n128, K=64",
                                        1e-4);
  run_gemm<bf16, Form::ABt, 2, 64, 128>(rep, "SS ABt bf16 2 wg, m128n64, K=128",
                                        1e-4);
  // Output through a swizzled bf16 tile and a TMA store.
  run_gemm<bf16, Form::ABt, 1, 64, 128, true>(
      rep, "SS ABt bf16 n64 K=128 -> TMA store", 4e-3);
  run_gemm<bf16, Form::AB, 2, 128, 64, true>(
      rep, "SS AB  bf16 2 wg n128 -> TMA store", 4e-3);
  // RS: P = S from registers.
  run_attention<bf16, 128, 128, false, false>(
      rep, "RS P V  bf16, P = Q Kt, dk=dv=128", 1e-2);
  run_attention<bf16, 128, 64, true, false>(
      rep, "RS P V  bf16, P = Q Kt . Gamma", 1e-2);
  run_attention<bf16, 64, 64, false, true>(
      rep, "RS P Bt bf16, B K-major [64,64]", 1e-2);
  run_attention<fp16, 64, 128, false, false>(rep, "RS P V  fp16, dk=64, dv=128",
                                             1e-2);
  return rep.finish("wgmma_test");
}
