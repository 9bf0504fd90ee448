// Single-threaded SGEMM, C = A * B (row-major), behind a backend switch.
// Callers parallelise over tiles of C; each call stays on the calling thread,
// so the thread count is the caller's and results do not depend on it.
#pragma once

#include <string>

namespace aoi::kernels {

enum class GemmBackend {
  kEigen,     // Eigen's blocked GEMM (header-only, no global state): the default
  kOpenBlas,  // OpenBLAS cblas_sgemm, pinned to one thread per call
};

GemmBackend parse_gemm_backend(const std::string& text);  // "eigen" or "openblas"
const char* gemm_backend_name(GemmBackend backend);

// C[m x n] = A[m x k] * B[k x n]; lda, ldb, ldc are row strides in floats.
void sgemm(GemmBackend backend, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
           int ldc);

}  // namespace aoi::kernels
