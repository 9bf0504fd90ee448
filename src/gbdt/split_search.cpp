#include "split_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

// A portable x86-64 build (no AVX2 assumed) gets the scans twice, for
// x86-64-v3 (AVX2, FMA) and the baseline, picked at load time: the vector
// code below is written once and compiled for each. Sanitizer builds get
// the baseline alone (AOI_NO_TARGET_CLONES, cmake/AoiOptions.cmake).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX2__) && \
    !defined(AOI_NO_TARGET_CLONES)
#define AOI_SCAN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define AOI_SCAN_CLONES
#endif

namespace aoi::gbdt::detail {
namespace {

// Eight thresholds at a time in GCC's vector extension (one zmm with AVX-512,
// four xmm with SSE2). Each lane keeps the best threshold it has seen as a
// fraction num/den, compared by cross-multiplying: the gain of a threshold is
// gl^2/(hl+l2) + gr^2/(hr+l2) - parent, and a division per threshold made the
// divider the loop's bottleneck. Only the winner is divided out.
// Eight lanes where one register holds them (AVX-512), else four: eight
// doubles in two ymm (or four xmm) registers left too few registers for the
// running bests, and GCC spilled them to the stack on every step.
#if defined(__AVX512F__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
typedef double Vec __attribute__((vector_size(kLanes * sizeof(double))));
typedef long long Mask __attribute__((vector_size(kLanes * sizeof(double))));
typedef long long Packed __attribute__((vector_size(kLanes * sizeof(long long))));  // quantized sums

Vec load(const double* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
Vec splat(double x) { return Vec{} + x; }
Vec select(Mask m, Vec a, Vec b) { return m ? a : b; }  // a blend where the ISA has one
using detail::soft_threshold;  // the scalar one, beside this one for eight lanes
Vec soft_threshold(Vec g, double l1) {
  const Mask negative = g < 0;
  const Vec magnitude = select(negative, -g, g) - l1;
  const Vec shrunk = select(magnitude > 0, magnitude, splat(0));
  return select(negative, -shrunk, shrunk);
}

// Running sums of the bins within runs. One running sum waits on the
// previous add (about four cycles a bin), so the bins are cut into four runs
// (each a whole number of vectors) summed side by side; the search adds to
// each vector the total of the runs before its own. The twelve sums are named
// variables: GCC interchanges loops over small arrays, which puts the sums
// back into one chain.
constexpr int kRuns = 4;
struct Runs {
  int length = 0;  // bins per run, a multiple of kLanes; the last runs may be shorter or empty
  double g[kRuns] = {}, h[kRuns] = {}, c[kRuns] = {};  // sums of the runs before run r
};

Runs run_sums(const HistBin* hist, int n, double* pg, double* ph, double* pc) {
  Runs runs;
  runs.length = ((n + kRuns - 1) / kRuns + kLanes - 1) / kLanes * kLanes;
  int len[kRuns];
  for (int r = 0; r < kRuns; ++r) len[r] = std::clamp(n - r * runs.length, 0, runs.length);
  double g0 = 0, g1 = 0, g2 = 0, g3 = 0, h0 = 0, h1 = 0, h2 = 0, h3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  auto step = [&](int b, double& g, double& h, double& c) {
    g += hist[b].g, h += hist[b].h, c += hist[b].count;
    pg[b] = g, ph[b] = h, pc[b] = c;
  };
  const int L = runs.length;
  int j = 0;
  for (; j < len[3]; ++j) step(j, g0, h0, c0), step(L + j, g1, h1, c1), step(2 * L + j, g2, h2, c2), step(3 * L + j, g3, h3, c3);
  for (; j < len[2]; ++j) step(j, g0, h0, c0), step(L + j, g1, h1, c1), step(2 * L + j, g2, h2, c2);
  for (; j < len[1]; ++j) step(j, g0, h0, c0), step(L + j, g1, h1, c1);
  for (; j < len[0]; ++j) step(j, g0, h0, c0);
  runs.g[1] = g0, runs.g[2] = g0 + g1, runs.g[3] = g0 + g1 + g2;
  runs.h[1] = h0, runs.h[2] = h0 + h1, runs.h[3] = h0 + h1 + h2;
  runs.c[1] = c0, runs.c[2] = c0 + c1, runs.c[3] = c0 + c1 + c2;
  return runs;
}

// The vector search shared by both entry points. Thresholds arrive eight at
// a time, bins ascending within each lane, with the sums left of them
// (missing values excluded); for each side of the missing values, each lane
// keeps the best threshold it has seen as gain + parent = num / den and its
// bin.
class ThresholdScan {
 public:
  ThresholdScan(const HistBin& missing, int n, const LeafSums& leaf, const SplitRules& rules)
      : missing_(missing), leaf_(leaf), rules_(rules), has_missing_(missing.count > 0) {
    const double parent_g = soft_threshold(leaf.g, rules.lambda_l1);
    parent_ = parent_g * parent_g / std::max(leaf.h + rules.lambda_l2, 1e-15);
    // The last threshold is a split only when it separates the missing values.
    last_right_ = has_missing_ ? n : n - 1, last_left_ = has_missing_ ? n - 1 : 0;
    // A threshold must beat gain min_gain: num/den > parent + min_gain.
    right_ = {splat(parent_ + rules.min_gain), splat(1), splat(-1)}, left_ = right_;
  }

  // Whether a threshold whose values left of it (missing values apart) sum
  // to hessian h and count c may be valid, missing values on either side:
  // both sides need min_sum_hessian and min_data. Left sums only grow with
  // the bin, so the thresholds that may be valid form one run of bins,
  // found by binary search; the scan skips the rest, which late in training
  // (small hessians) is most of them. The bounds are widened a little, so
  // the run holds every threshold the exact tests in consider() accept.
  bool may_be_valid_from(double h, double c) const {
    return h >= rules_.min_sum_hessian - missing_.h - slack_ && c >= rules_.min_data - missing_.count - 0.5;
  }
  bool may_be_valid_up_to(double h, double c) const {
    return h <= leaf_.h - rules_.min_sum_hessian + slack_ && c <= leaf_.count - rules_.min_data + 0.5;
  }

  void add(Vec gl, Vec hl, Vec cl, Vec bin) {
    consider(gl, hl, cl, bin, last_right_, right_);
    if (has_missing_) consider(gl + missing_.g, hl + missing_.h, cl + missing_.count, bin, last_left_, left_);
  }

  struct Winner {
    bool missing_left = false;
    int bin = -1;  // -1: no threshold beats min_gain
    double gain = 0;
  };
  // Across lanes: the largest gain, by cross-multiplying again; ties to the
  // lower bin, then missing right. Only the winner is divided out.
  Winner winner() const {
    const LaneBest* top = nullptr;
    int top_lane = 0;
    for (const LaneBest* lanes : {&right_, &left_})
      for (int k = 0; k < kLanes; ++k) {
        if (lanes->bin[k] < 0) continue;
        if (top) {
          const double mine = lanes->num[k] * top->den[top_lane], theirs = top->num[top_lane] * lanes->den[k];
          const bool earlier = lanes->bin[k] < top->bin[top_lane];  // same bin: right came first
          if (!(mine > theirs || (mine == theirs && earlier))) continue;
        }
        top = lanes, top_lane = k;
      }
    Winner w;
    if (!top) return w;
    w.gain = top->num[top_lane] / top->den[top_lane] - parent_;
    if (!(w.gain > rules_.min_gain)) return w;
    w.missing_left = top == &left_, w.bin = int(top->bin[top_lane]);
    return w;
  }

  // No threshold beats min_gain (the winner's bin is -1).
  Split none() const {
    Split s;
    s.gain = rules_.min_gain;
    return s;
  }

  // The split of a winner whose value bins to the left sum to (gl, hl, cl).
  Split split(int feature, const Winner& w, double gl, double hl, double cl) const {
    if (w.missing_left)
      return {w.gain, feature, w.bin, true, gl + missing_.g, hl + missing_.h, std::uint32_t(cl + missing_.count)};
    const bool default_left = !has_missing_ && cl >= leaf_.count - cl;  // NaNs later go to the larger side
    return {w.gain, feature, w.bin, default_left, gl, hl, std::uint32_t(cl)};
  }

 private:
  struct LaneBest {
    Vec num, den, bin;
  };

  void consider(Vec gl, Vec hl, Vec cl, Vec bin, int last, LaneBest& best) const {
    const double l1 = rules_.lambda_l1, l2 = rules_.lambda_l2;
    Vec gr = leaf_.g - gl;
    const Vec hr = leaf_.h - hl, cr = leaf_.count - cl;
    if (l1 > 0) gl = soft_threshold(gl, l1), gr = soft_threshold(gr, l1);
    const Vec dl = hl + l2, dr = hr + l2;
    const Vec num = gl * gl * dr + gr * gr * dl, den = dl * dr;
    const Mask ok = (bin < double(last)) & (cl >= rules_.min_data) & (cr >= rules_.min_data) &
                    (hl >= rules_.min_sum_hessian) & (hr >= rules_.min_sum_hessian) & (dl > 0) & (dr > 0);
    const Mask better = ok & (num * best.den > best.num * den);  // strictly: a lane keeps its lowest bin
    best.num = select(better, num, best.num), best.den = select(better, den, best.den);
    best.bin = select(better, bin, best.bin);
  }

  const HistBin missing_;
  const LeafSums leaf_;
  const SplitRules rules_;
  const bool has_missing_;
  const double slack_ = 1e-9 * (1 + std::abs(leaf_.h));
  double parent_ = 0;
  int last_right_ = 0, last_left_ = 0;
  LaneBest right_, left_;
};

// The run [first, last] of positions 0..n-1 whose left sums (h(i), c(i),
// non-decreasing in i) may give a valid threshold; first > last if none.
template <class SumsAt>
std::pair<int, int> valid_run(const ThresholdScan& scan, int n, SumsAt sums_at) {
  int lo = 0, hi = n;  // first position that may start the run
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    const auto [h, c] = sums_at(mid);
    if (scan.may_be_valid_from(h, c)) hi = mid;
    else lo = mid + 1;
  }
  const int first = lo;
  lo = first, hi = n;  // first position past the run
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    const auto [h, c] = sums_at(mid);
    if (scan.may_be_valid_up_to(h, c)) lo = mid + 1;
    else hi = mid;
  }
  return {first, lo - 1};
}

}  // namespace

