/* aoi's C API: one call from an inspection image to pass, review or fail.
 *
 *   aoi_inspector *insp = NULL;
 *   if (aoi_inspector_open("model.json", NULL, &insp) != AOI_OK) {
 *     fprintf(stderr, "%s\n", aoi_last_error());
 *     return 1;
 *   }
 *   aoi_result r;
 *   if (aoi_inspect_file(insp, "board.png", NULL, &r) == AOI_OK)
 *     printf("p_fail %.3f verdict %d\n", r.p_fail, (int)r.verdict);
 *   aoi_inspector_close(insp);
 *
 * The promise (docs/embedding.md):
 * - Names and meanings here are only ever extended, never changed: new
 *   functions, new enum values at the end, new struct fields only in new
 *   structs. A program built against 0.x links and runs with a later 0.y.
 * - No exception, abort or exit crosses this API. Every function returns a
 *   status; on failure aoi_last_error() names the file (or argument) and the
 *   problem, and the out-parameters are left untouched.
 * - An inspector is thread-safe: any number of threads may call the inspect
 *   functions on one inspector at once. Open and close are not concurrent
 *   with other calls on the same inspector.
 * - Memory: the inspector owns everything it allocates; strings it returns
 *   live as long as the inspector (aoi_version(): forever; aoi_last_error():
 *   until this thread's next aoi call).
 */
#ifndef AOI_AOI_H
#define AOI_AOI_H

#include "aoi/export.h"
#include "aoi/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One loaded model bundle and the ResNet-50 trunk it was trained on. Opaque. */
typedef struct aoi_inspector aoi_inspector;

typedef enum {
  AOI_OK = 0,
  AOI_ERR_ARGUMENT, /* a NULL or out-of-range argument, a region outside the image */
  AOI_ERR_IO,       /* a file could not be opened or read */
  AOI_ERR_FORMAT,   /* a bundle or weight file is damaged, of the wrong kind, or does not match */
  AOI_ERR_IMAGE,    /* image bytes that are not a decodable, acceptable image */
  AOI_ERR_MEMORY,   /* an allocation failed */
  AOI_ERR_INTERNAL  /* anything else: a bug in aoi; the message says what */
} aoi_status;

typedef enum { AOI_PASS = 0, AOI_REVIEW = 1, AOI_FAIL = 2 } aoi_verdict;

/* A rectangle in pixels, inside the image; width and height positive. */
typedef struct {
  int x, y, width, height;
} aoi_roi;

/* Zero every field (or pass NULL) for the defaults:
 *   threads       0 = all cores of this machine; else 1 to 1024
 *   weights_path  NULL = $AOI_WEIGHTS, else
 *                 ${XDG_DATA_HOME:-~/.local/share}/aoi/resnet50-imagenet.aoiw */
typedef struct {
  int threads;
  const char *weights_path;
} aoi_options;

typedef struct {
  float p_fail;        /* the model's probability that the item is a defect, 0..1 */
  aoi_verdict verdict; /* p_fail against the bundle's thresholds */
} aoi_result;

/* "MAJOR.MINOR.PATCH" of the library. */
AOI_API const char *aoi_version(void);

/* Loads the bundle (from `aoi train`) and its trunk weights. On success *out
 * is a new inspector that aoi_inspector_close() frees. */
AOI_API aoi_status aoi_inspector_open(const char *bundle_path, const aoi_options *options,
                                      aoi_inspector **out);

/* Decodes a JPEG, PNG, TIFF or BMP file and inspects it, or the region `roi`
 * of it (NULL = the whole image). */
AOI_API aoi_status aoi_inspect_file(aoi_inspector *inspector, const char *image_path, const aoi_roi *roi,
                                    aoi_result *out);

/* Inspects 8-bit pixels in memory: `channels` 1 (grey) or 3 (RGB, interleaved),
 * rows `stride_bytes` apart (at least width * channels). */
AOI_API aoi_status aoi_inspect_pixels(aoi_inspector *inspector, const unsigned char *pixels, int width, int height,
                                      int stride_bytes, int channels, const aoi_roi *roi, aoi_result *out);

/* aoi_inspect_file and where the evidence lies (docs/anomaly.md): a grid of
 * *width x *height values in [0, 1], row by row, over the region as the
 * trunk saw it, written to `heat` when it holds them (`capacity` floats).
 * Too small a `heat` (or NULL) gives AOI_ERR_ARGUMENT with *out, *width
 * and *height set, so a caller can size the buffer and call again. */
AOI_API aoi_status aoi_explain_file(aoi_inspector *inspector, const char *image_path, const aoi_roi *roi,
                                    aoi_result *out, float *heat, int capacity, int *width, int *height);

/* The bundle's model_version ("aoi-" and 16 hex digits). */
AOI_API const char *aoi_inspector_model_version(const aoi_inspector *inspector);

/* This thread's last failure message, "" if its last call succeeded. */
AOI_API const char *aoi_last_error(void);

/* Frees the inspector. NULL is a no-op. */
AOI_API void aoi_inspector_close(aoi_inspector *inspector);

#ifdef __cplusplus
}
#endif

#endif
