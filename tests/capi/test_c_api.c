/* The C API from C: every function and every error path, and two threads on
 * one inspector. Compiled as C99 with -Wall -Wextra -Werror -pedantic.
 *
 *   test_c_api FIXTURE_DIR     (written by make_capi_fixture)
 */
#define _POSIX_C_SOURCE 200809L /* setenv, fork, waitpid */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aoi/aoi.h"

static int failures = 0, checks = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    ++checks;                                                                    \
    if (!(cond)) {                                                               \
      ++failures;                                                                \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: '%s')\n", __FILE__, \
              __LINE__, #cond, aoi_last_error());                                \
    }                                                                            \
  } while (0)

static char dir[4096];
static const char *path(const char *name) {
  static char buffers[8][4200];
  static int next = 0;
  char *b = buffers[next++ % 8];
  snprintf(b, sizeof buffers[0], "%s/%s", dir, name);
  return b;
}

static int contains(const char *text, const char *part) { return strstr(text, part) != NULL; }

typedef struct {
  float p_fail;
  int verdict;
} expected_result;
static expected_result expect_whole, expect_region, expect_grey;
static char expect_version[64];

static void read_expected(void) {
  FILE *f = fopen(path("expected.txt"), "r");
  if (!f || fscanf(f, "%f %d %f %d %f %d %63s", &expect_whole.p_fail, &expect_whole.verdict, &expect_region.p_fail,
                   &expect_region.verdict, &expect_grey.p_fail, &expect_grey.verdict, expect_version) != 7) {
    fprintf(stderr, "cannot read %s\n", path("expected.txt"));
    exit(2);
  }
  fclose(f);
}

/* The 80 x 60 pattern of make_fixture.cpp, rows `stride` bytes apart. */
static unsigned char *make_pattern(int channels, int stride) {
  unsigned char *p = calloc((size_t)stride * 60, 1);
  int x, y, c;
  for (y = 0; y < 60; ++y)
    for (x = 0; x < 80; ++x)
      for (c = 0; c < channels; ++c) p[y * stride + x * channels + c] = (unsigned char)((x * 7 + y * 13 + c * 50) % 256);
  return p;
}

static int same(float a, float b) { return fabsf(a - b) <= 1e-6f; }

static aoi_inspector *open_default(void) {
  aoi_options o;
  aoi_inspector *insp = NULL;
  memset(&o, 0, sizeof o);
  o.threads = 2;
  o.weights_path = path("tiny.aoiw");
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_OK);
  CHECK(insp != NULL);
  CHECK(strcmp(aoi_last_error(), "") == 0);
  return insp;
}

static void test_version(void) {
  int major = -1, minor = -1, patch = -1;
  char tail = 0;
  CHECK(sscanf(aoi_version(), "%d.%d.%d%c", &major, &minor, &patch, &tail) == 3);
  CHECK(strcmp(aoi_version(), AOI_VERSION_STRING) == 0);
  CHECK(major == AOI_VERSION_MAJOR && minor == AOI_VERSION_MINOR && patch == AOI_VERSION_PATCH);
}

static void test_open_errors(void) {
  aoi_options o;
  aoi_inspector *insp = NULL;
  memset(&o, 0, sizeof o);
  o.weights_path = path("tiny.aoiw");

  CHECK(aoi_inspector_open(path("model.json"), &o, NULL) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "out is NULL"));
  CHECK(aoi_inspector_open(NULL, &o, &insp) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "bundle_path"));
  CHECK(insp == NULL);

  CHECK(aoi_inspector_open(path("no_such_model.json"), &o, &insp) == AOI_ERR_IO);
  CHECK(contains(aoi_last_error(), "no_such_model.json"));
  CHECK(insp == NULL);

  CHECK(aoi_inspector_open(path("not_an_image.png"), &o, &insp) == AOI_ERR_FORMAT);
  CHECK(contains(aoi_last_error(), "not_an_image.png"));

  o.weights_path = path("other.aoiw"); /* not the weights the bundle was trained on */
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_ERR_FORMAT);
  CHECK(contains(aoi_last_error(), "model.json") && contains(aoi_last_error(), "other.aoiw"));

  o.weights_path = path("missing.aoiw");
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_ERR_IO);
  CHECK(contains(aoi_last_error(), "missing.aoiw"));

  o.weights_path = path("model.json"); /* a file that is not a weight file */
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_ERR_FORMAT);
  CHECK(contains(aoi_last_error(), "model.json"));

  o.weights_path = path("tiny.aoiw");
  o.threads = -1;
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "threads"));
  o.threads = 5000;
  CHECK(aoi_inspector_open(path("model.json"), &o, &insp) == AOI_ERR_ARGUMENT);
  CHECK(insp == NULL);
}