// The entry points below are thin wrappers: the clones of a function with
// external linkage would be exported from libaoi.so (GCC gives the
// dispatcher default visibility), static ones stay inside.
AOI_SCAN_CLONES static Split scan_histogram(int feature, const HistBin* hist, int bins, const LeafSums& leaf,
                                            const SplitRules& rules) {
  const int n = bins;
  ThresholdScan scan(hist[n], n, leaf, rules);
  const int padded = kRuns * ((n + kRuns - 1) / kRuns + kLanes) + kLanes;
  thread_local std::vector<double> sums;
  if (sums.size() < 3 * std::size_t(padded)) sums.resize(3 * std::size_t(padded));
  double* pg = sums.data();
  double* ph = pg + padded;
  double* pc = ph + padded;
  const Runs runs = run_sums(hist, n, pg, ph, pc);

  const auto [first, last] = valid_run(scan, n, [&](int b) {
    const int r = b / runs.length;
    return std::pair<double, double>(ph[b] + runs.h[r], pc[b] + runs.c[r]);
  });
  if (first > last) return scan.none();
  Vec lane_index;
  for (int k = 0; k < kLanes; ++k) lane_index[k] = k;
  // Lanes past the last bin hold stale sums; `bin < last` masks them. Each
  // run's vectors start at whole vectors from the run's start, as the sums
  // were laid out.
  for (int r = first / runs.length; r <= last / runs.length && r < kRuns; ++r) {
    const int run_begin = r * runs.length, end = std::min({n, run_begin + runs.length, last + 1});
    const int begin = run_begin + std::max(0, first - run_begin) / kLanes * kLanes;
    for (int b = begin; b < end; b += kLanes)
      scan.add(load(pg + b) + runs.g[r], load(ph + b) + runs.h[r], load(pc + b) + runs.c[r], lane_index + double(b));
  }
  const ThresholdScan::Winner w = scan.winner();
  if (w.bin < 0) return scan.none();
  const int b = w.bin, r = b / runs.length;
  return scan.split(feature, w, pg[b] + runs.g[r], ph[b] + runs.h[r], pc[b] + runs.c[r]);
}

