// The C API (aoi/aoi.h) over aoi::Inspector. Every entry point catches
// everything: no exception crosses into C; a failure becomes a status and a
// per-thread message.
#include "aoi/aoi.h"

#include <algorithm>
#include <exception>
#include <new>
#include <optional>
#include <string>

#include "aoi/inspector.hpp"

struct aoi_inspector {
  aoi::Inspector inspector;
};

namespace {

thread_local std::string tl_last_error;

aoi_status status_of(aoi::ErrorKind kind) {
  switch (kind) {
    case aoi::ErrorKind::kInvalidArgument: return AOI_ERR_ARGUMENT;
    case aoi::ErrorKind::kIo: return AOI_ERR_IO;
    case aoi::ErrorKind::kBadImage: return AOI_ERR_IMAGE;
    case aoi::ErrorKind::kBadWeights:
    case aoi::ErrorKind::kBadData:
    case aoi::ErrorKind::kUnsupported: return AOI_ERR_FORMAT;
  }
  return AOI_ERR_INTERNAL;
}

aoi_status fail(aoi_status status, const char* message) noexcept {
  try {
    tl_last_error = message;
  } catch (...) {
    tl_last_error.clear();  // no memory for the message: the status still says what kind
  }
  return status;
}

// Runs f, turning every exception into a status and this thread's message.
template <class F>
aoi_status guarded(F&& f) noexcept {
  tl_last_error.clear();
  try {
    f();
    return AOI_OK;
  } catch (const aoi::Error& e) {
    return fail(status_of(e.kind()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(AOI_ERR_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(AOI_ERR_INTERNAL, e.what());
  } catch (...) {
    return fail(AOI_ERR_INTERNAL, "unknown error");
  }
}

std::optional<aoi::Region> region_of(const aoi_roi* roi) {
  if (!roi) return std::nullopt;
  return aoi::Region{roi->x, roi->y, roi->width, roi->height};
}

void store(const aoi::Inspection& r, aoi_result* out) {
  out->p_fail = r.p_fail;
  out->verdict = static_cast<aoi_verdict>(static_cast<int>(r.verdict));
}

}  // namespace

extern "C" {

const char* aoi_version(void) { return AOI_VERSION_STRING; }

aoi_status aoi_inspector_open(const char* bundle_path, const aoi_options* options, aoi_inspector** out) {
  if (!out) return fail(AOI_ERR_ARGUMENT, "aoi_inspector_open: out is NULL");
  return guarded([&] {
    if (!bundle_path) throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "aoi_inspector_open: bundle_path is NULL");
    aoi::InspectorOptions o;
    if (options) {
      o.threads = options->threads;
      if (options->weights_path) o.weights = options->weights_path;
    }
    auto* handle = new aoi_inspector{aoi::Inspector::open(bundle_path, o)};
    *out = handle;
  });
}

aoi_status aoi_inspect_file(aoi_inspector* inspector, const char* image_path, const aoi_roi* roi, aoi_result* out) {
  return guarded([&] {
    if (!inspector || !image_path || !out)
      throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "aoi_inspect_file: inspector, image_path and out must not be NULL");
    store(inspector->inspector.inspect_file(image_path, region_of(roi)), out);
  });
}

aoi_status aoi_inspect_pixels(aoi_inspector* inspector, const unsigned char* pixels, int width, int height,
                              int stride_bytes, int channels, const aoi_roi* roi, aoi_result* out) {
  return guarded([&] {
    if (!inspector || !pixels || !out)
      throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "aoi_inspect_pixels: inspector, pixels and out must not be NULL");
    const aoi::PixelView view{pixels, width, height, stride_bytes, channels};
    store(inspector->inspector.inspect(view, region_of(roi)), out);
  });
}

aoi_status aoi_explain_file(aoi_inspector* inspector, const char* image_path, const aoi_roi* roi, aoi_result* out,
                            float* heat, int capacity, int* width, int* height) {
  return guarded([&] {
    if (!inspector || !image_path || !out || !width || !height)
      throw aoi::Error(aoi::ErrorKind::kInvalidArgument,
                       "aoi_explain_file: inspector, image_path, out, width and height must not be NULL");
    aoi::Heatmap map;
    store(inspector->inspector.explain_file(image_path, region_of(roi), map), out);
    *width = map.width;
    *height = map.height;
    const std::size_t need = map.values.size();
    if (!heat || capacity < 0 || std::size_t(capacity) < need)
      throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "aoi_explain_file: heat must hold " + std::to_string(need) +
                                                             " floats (" + std::to_string(map.width) + " x " +
                                                             std::to_string(map.height) + ")");
    std::copy(map.values.begin(), map.values.end(), heat);
  });
}

const char* aoi_inspector_model_version(const aoi_inspector* inspector) {
  if (!inspector) return "";
  return inspector->inspector.model_version().c_str();
}

const char* aoi_last_error(void) { return tl_last_error.c_str(); }

void aoi_inspector_close(aoi_inspector* inspector) { delete inspector; }

}  // extern "C"
