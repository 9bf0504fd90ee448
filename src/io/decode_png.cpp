// PNG through libpng: every bit depth, palette, grey, alpha.
//
// As with JPEG, libpng's error callback longjmps, and the jump stays inside
// functions that own no C++ objects. libpng's own user limits refuse huge
// dimensions and chunks before it allocates.
#include <csetjmp>
#include <cstring>

#include <png.h>

#include "image_limits.hpp"

namespace aoi::io::detail {
namespace {

struct PngContext {
  std::jmp_buf jump;
  char message[256];
  const std::uint8_t* data;
  std::size_t size;
  std::size_t offset;
};

void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", msg);
  std::longjmp(ctx->jump, 1);
}

void on_warning(png_structp, png_const_charp) {}  // benign ancillary-chunk issues

void on_read(png_structp png, png_bytep out, png_size_t length) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (length > ctx->size - ctx->offset) png_error(png, "file is truncated");
  std::memcpy(out, ctx->data + ctx->offset, length);
  ctx->offset += length;
}

bool read_info(png_structp png, png_infop info, PngContext* ctx, png_uint_32* width, png_uint_32* height) {
  if (setjmp(ctx->jump)) return false;
  png_read_info(png, info);
  *width = png_get_image_width(png, info);
  *height = png_get_image_height(png, info);
  const int color = png_get_color_type(png, info);
  // Normalise every variant to 8-bit RGB: expand palette and low-bit grey,
  // scale 16-bit with rounding, drop alpha and transparency, replicate grey.
  png_set_expand(png);
  png_set_scale_16(png);
  if (color & PNG_COLOR_MASK_ALPHA || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != std::size_t(*width) * 3) png_error(png, "unexpected row layout after conversion");
  return true;
}

bool read_rows(png_structp png, png_infop info, PngContext* ctx, png_bytepp rows) {
  if (setjmp(ctx->jump)) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

struct PngGuard {
  png_structp png;
  png_infop info;
  ~PngGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

}  // namespace

Image decode_png(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits) {
  PngContext ctx{};
  ctx.data = bytes.data();
  ctx.size = bytes.size();
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  require(png != nullptr, ErrorKind::kBadImage, name, "cannot start the PNG decoder");
  PngGuard guard{png, png_create_info_struct(png)};
  require(guard.info != nullptr, ErrorKind::kBadImage, name, "cannot start the PNG decoder");
  png_set_read_fn(png, &ctx, on_read);
  png_set_user_limits(png, static_cast<png_uint_32>(limits.max_width), static_cast<png_uint_32>(limits.max_height));
  png_set_chunk_malloc_max(png, 64u << 20);  // no ancillary chunk needs more than 64 MiB

  png_uint_32 width = 0, height = 0;
  if (!read_info(png, guard.info, &ctx, &width, &height))
    throw Error(ErrorKind::kBadImage, name + ": bad PNG: " + ctx.message);
  check_dimensions(width, height, limits, name);

  Image image = make_image(width, height);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.rgb.data() + std::size_t(y) * width * 3;
  if (!read_rows(png, guard.info, &ctx, rows.data()))
    throw Error(ErrorKind::kBadImage, name + ": bad PNG: " + ctx.message);
  return image;
}

}  // namespace aoi::io::detail