namespace {

// Bit i of the result is set when byte i of the 64 marks (each 0 or 1) is.
// Per eight marks, the multiply moves byte i's bit to bit 56 + i, and no two
// products meet, so nothing carries.
std::uint64_t mark_bits(const std::uint8_t* marks) {
  std::uint64_t bits = 0;
  for (int j = 0; j < 8; ++j) {
    std::uint64_t word;
    std::memcpy(&word, marks + 8 * j, 8);
    bits |= ((word * 0x0102040810204080ull) >> 56) << (8 * j);
  }
  return bits;
}

// Running sums of the lanes: lane i gets lanes 0..i (a shift-and-add step
// per doubling).
// GCC and clang spell the two-vector shuffle differently.
#if defined(__clang__)
#define AOI_SHUFFLE8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) __builtin_shufflevector(a, b, i0, i1, i2, i3, i4, i5, i6, i7)
#define AOI_SHUFFLE4(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define AOI_SHUFFLE8(a, b, i0, i1, i2, i3, i4, i5, i6, i7) \
  __builtin_shuffle(a, b, Index{i0, i1, i2, i3, i4, i5, i6, i7})
#define AOI_SHUFFLE4(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, Index{i0, i1, i2, i3})
#endif
template <class V>  // Vec or Packed
V prefix_sums(V x) {
  [[maybe_unused]] typedef long long Index __attribute__((vector_size(kLanes * sizeof(long long))));
  const V zero{};
#if defined(__AVX512F__)
  x += AOI_SHUFFLE8(x, zero, 8, 0, 1, 2, 3, 4, 5, 6);
  x += AOI_SHUFFLE8(x, zero, 8, 8, 0, 1, 2, 3, 4, 5);
  x += AOI_SHUFFLE8(x, zero, 8, 8, 8, 8, 0, 1, 2, 3);
#else
  x += AOI_SHUFFLE4(x, zero, 4, 0, 1, 2);
  x += AOI_SHUFFLE4(x, zero, 4, 4, 0, 1);
#endif
  return x;
}

// Running sums of n packed values in place, whole vectors at a time (n a
// multiple of kLanes); returns the total.
std::int64_t packed_running_sums(std::int64_t* v, int n) {
  Packed carry{};
  for (int i = 0; i < n; i += kLanes) {
    Packed x;
    std::memcpy(&x, v + i, sizeof x);
    x = prefix_sums(x) + carry;
    std::memcpy(v + i, &x, sizeof x);
    carry = Packed{} + x[kLanes - 1];
  }
  return n > 0 ? v[n - 1] : 0;
}
#undef AOI_SHUFFLE8
#undef AOI_SHUFFLE4

// The thresholds of one feature whose rows are summed in `hist` and marked
// in `used`: every threshold from a bin in use up to the next one splits the
// rows alike, and the full search keeps the first of those, the bin in use
// itself; below the first bin in use nothing (or only the missing values) can
// go left, which the full search meets at bin 0. Those candidates, in bin
// order, go through the same vector search. Leaves hist and used zero.
//
// The bins in use are first copied out in order (the marks as bits, taken
// lowest first: no dependency from one bin to the next but clearing a bit),
// then summed eight at a time in registers; summing while walking the marks
// made each bin wait on the one before.
AOI_SCAN_CLONES Split search_used_bins(int feature, int n, RowBin* hist, std::uint8_t* used, const LeafSums& leaf,
                       const SplitRules& rules) {
  const HistBin missing{hist[n].g, hist[n].h, hist[n].count};
  hist[n] = RowBin{}, used[n] = 0;
  ThresholdScan scan(missing, n, leaf, rules);
  // Candidates: the bin's own sums (left sums after the running sum) and the
  // bin; room for every bin plus bin 0's and a vector of padding.
  constexpr int kMax = 256 + 1 + kLanes;
  alignas(64) double cg[kMax], ch[kMax], cc[kMax], cb[kMax];
  int count = 0;
  auto push = [&](double g, double h, double c, int bin) { cg[count] = g, ch[count] = h, cc[count] = c, cb[count++] = bin; };
  if (!used[0]) push(0, 0, 0, 0);
  for (int base = 0; base < n; base += 64) {  // bins >= n are never marked, bin n was cleared above
    std::uint64_t marks = mark_bits(used + base);
    if (!marks) continue;
    std::memset(used + base, 0, 64);
    for (; marks; marks &= marks - 1) {
      const int b = base + __builtin_ctzll(marks);
      push(hist[b].g, hist[b].h, hist[b].count, b);
      hist[b] = RowBin{};
    }
  }
  while (count % kLanes) push(0, 0, 0, 1 << 20);  // past every `last`: masked
  Vec gl{}, hl{}, cl{};  // the sums left of the previous vector's last candidate, in every lane
  for (int i = 0; i < count; i += kLanes) {
    const Vec g = prefix_sums(load(cg + i)) + gl, h = prefix_sums(load(ch + i)) + hl, c = prefix_sums(load(cc + i)) + cl;
    std::memcpy(cg + i, &g, sizeof g), std::memcpy(ch + i, &h, sizeof h), std::memcpy(cc + i, &c, sizeof c);
    gl = splat(g[kLanes - 1]), hl = splat(h[kLanes - 1]), cl = splat(c[kLanes - 1]);
  }
  const auto [first, last] =
      valid_run(scan, count, [&](int i) { return std::pair<double, double>(ch[i], cc[i]); });
  if (first > last) return scan.none();
  for (int i = first / kLanes * kLanes; i <= last; i += kLanes)
    scan.add(load(cg + i), load(ch + i), load(cc + i), load(cb + i));
  const ThresholdScan::Winner w = scan.winner();
  if (w.bin < 0) return scan.none();
  const int at = int(std::lower_bound(cb, cb + count, double(w.bin)) - cb);
  return scan.split(feature, w, cg[at], ch[at], cc[at]);
}

}  // namespace

