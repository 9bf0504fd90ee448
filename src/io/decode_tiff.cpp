// TIFF through libtiff, read from memory.
//
// libtiff's errors and warnings go to per-file handlers (TIFFOpenOptions, new
// in libtiff 4.5), never to stderr or a process-wide handler, so decoding is
// thread-safe. TIFFReadRGBAImageOriented covers every layout AOI cameras write
// (8/16-bit, grey/RGB, strips or tiles, contiguous or planar), scaling 16-bit
// samples to 8-bit.
#include "image_limits.hpp"

#if !defined(AOI_HAVE_TIFF)
#include "aoi/error.hpp"

namespace aoi::io::detail {

// Built with AOI_WITH_TIFF=OFF (lean edge builds): TIFF is refused by name.
Image decode_tiff(std::span<const std::uint8_t>, const std::string& name, const ImageLimits&) {
  throw Error(ErrorKind::kUnsupported, name + ": TIFF images are not supported by this build of aoi (AOI_WITH_TIFF=OFF)");
}

}  // namespace aoi::io::detail
#else
#include <cstdarg>
#include <cstring>
#include <memory>

#include <tiffio.h>

namespace aoi::io::detail {
namespace {

struct MemoryFile {
  const std::uint8_t* data;
  toff_t size;
  toff_t offset;
  std::string first_error;
};

tmsize_t mem_read(thandle_t h, void* buf, tmsize_t n) {
  auto* f = static_cast<MemoryFile*>(h);
  if (n < 0 || f->offset >= f->size) return 0;
  const toff_t count = std::min<toff_t>(static_cast<toff_t>(n), f->size - f->offset);
  std::memcpy(buf, f->data + f->offset, count);
  f->offset += count;
  return static_cast<tmsize_t>(count);
}
tmsize_t mem_write(thandle_t, void*, tmsize_t) { return 0; }
toff_t mem_seek(thandle_t h, toff_t off, int whence) {
  auto* f = static_cast<MemoryFile*>(h);
  toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->offset : f->size;
  f->offset = base + off;
  return f->offset;
}
int mem_close(thandle_t) { return 0; }
toff_t mem_size(thandle_t h) { return static_cast<MemoryFile*>(h)->size; }
int mem_map(thandle_t, void**, toff_t*) { return 0; }
void mem_unmap(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* f = static_cast<MemoryFile*>(user);
  if (f->first_error.empty()) {
    char buf[512];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    f->first_error = buf;
  }
  return 1;  // handled: libtiff must not print it
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct OptionsDeleter {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};
struct TiffDeleter {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

}  // namespace

Image decode_tiff(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits) {
  MemoryFile file{bytes.data(), bytes.size(), 0, {}};
  std::unique_ptr<TIFFOpenOptions, OptionsDeleter> options(TIFFOpenOptionsAlloc());
  require(options != nullptr, ErrorKind::kBadImage, name, "cannot start the TIFF decoder");
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), on_error, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), on_warning, &file);
  // No single libtiff allocation may exceed the largest image we accept.
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), static_cast<tmsize_t>(std::max<std::int64_t>(limits.max_pixels * 8, 16 << 20)));
  std::unique_ptr<TIFF, TiffDeleter> tif(TIFFClientOpenExt(name.c_str(), "rm", &file, mem_read, mem_write, mem_seek,
                                                           mem_close, mem_size, mem_map, mem_unmap, options.get()));
  auto fail = [&](const std::string& what) {
    return Error(ErrorKind::kBadImage, name + ": bad TIFF: " + (file.first_error.empty() ? what : file.first_error));
  };
  if (!tif) throw fail("cannot parse the header");

  std::uint32_t width = 0, height = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height))
    throw fail("missing image dimensions");
  check_dimensions(width, height, limits, name);
  char why[1024] = {0};
  if (!TIFFRGBAImageOK(tif.get(), why)) throw fail(std::string("unsupported layout: ") + why);

  std::vector<std::uint32_t> abgr(std::size_t(width) * height);
  if (!TIFFReadRGBAImageOriented(tif.get(), width, height, abgr.data(), ORIENTATION_TOPLEFT, /*stop_on_error=*/1) ||
      !file.first_error.empty())
    throw fail("cannot read the pixel data (truncated or corrupted)");

  Image image = make_image(width, height);
  for (std::size_t i = 0; i < abgr.size(); ++i) {
    image.rgb[3 * i + 0] = static_cast<std::uint8_t>(TIFFGetR(abgr[i]));
    image.rgb[3 * i + 1] = static_cast<std::uint8_t>(TIFFGetG(abgr[i]));
    image.rgb[3 * i + 2] = static_cast<std::uint8_t>(TIFFGetB(abgr[i]));
  }
  return image;
}

}  // namespace aoi::io::detail
#endif  // AOI_HAVE_TIFF
