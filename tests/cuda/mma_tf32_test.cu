// Device tests of the 3xTF32 warp strip product (larc/cuda/mma_tf32.cuh), the
// block products of the triangular solve: a 16×8 tile (and a 16×16 strip) of A
// B for fp32 A [16, K] and B [K, 8] in shared memory at the solve's row pitches
// (68: no bank conflicts; 64: where shared memory has no room for padding),
// against an fp64 product on the host.
//
// Bounds, with reasons: each operand is split as hi + lo in tf32 (hi its
// top 11 significant bits, lo the rest truncated to 11), so it is carried to
// about 2^-20 relative; the dropped lo·lo term is below 2^-20; the fp32
// accumulation of K ≤ 32 terms adds K·2^-24. With inputs in [-1, 1] (sums that
// may cancel), the ‖err‖₂ / ‖ref‖₂ bound is 1e-5; one tf32 product (hi·hi
// alone) would be ~1e-3 and fail it.
#include "device_test.h"

#include "larc/cuda/mma_tf32.cuh"

using namespace larc;
using namespace larc::gpu;
using test::DeviceBuffer;

namespace {

/// One warp: out [16, 8 N] = a [16, K] · b [K, 8 N], both staged in shared
/// memory with rows `Pitch` floats apart.
template <int K, int Pitch, int N>
__global__ void strip_product(const float *a, const float *b, float *out) {
  __shared__ float sa[16 * Pitch], sb[K * Pitch];
  for (int e = threadIdx.x; e < 16 * K; e += 32)
    sa[e / K * Pitch + e % K] = a[e];
  for (int e = threadIdx.x; e < K * 8 * N; e += 32)
    sb[e / (8 * N) * Pitch + e % (8 * N)] = b[e];
  __syncwarp();
  float d[N][4];
  warp_strip_product_3xtf32<K, Pitch, N>(d, sa, sb);
  const int g = threadIdx.x / 4, t = threadIdx.x % 4;
  for (int j = 0; j < N; ++j) {
    const int c = 8 * j + 2 * t;
    out[g * 8 * N + c] = d[j][0];
    out[g * 8 * N + c + 1] = d[j][1];
    out[(g + 8) * 8 * N + c] = d[j][2];
    out[(g + 8) * 8 * N + c + 1] = d[j][3];
  }
}

template <int K, int Pitch, int N = 1> void check_product(test::Report &rep) {
  constexpr int kCols = 8 * N;
  const std::vector<float> a = test::random_vector<float>(16 * K),
                           b = test::random_vector<float>(K * kCols);
  DeviceBuffer<float> da(a.size()), db(b.size()), out(16 * kCols);
  da.upload(a);
  db.upload(b);
  strip_product<K, Pitch, N><<<1, 32>>>(da.ptr, db.ptr, out.ptr);
  LARC_CHECK_LAUNCH();
  std::vector<double> ref(16 * kCols, 0.0);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < kCols; ++c)
      for (int k = 0; k < K; ++k)
        ref[r * kCols + c] += double(a[r * K + k]) * double(b[k * kCols + c]);
  rep.check(std::string(N == 1 ? "3xtf32 tile" : "3xtf32 strip") +
                " K=" + std::to_string(K) + " N=" + std::to_string(kCols) +
                " pitch=" + std::to_string(Pitch),
            test::as_double(out.download()), ref, 1e-5);
}

} // namespace

int main() {
  test::Report rep;
  check_product<16, 68>(rep);
  check_product<32, 68>(rep);
  check_product<32, 64>(rep);
  check_product<16, 68, 2>(rep); // the solve's strips of two tiles
  check_product<32, 68, 2>(rep);
  check_product<32, 64, 2>(rep);
  return rep.finish("mma_tf32_test");
}