AOI_SCAN_CLONES static void scan_rows(const RowFeature* features, int feature_count, std::size_t stride,
                      const std::uint32_t* rows, const float* g, const float* h, std::size_t count,
                      const LeafSums& leaf, const SplitRules& rules, SparseScratch& scratch, Split* out) {
  typedef double Sums __attribute__((vector_size(4 * sizeof(double))));
  auto add = [&](int k, std::size_t at, Sums row_sums) {
    const int b = features[k].column[at];
    Sums sums;
    std::memcpy(&sums, &scratch.bins[k][b], sizeof sums);
    sums += row_sums;
    std::memcpy(&scratch.bins[k][b], &sums, sizeof sums);
    scratch.used[k][b] = 1;
  };
  if (feature_count == kRowGroup) {
    // A leaf's rows are scattered over the columns, beyond what the hardware
    // prefetcher predicts: fetch the bins a few rows ahead.
    constexpr std::size_t kAhead = 16;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = rows[i] * stride, ahead = rows[std::min(i + kAhead, count - 1)] * stride;
      for (int k = 0; k < kRowGroup; ++k) __builtin_prefetch(features[k].column + ahead);
      const Sums row_sums{g[i], h[i], 1.0, 0.0};
      for (int k = 0; k < kRowGroup; ++k) add(k, at, row_sums);
    }
  } else {  // the last, short group of a leaf's features
    for (int k = 0; k < feature_count; ++k)
      for (std::size_t i = 0; i < count; ++i) add(k, rows[i] * stride, Sums{g[i], h[i], 1.0, 0.0});
  }
  for (int k = 0; k < feature_count; ++k)
    out[k] = search_used_bins(features[k].feature, features[k].bins, scratch.bins[k], scratch.used[k], leaf, rules);
}

