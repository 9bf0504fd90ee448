// 8-bit RGB PNG encoding through libpng, for report thumbnails. The longjmp
// from libpng's error callback lands in encode_rows, whose frame owns no C++
// objects; the output vector lives in the caller.
#include <csetjmp>
#include <cstdio>

#include <png.h>

#include "core/require.hpp"
#include "io/image.hpp"

namespace aoi::io {
namespace {

struct PngWriteContext {
  std::jmp_buf jump;
  char message[256];
  std::vector<std::uint8_t>* out;
};

void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<PngWriteContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", msg);
  std::longjmp(ctx->jump, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_write(png_structp png, png_bytep data, png_size_t length) {
  auto* ctx = static_cast<PngWriteContext*>(png_get_io_ptr(png));
  ctx->out->insert(ctx->out->end(), data, data + length);
}

void on_flush(png_structp) {}

bool encode_rows(png_structp png, png_infop info, PngWriteContext* ctx, const Image* image) {
  if (setjmp(ctx->jump)) return false;
  png_set_write_fn(png, ctx, on_write, on_flush);
  png_set_IHDR(png, info, png_uint_32(image->width), png_uint_32(image->height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < image->height; ++y)
    png_write_row(png, const_cast<png_bytep>(image->rgb.data() + std::size_t(y) * image->width * 3));
  png_write_end(png, info);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const Image& image) {
  require(image.width > 0 && image.height > 0 && image.rgb.size() == std::size_t(image.width) * image.height * 3,
          ErrorKind::kInvalidArgument, "encode_png", "image size does not match its pixels");
  std::vector<std::uint8_t> out;
  PngWriteContext ctx{};
  ctx.out = &out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  require(png != nullptr, ErrorKind::kIo, "encode_png", "libpng could not start");
  png_infop info = png_create_info_struct(png);
  const bool ok = info && encode_rows(png, info, &ctx, &image);
  png_destroy_write_struct(&png, &info);
  if (!ok) throw Error(ErrorKind::kIo, std::string("encode_png: ") + ctx.message);
  return out;
}

}  // namespace aoi::io
