// Device tests of TMA tile loads and stores, the 128-byte swizzle of shared
// tiles, and mbarrier phases: every check is exact (a copy changes no bits).
//
//   load [64,128] bf16, 2-D      tile inside a [200, 320] matrix, read back
//                                through SwizzledTile::at: TMA's swizzle and
//                                ours must agree element for element
//   load, rows and cols outside  [200, 104] matrix: the box past row 200 and
//                                column 104 must arrive as zeros
//   load [3,130,128] rank 3      batched matrix, rows past 130 zero-filled
//   load [B,T,H,D] rank 4        q layout of design §4, T = 70 (partial chunk)
//   load fp32 [64,64]            32-column blocks (state tiles)
//   store                        load then TMA store elsewhere, clipped at the
//                                tensor's edge; the rest keeps its poison
//   ring of 2 stages, 7 loads    producer warp / consumer warpgroup on full and
//                                empty barriers: parity flips 0,1,0,1
//   fresh barrier parity         test_wait(parity 1) passes, (parity 0) not
#include "device_test.h"

using namespace larc;
using namespace larc::gpu;
using test::DeviceBuffer;

namespace {

/// One thread loads a tile at (row, col, outer...), all threads read it back
/// row-major through the swizzle helper.
template <class Tile, class... Outer>
__global__ void load_readback(const __grid_constant__ CUtensorMap map,
                              typename Tile::Elem *out, int row, int col,
                              Outer... outer) {
  extern __shared__ char smem[];
  SmemCarver carve{smem};
  Tile &tile = carve.take<Tile>();
  Barrier &bar = carve.take<Barrier>();
  if (threadIdx.x == 0) {
    mbarrier::init(bar, 1);
    mbarrier::init_fence();
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    tma::prefetch_map(&map);
    mbarrier::arrive_expect_tx(bar, Tile::kBytes);
    tma::load_tile(tile, &map, bar, row, col, outer...);
  }
  test::wait_or_trap(bar, 0);
  for (int i = threadIdx.x; i < Tile::kRows * Tile::kCols; i += blockDim.x)
    out[i] = tile.at(i / Tile::kCols, i % Tile::kCols);
}

/// Load a tile from `src` at (row, col), store it to `dst` at (row2, col2).
template <class Tile>
__global__ void load_store(const __grid_constant__ CUtensorMap src,
                           const __grid_constant__ CUtensorMap dst, int row,
                           int col, int row2, int col2) {
  extern __shared__ char smem[];
  SmemCarver carve{smem};
  Tile &tile = carve.take<Tile>();
  Barrier &bar = carve.take<Barrier>();
  if (threadIdx.x == 0) {
    mbarrier::init(bar, 1);
    mbarrier::init_fence();
    mbarrier::arrive_expect_tx(bar, Tile::kBytes);
    tma::load_tile(tile, &src, bar, row, col);
    test::wait_or_trap(bar, 0);
    tma::fence_shared_to_async();
    tma::store_tile(&dst, tile, row2, col2);
    tma::store_wait<0>();
  }
}

constexpr int kStages = 2;
using RingTile = SwizzledTile<bf16, 64, 64>;

/// Warps 0-3 consume, warp 4 produces: `tiles` consecutive 64-row tiles go
/// through a 2-stage ring, each consumed tile is copied to out.
__global__ void __launch_bounds__(160)
    ring(const __grid_constant__ CUtensorMap map, bf16 *out, int tiles,
         int *fresh) {
  extern __shared__ char smem[];
  SmemCarver carve{smem};
  RingTile *stage = &carve.take<RingTile>(kStages);
  Barrier *full = &carve.take<Barrier>(kStages);
  Barrier *empty = &carve.take<Barrier>(kStages);
  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbarrier::init(full[s], 1);
      mbarrier::init(empty[s], warpgroup::kThreads);
    }
    mbarrier::init_fence();
    fresh[0] = mbarrier::test_wait(full[0], 0); // phase 0 not complete
    fresh[1] = mbarrier::test_wait(full[0], 1); // "previous" phase: complete
  }
  __syncthreads();
  PhaseRing<kStages> ring;
  if (warpgroup::index() == 1) {
    if (threadIdx.x == 128) {
      for (int i = 0; i < tiles; ++i, ring.advance()) {
        // The first pass over the ring waits on parity 1 of fresh barriers.
        test::wait_or_trap(empty[ring.stage], ring.parity ^ 1);
        mbarrier::arrive_expect_tx(full[ring.stage], RingTile::kBytes);
        tma::load_tile(stage[ring.stage], &map, full[ring.stage], 64 * i, 0);
      }
    }
  } else {
    for (int i = 0; i < tiles; ++i, ring.advance()) {
      test::wait_or_trap(full[ring.stage], ring.parity);
      const RingTile &t = stage[ring.stage];
      for (int e = threadIdx.x; e < 64 * 64; e += warpgroup::kThreads)
        out[size_t(i) * 64 * 64 + e] = t.at(e / 64, e % 64);
      mbarrier::arrive(empty[ring.stage]);
    }
  }
}