namespace {

// Quantized sums (quantized_gradients.hpp) as the scan's doubles.
HistBin unpack(std::int64_t v, GradientScale s) {
  return {double(packed::gradient(v)) * s.g, double(packed::hessian(v)) * s.h, double(packed::count(v))};
}

// Exact for 0 <= x < 2^52: x's bits under the exponent of 2^52, minus 2^52
// (one or and one subtract; AVX2 has no 64-bit integer conversion).
Vec exact_double(Packed x) {
  const Packed bits = x | 0x4330000000000000LL;
  Vec d;
  std::memcpy(&d, &bits, sizeof d);
  return d - 0x1.0p52;
}

// Eight (or four) packed sums as the scan's gradient, hessian and count.
void unpack(Packed v, GradientScale s, Vec& g, Vec& h, Vec& c) {
  constexpr long long kBias = 1LL << 23;  // gradients are > -2^23
  c = exact_double(v & packed::kFieldMask);
  h = exact_double((v >> packed::kCountBits) & packed::kFieldMask) * s.h;
  g = (exact_double((v >> packed::kGradientShift) + kBias) - double(kBias)) * s.g;
}

}  // namespace

// Integer running sums have no latency worth hiding (one add a bin), so
// they are one chain; the thresholds then go through the double scan.
AOI_SCAN_CLONES static Split scan_packed(int feature, const std::int64_t* hist, int n, std::int64_t leaf_q,
                                         GradientScale s, const SplitRules& rules) {
  const HistBin leaf_sums = unpack(leaf_q, s);
  const LeafSums leaf{leaf_sums.g, leaf_sums.h, leaf_sums.count};
  ThresholdScan scan(unpack(hist[n], s), n, leaf, rules);
  thread_local std::vector<std::int64_t> prefix;
  if (prefix.size() < std::size_t(n + 2 * kLanes)) prefix.resize(std::size_t(n + 2 * kLanes));
  // The histogram's bins end at n + 1 (its missing bin): whole vectors are
  // summed from a copy padded with zeros.
  const int whole = (n + kLanes - 1) / kLanes * kLanes;
  std::memcpy(prefix.data(), hist, std::size_t(n) * sizeof *hist);
  std::fill(prefix.data() + n, prefix.data() + whole + kLanes, 0);
  packed_running_sums(prefix.data(), whole + kLanes);  // the lanes past n hold the total: masked
  const auto [first, last] = valid_run(scan, n, [&](int b) {
    return std::pair<double, double>(double(packed::hessian(prefix[b])) * s.h, double(packed::count(prefix[b])));
  });
  if (first > last) return scan.none();
  Vec lane_index;
  for (int k = 0; k < kLanes; ++k) lane_index[k] = k;
  for (int b = first / kLanes * kLanes; b <= last; b += kLanes) {
    Packed v;
    std::memcpy(&v, prefix.data() + b, sizeof v);
    Vec g, h, c;
    unpack(v, s, g, h, c);
    scan.add(g, h, c, lane_index + double(b));
  }
  const ThresholdScan::Winner w = scan.winner();
  if (w.bin < 0) return scan.none();
  const HistBin left = unpack(prefix[w.bin], s);
  Split split = scan.split(feature, w, left.g, left.h, left.count);
  split.left_q = prefix[w.bin] + (w.missing_left ? hist[n] : 0);
  return split;
}

