// Device tests of the register-fragment layer and its math: accumulator
// stores and loads (global, swizzled fp32 and bf16 shared tiles), the
// accumulator → A-operand conversion checked against the PTX ISA's A-fragment
// layout written out independently here, row reductions, fast exp, the
// chunk cumulative sum and the causal decay mask.
//
// Layout checks are exact (they move values). Numeric bounds, with reasons:
//   row_sum     fp32 sum of N ≤ 128 values: 1e-5 relative (N·2^-24 ≈ 8e-6)
//   exp2_fast   ex2.approx.ftz: max relative error ~2^-22, bound 1e-6
//   exp_fast    plus the rounding of x·log2 e (|x·log2 e| ≤ 58: half an ulp
//               is 2^-19, times ln 2 ≈ 1.3e-6) and of log2 e itself: bound 5e-6
//   cumsum      fp32 running sum of 128 same-sign values: 1e-5 relative
//   decay mask  exp_fast of differences ≤ 13 plus the cumsum: 1e-5 relative
#include "device_test.h"

using namespace larc;
using namespace larc::gpu;
using test::DeviceBuffer;

namespace {

template <int N> __device__ Accum<N> from_table(const float *table) {
  Accum<N> acc;
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; ++i)
    acc.v[i] = table[Accum<N>::row(t, i) * N + Accum<N>::col(t, i)];
  return acc;
}

template <int N> struct LayoutOut {
  float *direct, *smem32, *loaded;
  bf16 *smem16, *afrag;
};

/// Accumulator round trips: registers → global; → fp32 swizzled tile → read
/// with at(); → tile → load → global; → bf16 tile → at(); → A fragment → global
/// by the PTX ISA's A layout (written out here, not taken from the library).
template <int N> __global__ void layout(const float *table, LayoutOut<N> out) {
  __shared__ SwizzledTile<float, 64, N> t32;
  __shared__ SwizzledTile<bf16, 64, N> t16;
  const int t = warpgroup_thread();
  const Accum<N> acc = from_table<N>(table);
  store(acc, out.direct, N);
  store(acc, t32);
  store(acc, t16);
  __syncthreads();
  for (int e = t; e < 64 * N; e += 128) {
    out.smem32[e] = t32.at(e / N, e % N);
    out.smem16[e] = t16.at(e / N, e % N);
  }
  Accum<N> back;
  load(back, t32);
  store(back, out.loaded, N);

  const AFrag<bf16, N> a = to_afrag<bf16>(acc);
  for (int s = 0; s < N / 16; ++s)
    for (int q = 0; q < 4; ++q) {
      // PTX ISA, wgmma A fragment for .bf16: a{q} holds row
      // 16·warp + lane/4 (+8 for q odd), columns 16·s + 8·(q/2) + 2·(lane%4) +
      // {0,1}.
      const int r = 16 * (t / 32) + (t % 32) / 4 + 8 * (q % 2);
      const int c = 16 * s + 8 * (q / 2) + 2 * (t % 4);
      const uint32_t bits = a.v[s][q];
      out.afrag[r * N + c] = __ushort_as_bfloat16(uint16_t(bits & 0xFFFF));
      out.afrag[r * N + c + 1] = __ushort_as_bfloat16(uint16_t(bits >> 16));
    }
}

template <int N>
__global__ void reduce(const float *table, float *sums, float *maxes) {
  const int t = warpgroup_thread();
  const Accum<N> acc = from_table<N>(table);
  const float2 s = row_sum(acc), m = row_max(acc);
  if (t % 4 == 0) {
    sums[Accum<N>::row(t, 0)] = s.x;
    sums[Accum<N>::row(t, 2)] = s.y;
    maxes[Accum<N>::row(t, 0)] = m.x;
    maxes[Accum<N>::row(t, 2)] = m.y;
  }
}

__global__ void exps(const float *x, float *y2, float *ye, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y2[i] = exp2_fast(x[i]);
    ye[i] = exp_fast(x[i]);
  }
}

/// b = cumsum(g) over 128 tokens (warp 0); then on the [64, 64] tile of rows
/// row0.. and columns col0..: Γ-masked, causal-masked (shifted by 8) and
/// row-scaled copies of the table.
struct DecayOut {
  float *b, *decayed, *masked, *scaled;
};
__global__ void decay(const float *table, const float *g, int row0, int col0,
                      DecayOut out) {
  __shared__ float b[128];
  if (threadIdx.x < 32)
    warp_cumsum<128>(g, b);
  __syncthreads();
  for (int i = threadIdx.x; i < 128; i += blockDim.x)
    out.b[i] = b[i];
  Accum<64> acc = from_table<64>(table);
  apply_decay_mask(acc, b + row0, b + col0, row0, col0);
  store(acc, out.decayed, 64);
  acc = from_table<64>(table);
  apply_causal_mask(acc, 0, 8);
  store(acc, out.masked, 64);
  acc = from_table<64>(table);
  scale_rows_exp(acc, b + row0);
  store(acc, out.scaled, 64);
}