static void test_defaults_find_weights_like_the_cli(void) {
  aoi_inspector *insp = NULL;
  setenv("AOI_WEIGHTS", path("tiny.aoiw"), 1);
  CHECK(aoi_inspector_open(path("model.json"), NULL, &insp) == AOI_OK);
  aoi_inspector_close(insp);
  insp = NULL;
  setenv("AOI_WEIGHTS", path("nowhere.aoiw"), 1);
  CHECK(aoi_inspector_open(path("model.json"), NULL, &insp) == AOI_ERR_IO);
  CHECK(contains(aoi_last_error(), "nowhere.aoiw"));
  unsetenv("AOI_WEIGHTS");
}

static void test_inspect_file(aoi_inspector *insp) {
  aoi_result r = {-1.0f, AOI_PASS};
  aoi_roi roi = {10, 5, 40, 30};
  aoi_roi outside = {70, 50, 20, 20};

  CHECK(aoi_inspect_file(insp, path("pattern.png"), NULL, &r) == AOI_OK);
  CHECK(same(r.p_fail, expect_whole.p_fail));
  CHECK((int)r.verdict == expect_whole.verdict);
  CHECK(r.p_fail >= 0.0f && r.p_fail <= 1.0f);
  CHECK(strcmp(aoi_last_error(), "") == 0);

  CHECK(aoi_inspect_file(insp, path("pattern.png"), &roi, &r) == AOI_OK);
  CHECK(same(r.p_fail, expect_region.p_fail));
  CHECK((int)r.verdict == expect_region.verdict);

  r.p_fail = -1.0f;
  CHECK(aoi_inspect_file(insp, path("pattern.png"), &outside, &r) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "pattern.png") && contains(aoi_last_error(), "does not lie inside"));
  CHECK(r.p_fail == -1.0f); /* untouched on failure */

  CHECK(aoi_inspect_file(insp, path("missing.png"), NULL, &r) == AOI_ERR_IO);
  CHECK(contains(aoi_last_error(), "missing.png"));
  CHECK(aoi_inspect_file(insp, path("not_an_image.png"), NULL, &r) == AOI_ERR_IMAGE);
  CHECK(contains(aoi_last_error(), "not_an_image.png"));
  CHECK(aoi_inspect_file(insp, dir, NULL, &r) == AOI_ERR_IO); /* a folder */

  CHECK(aoi_inspect_file(NULL, path("pattern.png"), NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_file(insp, NULL, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_file(insp, path("pattern.png"), NULL, NULL) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "NULL"));
}

static void test_explain_file(aoi_inspector *insp) {
  aoi_result r = {-1.0f, AOI_PASS};
  int w = -1, h = -1;
  float heat[4096];
  /* No buffer: the size comes back with the error. */
  CHECK(aoi_explain_file(insp, path("pattern.png"), NULL, &r, NULL, 0, &w, &h) == AOI_ERR_ARGUMENT);
  CHECK(w > 0 && h > 0 && w * h <= 4096);
  CHECK(contains(aoi_last_error(), "heat must hold"));
  for (int i = 0; i < 4096; ++i) heat[i] = -1.0f;
  CHECK(aoi_explain_file(insp, path("pattern.png"), NULL, &r, heat, 4096, &w, &h) == AOI_OK);
  CHECK(same(r.p_fail, expect_whole.p_fail)); /* the same decision as aoi_inspect_file */
  for (int i = 0; i < w * h; ++i) CHECK(heat[i] >= 0.0f && heat[i] <= 1.0f);
  CHECK(heat[w * h] == -1.0f); /* nothing written past the map */
  CHECK(aoi_explain_file(insp, path("missing.png"), NULL, &r, heat, 4096, &w, &h) == AOI_ERR_IO);
  CHECK(aoi_explain_file(insp, path("pattern.png"), NULL, &r, heat, 4096, NULL, &h) == AOI_ERR_ARGUMENT);
}