namespace {

// search_used_bins on packed sums: the bins in use are copied out as they
// are, their running sum is one integer chain (an add does not wait), and
// each vector of candidates is unpacked only where the scan reads it.
AOI_SCAN_CLONES Split search_used_bins_packed(int feature, int n, std::int64_t* hist, std::uint8_t* used,
                                              std::int64_t leaf_q, GradientScale s, const SplitRules& rules) {
  const std::int64_t missing = hist[n];
  hist[n] = 0, used[n] = 0;
  const HistBin leaf_sums = unpack(leaf_q, s);
  ThresholdScan scan(unpack(missing, s), n, {leaf_sums.g, leaf_sums.h, leaf_sums.count}, rules);
  constexpr int kMax = 256 + 1 + kLanes;
  alignas(64) std::int64_t cq[kMax];
  alignas(64) int cb[kMax];
  int count = 0;
  auto push = [&](std::int64_t v, int bin) { cq[count] = v, cb[count++] = bin; };
  if (!used[0]) push(0, 0);
  for (int base = 0; base < n; base += 64) {
    std::uint64_t marks = mark_bits(used + base);
    if (!marks) continue;
    std::memset(used + base, 0, 64);
    for (; marks; marks &= marks - 1) {
      const int b = base + __builtin_ctzll(marks);
      push(hist[b], b);
      hist[b] = 0;
    }
  }
  while (count % kLanes) push(0, 1 << 20);  // past every `last`: masked
  packed_running_sums(cq, count);
  const auto [first, last] = valid_run(scan, count, [&](int i) {
    return std::pair<double, double>(double(packed::hessian(cq[i])) * s.h, double(packed::count(cq[i])));
  });
  if (first > last) return scan.none();
  for (int i = first / kLanes * kLanes; i <= last; i += kLanes) {
    Packed v;
    std::memcpy(&v, cq + i, sizeof v);
    Vec g, h, c;
    unpack(v, s, g, h, c);
    typedef int Bins __attribute__((vector_size(kLanes * sizeof(int))));
    Bins bins;
    std::memcpy(&bins, cb + i, sizeof bins);
    scan.add(g, h, c, __builtin_convertvector(bins, Vec));
  }
  const ThresholdScan::Winner w = scan.winner();
  if (w.bin < 0) return scan.none();
  const int at = int(std::lower_bound(cb, cb + count, w.bin) - cb);
  const HistBin left = unpack(cq[at], s);
  Split split = scan.split(feature, w, left.g, left.h, left.count);
  split.left_q = cq[at] + (w.missing_left ? missing : 0);
  return split;
}

}  // namespace

