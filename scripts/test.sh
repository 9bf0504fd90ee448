#!/usr/bin/env bash
# Every test: install packages, build, fetch the weights (the golden and
# DeepPCB tests need them), run the suite through CTest, then the suite again
# under ASan+UBSan and the threaded tests under TSan (docs/sanitizers.md).
# AOI_SKIP_SANITIZERS=1 skips the sanitizer passes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# With ../shared present, the reference and weights are required, not skipped.
if [ -d ../shared/reference ]; then export AOI_REQUIRE_REFERENCE=1 AOI_REQUIRE_WEIGHTS=1; fi
(cd "${AOI_BUILD_DIR:-build}" && ctest --output-on-failure -j"$(nproc)")
if [ -z "${AOI_SKIP_SANITIZERS:-}" ]; then scripts/test-sanitizers.sh; fi