template <class Tile> size_t smem_for() { return sizeof(Tile) + 1024 + 64; }

/// Expected tile: matrix element (row + r, col + c) where inside, else 0.
template <class T>
std::vector<double> window(const std::vector<T> &m, long rows, long cols,
                           long ld, long row, long col, int tr, int tc) {
  std::vector<double> w(size_t(tr) * tc);
  for (int r = 0; r < tr; ++r)
    for (int c = 0; c < tc; ++c) {
      const long gr = row + r, gc = col + c;
      w[size_t(r) * tc + c] = gr < rows && gc < cols
                                  ? test::to_float(m[size_t(gr) * ld + gc])
                                  : 0.0;
    }
  return w;
}

template <class T, int TR, int TC>
void check_2d(test::Report &rep, const char *name, long rows, long cols,
              long row, long col) {
  using Tile = SwizzledTile<T, TR, TC>;
  auto h = test::random_vector<T>(size_t(rows) * cols);
  DeviceBuffer<T> m(h.size()), out(size_t(TR) * TC);
  m.upload(h);
  const CUtensorMap map = test::make_map(
      test::matrix_map(test::elem_of<T>(), m.ptr, rows, cols, cols, TR));
  load_readback<Tile>
      <<<1, 128, smem_for<Tile>()>>>(map, out.ptr, int(row), int(col));
  LARC_CHECK_LAUNCH();
  rep.check(name, test::as_double(out.download()),
            window(h, rows, cols, cols, row, col, TR, TC), 0);
}

void check_bthd(test::Report &rep) {
  const long B = 2, T = 70, H = 3, D = 128;
  const int t0 = 64, h = 2, b = 1;
  using Tile = SwizzledTile<bf16, 64, 128>;
  auto q = test::random_vector<bf16>(size_t(B * T * H * D));
  DeviceBuffer<bf16> dq(q.size()), out(64 * 128);
  dq.upload(q);
  const CUtensorMap map =
      test::make_map(bthd_tile_map(TileElem::BF16, dq.ptr, B, T, H, D, 64));
  load_readback<Tile><<<1, 128, smem_for<Tile>()>>>(map, out.ptr, t0, 0, h, b);
  LARC_CHECK_LAUNCH();
  // q[b, t, h, :] is row t of a [T, D] matrix with row stride H*D.
  std::vector<bf16> head(q.begin() + (b * T * H + h) * D, q.end());
  rep.check("load [B=2,T=70,H=3,D=128] rank 4, t 64..",
            test::as_double(out.download()),
            window(head, T, D, H * D, t0, 0, 64, 128), 0);
}

