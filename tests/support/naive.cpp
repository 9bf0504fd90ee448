#include "support/naive.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aoi::test {

std::vector<double> naive_conv(const std::vector<double>& in, int c, int h, int w, const std::vector<double>& weight,
                               const std::vector<double>& bias, int out_c, int k, int stride, int pad) {
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  std::vector<double> out(std::size_t(out_c) * oh * ow);
  for (int o = 0; o < out_c; ++o)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        double acc = bias.empty() ? 0.0 : bias[o];
        for (int i = 0; i < c; ++i)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = y * stride - pad + ky, ix = x * stride - pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += in[(std::size_t(i) * h + iy) * w + ix] * weight[((std::size_t(o) * c + i) * k + ky) * k + kx];
            }
        out[(std::size_t(o) * oh + y) * ow + x] = acc;
      }
  return out;
}

std::vector<double> naive_max_pool(const std::vector<double>& in, int c, int h, int w, int k, int stride, int pad) {
  const int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  std::vector<double> out(std::size_t(c) * oh * ow, -std::numeric_limits<double>::infinity());
  for (int i = 0; i < c; ++i)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x)
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            const int iy = y * stride - pad + ky, ix = x * stride - pad + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            double& o = out[(std::size_t(i) * oh + y) * ow + x];
            o = std::max(o, in[(std::size_t(i) * h + iy) * w + ix]);
          }
  return out;
}

std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

double relative_l2(const float* a, const float* b, std::size_t n) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n; ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

double relative_l2(const std::vector<float>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return std::sqrt(num / den);
}

double cosine(const float* a, const float* b, std::size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return ab / std::sqrt(aa * bb);
}

}  // namespace aoi::test
