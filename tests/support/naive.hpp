// Naive reference implementations the optimized code is tested against:
// plain loops, double accumulation, no cleverness.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace aoi::test {

// Direct convolution, one image, NCHW / OIHW, zero padding.
std::vector<double> naive_conv(const std::vector<double>& input, int c, int h, int w, const std::vector<double>& weight,
                               const std::vector<double>& bias, int out_c, int k, int stride, int pad);
std::vector<double> naive_max_pool(const std::vector<double>& input, int c, int h, int w, int k, int stride, int pad);

std::vector<float> random_floats(std::size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f);

// ||a - b|| / ||b||
double relative_l2(const float* a, const float* b, std::size_t n);
double relative_l2(const std::vector<float>& a, const std::vector<double>& b);
double cosine(const float* a, const float* b, std::size_t n);

}  // namespace aoi::test