void check_3d(test::Report &rep) {
  const long batch = 3, rows = 130, cols = 128;
  const int b = 2, row = 96; // rows 130..159 of the box are outside
  using Tile = SwizzledTile<bf16, 64, 128>;
  auto h = test::random_vector<bf16>(size_t(batch * rows * cols));
  DeviceBuffer<bf16> m(h.size()), out(64 * 128);
  m.upload(h);
  TileMapDesc d = test::matrix_map(TileElem::BF16, m.ptr, rows, cols, cols, 64);
  d.rank = 3;
  d.dims[2] = batch;
  d.strides[2] = rows * cols;
  load_readback<Tile>
      <<<1, 128, smem_for<Tile>()>>>(test::make_map(d), out.ptr, row, 0, b);
  LARC_CHECK_LAUNCH();
  std::vector<bf16> mat(h.begin() + b * rows * cols, h.end());
  rep.check("load [3,130,128] rank 3, batch 2, rows 96..",
            test::as_double(out.download()),
            window(mat, rows, cols, cols, row, 0, 64, 128), 0);
}

void check_store(test::Report &rep) {
  const long rows = 200, cols = 192;
  const int row = 40, col = 64, row2 = 160,
            col2 = 128; // clipped at 200 and 192
  using Tile = SwizzledTile<bf16, 64, 128>;
  auto h = test::random_vector<bf16>(size_t(rows) * cols);
  DeviceBuffer<bf16> src(h.size()), dst(h.size());
  src.upload(h);
  const CUtensorMap ms = test::make_map(
      test::matrix_map(TileElem::BF16, src.ptr, rows, cols, cols, 64));
  const CUtensorMap md = test::make_map(
      test::matrix_map(TileElem::BF16, dst.ptr, rows, cols, cols, 64));
  load_store<Tile><<<1, 32, smem_for<Tile>()>>>(ms, md, row, col, row2, col2);
  LARC_CHECK_LAUNCH();
  const auto got = dst.download();
  std::vector<double> out, ref;
  long untouched = 0, poisoned = 0;
  for (long r = 0; r < rows; ++r)
    for (long c = 0; c < cols; ++c) {
      const bool inside =
          r >= row2 && r < row2 + 64 && c >= col2 && c < col2 + 128;
      const double v = test::to_float(got[size_t(r) * cols + c]);
      if (inside) {
        out.push_back(v);
        ref.push_back(
            test::to_float(h[size_t(row + r - row2) * cols + col + c - col2]));
      } else {
        ++untouched;
        poisoned += std::isnan(v);
      }
    }
  rep.check("store [64,128] bf16, clipped at the edge", out, ref, 0);
  rep.expect("store leaves the rest of the tensor alone",
             poisoned == untouched);
}

void check_ring(test::Report &rep) {
  const int tiles = 7;
  auto h = test::random_vector<bf16>(size_t(tiles) * 64 * 64);
  DeviceBuffer<bf16> m(h.size()), out(h.size());
  DeviceBuffer<int> fresh(2);
  m.upload(h);
  const CUtensorMap map = test::make_map(
      test::matrix_map(TileElem::BF16, m.ptr, tiles * 64, 64, 64, 64));
  const size_t smem =
      kStages * (sizeof(RingTile) + 2 * sizeof(Barrier)) + 1024 + 64;
  ring<<<1, 160, smem>>>(map, out.ptr, tiles, fresh.ptr);
  LARC_CHECK_LAUNCH();
  rep.check("ring: 2 stages, 7 loads, phases 0,1,0,1",
            test::as_double(out.download()), test::as_double(h), 0);
  const auto f = fresh.download();
  rep.expect("fresh barrier: parity 0 pending", f[0] == 0);
  rep.expect("fresh barrier: parity 1 complete", f[1] == 1);
}

} // namespace

int main() {
  test::Report rep;
  check_2d<bf16, 64, 128>(rep, "load [64,128] bf16 at (64,128) of [200,320]",
                          200, 320, 64, 128);
  check_2d<bf16, 64, 128>(rep, "load [64,128] bf16 at (160,0) of [200,104]",
                          200, 104, 160, 0);
  check_3d(rep);
  check_bthd(rep);
  check_2d<float, 64, 64>(rep, "load [64,64] fp32 at (32,16) of [96,80]", 96,
                          80, 32, 16);
  check_store(rep);
  check_ring(rep);
  return rep.finish("tma_test");
}