static void test_inspect_pixels(aoi_inspector *insp) {
  aoi_result r = {-1.0f, AOI_PASS};
  aoi_roi roi = {10, 5, 40, 30};
  aoi_roi bad = {0, 0, 0, 10};
  const int padded = 80 * 3 + 17; /* rows with padding at their end */
  unsigned char *rgb = make_pattern(3, padded);
  unsigned char *grey = make_pattern(1, 83);

  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, padded, 3, NULL, &r) == AOI_OK);
  CHECK(same(r.p_fail, expect_whole.p_fail)); /* the same pixels as pattern.png */
  CHECK((int)r.verdict == expect_whole.verdict);
  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, padded, 3, &roi, &r) == AOI_OK);
  CHECK(same(r.p_fail, expect_region.p_fail));
  CHECK(aoi_inspect_pixels(insp, grey, 80, 60, 83, 1, NULL, &r) == AOI_OK);
  CHECK(same(r.p_fail, expect_grey.p_fail)); /* grey is replicated to RGB */

  r.p_fail = -1.0f;
  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, padded, 2, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "channels"));
  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, 80 * 3 - 1, 3, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "stride"));
  CHECK(aoi_inspect_pixels(insp, rgb, 0, 60, padded, 3, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_pixels(insp, rgb, 80, -1, padded, 3, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, padded, 3, &bad, &r) == AOI_ERR_ARGUMENT);
  CHECK(contains(aoi_last_error(), "region"));
  CHECK(aoi_inspect_pixels(insp, NULL, 80, 60, padded, 3, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_pixels(NULL, rgb, 80, 60, padded, 3, NULL, &r) == AOI_ERR_ARGUMENT);
  CHECK(aoi_inspect_pixels(insp, rgb, 80, 60, padded, 3, NULL, NULL) == AOI_ERR_ARGUMENT);
  CHECK(r.p_fail == -1.0f);
  free(rgb);
  free(grey);
}

static void test_model_version(aoi_inspector *insp) {
  CHECK(strcmp(aoi_inspector_model_version(insp), expect_version) == 0);
  CHECK(strncmp(aoi_inspector_model_version(insp), "aoi-", 4) == 0);
  CHECK(strcmp(aoi_inspector_model_version(NULL), "") == 0);
}

/* Each thread inspects the file and the pixels again and again; every result
 * must be the single-threaded one. */
/* Made before the threads start: path() shares static buffers. */
static char missing_png[4200];

typedef struct {
  aoi_inspector *insp;
  int wrong;
  int errors;
} worker_args;

static void *worker(void *p) {
  worker_args *a = p;
  unsigned char *rgb = make_pattern(3, 240);
  aoi_roi roi = {10, 5, 40, 30};
  int i;
  for (i = 0; i < 20; ++i) {
    aoi_result r;
    if (aoi_inspect_pixels(a->insp, rgb, 80, 60, 240, 3, (i % 2) ? &roi : NULL, &r) != AOI_OK) ++a->errors;
    else if (!same(r.p_fail, (i % 2) ? expect_region.p_fail : expect_whole.p_fail)) ++a->wrong;
    if (aoi_inspect_file(a->insp, missing_png, NULL, &r) != AOI_ERR_IO) ++a->errors;
    if (!contains(aoi_last_error(), "missing.png")) ++a->errors; /* this thread's own message */
  }
  free(rgb);
  return NULL;
}

static void test_two_threads_one_inspector(aoi_inspector *insp) {
  pthread_t threads[2];
  worker_args args[2] = {{insp, 0, 0}, {insp, 0, 0}};
  aoi_result r;
  int t;
  snprintf(missing_png, sizeof missing_png, "%s", path("missing.png"));
  CHECK(aoi_inspect_file(insp, path("pattern.png"), NULL, &r) == AOI_OK); /* this thread's last call succeeded */
  for (t = 0; t < 2; ++t) CHECK(pthread_create(&threads[t], NULL, worker, &args[t]) == 0);
  for (t = 0; t < 2; ++t) {
    pthread_join(threads[t], NULL);
    CHECK(args[t].wrong == 0);
    CHECK(args[t].errors == 0);
  }
  CHECK(strcmp(aoi_last_error(), "") == 0); /* the workers' failures are theirs */
}

/* Out of memory is a status, not an abort: a child process whose address
 * space is too small to load the model. Sanitizers reserve address space of
 * their own, so their builds leave it out. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
static void test_out_of_memory_is_a_status(void) {
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit limit;
    aoi_inspector *insp = NULL;
    aoi_options o;
    aoi_status s;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.weights_path = path("tiny.aoiw");
    unsigned long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm || fscanf(statm, "%lu", &pages) != 1) _exit(3);
    fclose(statm);
    /* No room to grow beyond what the process has mapped now. */
    getrlimit(RLIMIT_AS, &limit);
    limit.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
    setrlimit(RLIMIT_AS, &limit);
    {
      /* Emulators (qemu-user) accept the limit without applying it. */
      void *probe = malloc((size_t)1 << 30);
      if (probe) {
        free(probe);
        _exit(77);
      }
    }
    s = aoi_inspector_open(path("model.json"), &o, &insp);
    _exit(s == AOI_ERR_MEMORY ? 0 : 10 + (int)s);
  }
  {
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
      printf("RLIMIT_AS does not take effect here: the out-of-memory check is skipped\n");
      return;
    }
    CHECK(WIFEXITED(status)); /* no abort, no signal */
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
      fprintf(stderr, "out-of-memory child returned status %d\n", WEXITSTATUS(status) - 10);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

#endif

int main(int argc, char **argv) {
  aoi_inspector *insp;
  if (argc != 2) {
    fprintf(stderr, "usage: test_c_api FIXTURE_DIR\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  read_expected();

  test_version();
  test_open_errors();
  test_defaults_find_weights_like_the_cli();
  insp = open_default();
  if (!insp) return 1;
  test_inspect_file(insp);
  test_explain_file(insp);
  test_inspect_pixels(insp);
  test_model_version(insp);
  test_two_threads_one_inspector(insp);
  aoi_inspector_close(insp);
  aoi_inspector_close(NULL);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  test_out_of_memory_is_a_status();
#endif

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
