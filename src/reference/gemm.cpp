#define EIGEN_DONT_PARALLELIZE  // parallelism belongs to the caller's TBB arena
#include "reference/gemm.hpp"

#include <Eigen/Core>
#include <mutex>

#include "core/require.hpp"

#ifdef AOI_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace aoi::kernels {

GemmBackend parse_gemm_backend(const std::string& text) {
  if (text == "eigen") return GemmBackend::kEigen;
#ifdef AOI_HAVE_OPENBLAS
  if (text == "openblas") return GemmBackend::kOpenBlas;
#endif
  throw Error(ErrorKind::kInvalidArgument, "unknown GEMM backend '" + text + "' (expected eigen" +
#ifdef AOI_HAVE_OPENBLAS
                                               std::string(" or openblas)")
#else
                                               std::string("; this build has no OpenBLAS)")
#endif
  );
}

const char* gemm_backend_name(GemmBackend backend) {
  return backend == GemmBackend::kEigen ? "eigen" : "openblas";
}

void sgemm(GemmBackend backend, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
           int ldc) {
  if (backend == GemmBackend::kOpenBlas) {
#ifdef AOI_HAVE_OPENBLAS
    // OpenBLAS threads are process-wide; aoi parallelises itself, so pin it to
    // one thread once rather than let every tile spawn its own team.
    static std::once_flag pinned;
    std::call_once(pinned, [] { openblas_set_num_threads(1); });
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    return;
#else
    throw Error(ErrorKind::kUnsupported, "this build of aoi has no OpenBLAS backend");
#endif
  }
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstMap = Eigen::Map<const RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
  using Map = Eigen::Map<RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
  Map(c, m, n, Eigen::OuterStride<>(ldc)).noalias() =
      ConstMap(a, m, k, Eigen::OuterStride<>(lda)) * ConstMap(b, k, n, Eigen::OuterStride<>(ldb));
}

}  // namespace aoi::kernels