template <int N> void check_layout(test::Report &rep) {
  auto table = test::random_vector<float>(64 * N);
  DeviceBuffer<float> dt(table.size()), direct(table.size()), s32(table.size()),
      loaded(table.size());
  DeviceBuffer<bf16> s16(table.size()), afrag(table.size());
  dt.upload(table);
  layout<N><<<1, 128>>>(dt.ptr,
                        {direct.ptr, s32.ptr, loaded.ptr, s16.ptr, afrag.ptr});
  LARC_CHECK_LAUNCH();
  const auto ref = test::as_double(table);
  std::vector<double> ref16(table.size());
  for (size_t i = 0; i < table.size(); ++i)
    ref16[i] = test::to_float(__float2bfloat16_rn(table[i]));
  const std::string n = "[64," + std::to_string(N) + "] ";
  rep.check(n + "accumulator -> global fp32",
            test::as_double(direct.download()), ref, 0);
  rep.check(n + "accumulator -> swizzled fp32 tile",
            test::as_double(s32.download()), ref, 0);
  rep.check(n + "swizzled fp32 tile -> load -> global",
            test::as_double(loaded.download()), ref, 0);
  rep.check(n + "accumulator -> swizzled bf16 tile",
            test::as_double(s16.download()), ref16, 0);
  rep.check(n + "accumulator -> bf16 A fragment",
            test::as_double(afrag.download()), ref16, 0);
}

template <int N> void check_reduce(test::Report &rep) {
  auto table = test::random_vector<float>(64 * N);
  DeviceBuffer<float> dt(table.size()), sums(64), maxes(64);
  dt.upload(table);
  reduce<N><<<1, 128>>>(dt.ptr, sums.ptr, maxes.ptr);
  LARC_CHECK_LAUNCH();
  std::vector<double> rs(64, 0.0), rm(64, -1e300);
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c < N; ++c) {
      rs[r] += table[r * N + c];
      rm[r] = std::fmax(rm[r], table[r * N + c]);
    }
  const std::string n = "[64," + std::to_string(N) + "] ";
  rep.check(n + "row_sum", test::as_double(sums.download()), rs, 1e-5);
  rep.check(n + "row_max", test::as_double(maxes.download()), rm, 0);
}

void check_exp(test::Report &rep) {
  const int n = 1 << 14;
  auto x = test::random_vector<float>(n, -40, 10);
  DeviceBuffer<float> dx(n), y2(n), ye(n);
  dx.upload(x);
  exps<<<n / 256, 256>>>(dx.ptr, y2.ptr, ye.ptr, n);
  LARC_CHECK_LAUNCH();
  std::vector<double> r2(n), re(n);
  for (int i = 0; i < n; ++i) {
    r2[i] = std::exp2(double(x[i]));
    re[i] = std::exp(double(x[i]));
  }
  rep.check_max_rel("exp2_fast on [-40,10] (max rel)",
                    test::as_double(y2.download()), r2, 1e-6);
  rep.check_max_rel("exp_fast on [-40,10] (max rel)",
                    test::as_double(ye.download()), re, 5e-6);
}

void check_decay(test::Report &rep, int row0, int col0) {
  auto table = test::random_vector<float>(64 * 64);
  std::vector<float> g(128);
  for (auto &x : g)
    x = float(test::uniform(-0.1, 0.0));
  DeviceBuffer<float> dt(table.size()), dg(128), b(128), dec(table.size()),
      msk(table.size()), scl(table.size());
  dt.upload(table);
  dg.upload(g);
  decay<<<1, 128>>>(dt.ptr, dg.ptr, row0, col0,
                    {b.ptr, dec.ptr, msk.ptr, scl.ptr});
  LARC_CHECK_LAUNCH();
  std::vector<double> rb(128), rd(64 * 64), rm(64 * 64), rsc(64 * 64);
  double run = 0;
  for (int i = 0; i < 128; ++i)
    rb[i] = run += g[i];
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c < 64; ++c) {
      const double v = table[r * 64 + c];
      rd[r * 64 + c] =
          row0 + r >= col0 + c ? v * std::exp(rb[row0 + r] - rb[col0 + c]) : 0;
      rm[r * 64 + c] = r >= c + 8 ? v : 0;
      rsc[r * 64 + c] = v * std::exp(rb[row0 + r]);
    }
  const std::string at =
      " rows " + std::to_string(row0) + ".., cols " + std::to_string(col0);
  rep.check("warp_cumsum<128> of log-gates", test::as_double(b.download()), rb,
            1e-5);
  rep.check("apply_decay_mask" + at, test::as_double(dec.download()), rd, 1e-5);
  rep.check("apply_causal_mask, col0 = 8", test::as_double(msk.download()), rm,
            0);
  rep.check("scale_rows_exp" + at, test::as_double(scl.download()), rsc, 1e-5);
}

} // namespace

int main() {
  test::Report rep;
  check_layout<64>(rep);
  check_layout<128>(rep);
  check_reduce<64>(rep);
  check_reduce<128>(rep);
  check_exp(rep);
  check_decay(rep, 64, 0);  // an off-diagonal tile: every entry kept
  check_decay(rep, 64, 64); // a diagonal tile
  return rep.finish("fragment_test");
}