AOI_SCAN_CLONES static void scan_rows_packed(const RowFeature* features, int feature_count, std::size_t stride,
                                             const std::uint32_t* rows, const std::int64_t* q, std::size_t count,
                                             std::int64_t leaf, GradientScale s, const SplitRules& rules,
                                             PackedScratch& scratch, Split* out) {
  auto add = [&](int k, std::size_t at, std::int64_t v) {
    const int b = features[k].column[at];
    scratch.bins[k][b] += v;
    scratch.used[k][b] = 1;
  };
  if (feature_count == kRowGroup) {
    constexpr std::size_t kAhead = 16;  // as scan_rows
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = rows[i] * stride, ahead = rows[std::min(i + kAhead, count - 1)] * stride;
      for (int k = 0; k < kRowGroup; ++k) __builtin_prefetch(features[k].column + ahead);
      for (int k = 0; k < kRowGroup; ++k) add(k, at, q[i]);
    }
  } else {
    for (int k = 0; k < feature_count; ++k)
      for (std::size_t i = 0; i < count; ++i) add(k, rows[i] * stride, q[i]);
  }
  for (int k = 0; k < feature_count; ++k)
    out[k] = search_used_bins_packed(features[k].feature, features[k].bins, scratch.bins[k], scratch.used[k], leaf, s,
                                     rules);
}

Split best_threshold_packed(int feature, const std::int64_t* hist, int bins, std::int64_t leaf, GradientScale scale,
                            const SplitRules& rules) {
  return scan_packed(feature, hist, bins, leaf, scale, rules);
}

void best_thresholds_of_rows_packed(const RowFeature* features, int feature_count, std::size_t stride,
                                    const std::uint32_t* rows, const std::int64_t* q, std::size_t count,
                                    std::int64_t leaf, GradientScale scale, const SplitRules& rules,
                                    PackedScratch& scratch, Split* out) {
  scan_rows_packed(features, feature_count, stride, rows, q, count, leaf, scale, rules, scratch, out);
}

Split best_threshold(int feature, const HistBin* hist, int bins, const LeafSums& leaf, const SplitRules& rules) {
  return scan_histogram(feature, hist, bins, leaf, rules);
}

void best_thresholds_of_rows(const RowFeature* features, int feature_count, std::size_t stride,
                             const std::uint32_t* rows, const float* g, const float* h, std::size_t count,
                             const LeafSums& leaf, const SplitRules& rules, SparseScratch& scratch, Split* out) {
  scan_rows(features, feature_count, stride, rows, g, h, count, leaf, rules, scratch, out);
}

Split best_threshold_reference(int feature, const HistBin* hist, int bins, const LeafSums& leaf,
                               const SplitRules& rules) {
  const HistBin& missing = hist[bins];
  const bool has_missing = missing.count > 0;
  const double l1 = rules.lambda_l1, l2 = rules.lambda_l2;
  auto term = [&](double g, double h) {
    const double s = soft_threshold(g, l1);
    return s * s / (h + l2);
  };
  const double parent_g = soft_threshold(leaf.g, l1);
  const double parent = parent_g * parent_g / std::max(leaf.h + l2, 1e-15);
  Split best;
  best.gain = rules.min_gain;
  double gl = 0, hl = 0, cl = 0;
  for (int b = 0; b < bins; ++b) {
    gl += hist[b].g, hl += hist[b].h, cl += hist[b].count;
    for (int side = 0; side < 2; ++side) {
      if (side == 1 && !has_missing) continue;
      if (side == 0 && b == bins - 1 && !has_missing) continue;  // nothing to the right
      if (side == 1 && b == bins - 1) continue;                 // everything left
      const double g = gl + (side ? missing.g : 0), h = hl + (side ? missing.h : 0), c = cl + (side ? missing.count : 0);
      if (c < rules.min_data || leaf.count - c < rules.min_data) continue;
      if (h < rules.min_sum_hessian || leaf.h - h < rules.min_sum_hessian) continue;
      if (h + l2 <= 0 || leaf.h - h + l2 <= 0) continue;
      const double gain = term(g, h) + term(leaf.g - g, leaf.h - h) - parent;
      if (!(gain > best.gain)) continue;
      const bool default_left = side == 1 || (!has_missing && c >= leaf.count - c);
      best = {gain, feature, b, default_left, g, h, std::uint32_t(c)};
    }
  }
  return best;
}

}  // namespace aoi::gbdt::detail
