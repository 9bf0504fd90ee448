// JPEG through libjpeg-turbo.
//
// libjpeg reports errors by calling error_exit, which must not return. We
// longjmp out of it, and keep that jump inside small functions whose frames
// hold only trivially destructible state, so no C++ destructor is ever skipped.
// Warnings (a truncated file, corrupt entropy data) are errors too: libjpeg
// would otherwise pad a truncated image with grey and call it success.
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>

#include "image_limits.hpp"

namespace aoi::io::detail {
namespace {

struct JpegErrorManager {
  jpeg_error_mgr base;  // must come first: libjpeg casts to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  err->base.format_message(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Called by libjpeg between passes: refuses a progressive file with more
// scans than the limit, before it can spend minutes on them.
struct ScanLimit {
  jpeg_progress_mgr base;  // must come first: libjpeg casts to it
  int max_scans;
};

void on_progress(j_common_ptr cinfo) {
  const auto* limit = reinterpret_cast<const ScanLimit*>(cinfo->progress);
  const auto* d = reinterpret_cast<const jpeg_decompress_struct*>(cinfo);
  if (cinfo->is_decompressor && d->input_scan_number > limit->max_scans) {
    auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d scans (the limit)", limit->max_scans);
    std::longjmp(err->jump, 1);
  }
}

void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);  // a warning means damaged data: refuse it
}

// Each stage runs under setjmp; it returns false with err->message set on failure.
bool read_header(jpeg_decompress_struct* cinfo, JpegErrorManager* err, const std::uint8_t* data,
                 std::size_t size) {
  if (setjmp(err->jump)) return false;
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) {
    cinfo->out_color_space = JCS_CMYK;
  } else if (cinfo->num_components == 1) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else {
    cinfo->out_color_space = JCS_RGB;
  }
  jpeg_calc_output_dimensions(cinfo);
  return true;
}

bool read_pixels(jpeg_decompress_struct* cinfo, JpegErrorManager* err, std::uint8_t* out,
                 std::size_t row_bytes) {
  if (setjmp(err->jump)) return false;
  jpeg_start_decompress(cinfo);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + std::size_t(cinfo->output_scanline) * row_bytes;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

// Adobe writes CMYK inverted (0 = full ink); others write it plain.
void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, std::size_t pixels, bool inverted) {
  for (std::size_t i = 0; i < pixels; ++i) {
    int k = inverted ? cmyk[4 * i + 3] : 255 - cmyk[4 * i + 3];
    for (int c = 0; c < 3; ++c) {
      int v = inverted ? cmyk[4 * i + c] : 255 - cmyk[4 * i + c];
      rgb[3 * i + c] = static_cast<std::uint8_t>((v * k + 127) / 255);
    }
  }
}

struct DecompressGuard {
  jpeg_decompress_struct* cinfo;
  ~DecompressGuard() { jpeg_destroy_decompress(cinfo); }
};

}  // namespace

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits) {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager err{};
  cinfo.err = jpeg_std_error(&err.base);
  err.base.error_exit = on_error;
  err.base.emit_message = on_message;
  jpeg_create_decompress(&cinfo);
  DecompressGuard guard{&cinfo};
  ScanLimit scan_limit{};
  scan_limit.base.progress_monitor = on_progress;
  scan_limit.max_scans = limits.max_jpeg_scans;
  cinfo.progress = &scan_limit.base;

  if (!read_header(&cinfo, &err, bytes.data(), bytes.size()))
    throw Error(ErrorKind::kBadImage, name + ": bad JPEG: " + err.message);
  check_dimensions(cinfo.output_width, cinfo.output_height, limits, name);

  const int channels = cinfo.out_color_components;
  const std::size_t pixels = std::size_t(cinfo.output_width) * cinfo.output_height;
  std::vector<std::uint8_t> decoded(pixels * channels);
  if (!read_pixels(&cinfo, &err, decoded.data(), std::size_t(cinfo.output_width) * channels))
    throw Error(ErrorKind::kBadImage, name + ": bad JPEG: " + err.message);

  Image image = make_image(cinfo.output_width, cinfo.output_height);
  if (channels == 3) {
    image.rgb = std::move(decoded);
  } else if (channels == 1) {
    for (std::size_t i = 0; i < pixels; ++i) image.rgb[3 * i] = image.rgb[3 * i + 1] = image.rgb[3 * i + 2] = decoded[i];
  } else if (channels == 4) {
    cmyk_to_rgb(decoded.data(), image.rgb.data(), pixels, cinfo.saw_Adobe_marker);
  } else {
    throw Error(ErrorKind::kUnsupported, name + ": JPEG with " + std::to_string(channels) + " channels");
  }
  return image;
}

}  // namespace aoi::io::detail
