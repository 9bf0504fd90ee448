/* A vendor's smallest aoi program: open a bundle, inspect one image, print the
 * verdict. Built against an installed aoi by tests/consumers (CMake
 * find_package and pkg-config --static) and scripts/build-lean.sh.
 *
 *   inspect MODEL.json IMAGE [WEIGHTS.aoiw]
 */
#include <stdio.h>

#include <aoi/aoi.h>

int main(int argc, char **argv) {
  aoi_options options = {0, argc > 3 ? argv[3] : NULL};
  aoi_inspector *inspector = NULL;
  aoi_result result;
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.json IMAGE [WEIGHTS.aoiw]\n", argv[0]);
    return 2;
  }
  if (aoi_inspector_open(argv[1], &options, &inspector) != AOI_OK ||
      aoi_inspect_file(inspector, argv[2], NULL, &result) != AOI_OK) {
    fprintf(stderr, "inspect: %s\n", aoi_last_error());
    aoi_inspector_close(inspector);
    return 1;
  }
  printf("aoi %s model %s: p_fail %.6f verdict %s\n", aoi_version(), aoi_inspector_model_version(inspector),
         result.p_fail, result.verdict == AOI_PASS ? "pass" : result.verdict == AOI_REVIEW ? "review" : "fail");
  aoi_inspector_close(inspector);
  return 0;
}
