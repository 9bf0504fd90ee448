#include "support/image_writers.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include <jpeglib.h>
#include <png.h>
#if defined(AOI_HAVE_TIFF)
#include <tiffio.h>
#endif

namespace aoi::test {
namespace {
void put16(Bytes& b, std::size_t at, std::uint16_t v) { b[at] = v & 0xFF, b[at + 1] = v >> 8; }
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = (v >> (8 * i)) & 0xFF;
}
}  // namespace

Bytes encode_png(int w, int h, int color_type, int bit_depth, const std::vector<std::uint16_t>& samples,
                 const std::vector<std::array<std::uint8_t, 3>>& palette) {
  const int channels = color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_PALETTE ? 1
                       : color_type == PNG_COLOR_TYPE_GRAY_ALPHA                                   ? 2
                       : color_type == PNG_COLOR_TYPE_RGB                                          ? 3
                                                                                                   : 4;
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out, [](png_structp p, png_bytep data, png_size_t n) {
        auto* o = static_cast<Bytes*>(png_get_io_ptr(p));
        o->insert(o->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, w, h, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> pal;
  for (auto& c : palette) pal.push_back({c[0], c[1], c[2]});
  if (!pal.empty()) png_set_PLTE(png, info, pal.data(), int(pal.size()));
  png_write_info(png, info);
  // Pack each row by hand: bit depths below 8 share bytes, 16-bit is big-endian.
  const std::size_t row_bytes = (std::size_t(w) * channels * bit_depth + 7) / 8;
  std::vector<std::uint8_t> row(row_bytes);
  for (int y = 0; y < h; ++y) {
    std::fill(row.begin(), row.end(), 0);
    for (int i = 0; i < w * channels; ++i) {
      const std::uint16_t v = samples[std::size_t(y) * w * channels + i];
      if (bit_depth == 16) {
        row[2 * i] = v >> 8, row[2 * i + 1] = v & 0xFF;
      } else {
        const std::size_t bit = std::size_t(i) * bit_depth;
        row[bit / 8] |= std::uint8_t(v << (8 - bit_depth - bit % 8));
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Bytes encode_jpeg(int w, int h, int components, const std::vector<std::uint8_t>& pixels, int quality,
                  bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = w, cinfo.image_height = h, cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(pixels.data()) + std::size_t(cinfo.next_scanline) * w * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

#if defined(AOI_HAVE_TIFF)
Bytes encode_tiff(int w, int h, int spp, int bits, const std::vector<std::uint16_t>& samples) {
  char path[] = "/tmp/aoi_test_XXXXXX.tif";
  const int fd = mkstemps(path, 4);
  ::close(fd);
  TIFF* tif = TIFFOpen(path, "w");
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spp);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, spp == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 4);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
  std::vector<std::uint8_t> row(std::size_t(w) * spp * bits / 8);
  for (int y = 0; y < h; ++y) {
    for (int i = 0; i < w * spp; ++i) {
      const std::uint16_t v = samples[std::size_t(y) * w * spp + i];
      if (bits == 16) std::memcpy(&row[2 * i], &v, 2);
      else row[i] = std::uint8_t(v);
    }
    TIFFWriteScanline(tif, row.data(), y, 0);
  }
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  Bytes out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path);
  return out;
}
#else
// Without libtiff (AOI_WITH_TIFF=OFF) only the header exists: enough for the
// tests that check such a build refuses TIFF by name.
Bytes encode_tiff(int, int, int, int, const std::vector<std::uint16_t>&) {
  return Bytes{'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0};
}
#endif

Bytes encode_bmp(int w, int h, int bits, const std::vector<std::uint8_t>& rgb, bool top_down) {
  const std::size_t row_bytes = ((std::size_t(w) * bits + 31) / 32) * 4;
  const std::size_t palette_bytes = bits <= 8 ? (std::size_t(1) << bits) * 4 : 0;
  const std::size_t offset = 14 + 40 + palette_bytes;
  Bytes b(offset + row_bytes * h, 0);
  b[0] = 'B', b[1] = 'M';
  put32(b, 2, std::uint32_t(b.size()));
  put32(b, 10, std::uint32_t(offset));
  put32(b, 14, 40);
  put32(b, 18, std::uint32_t(w));
  put32(b, 22, std::uint32_t(top_down ? -h : h));
  put16(b, 26, 1);
  put16(b, 28, std::uint16_t(bits));
  for (std::size_t i = 0; i < palette_bytes / 4; ++i) {  // grey ramp (1-bit: black, white)
    const std::uint8_t v = bits == 1 ? std::uint8_t(i * 255) : std::uint8_t(i);
    b[54 + 4 * i] = b[55 + 4 * i] = b[56 + 4 * i] = v;
  }
  for (int y = 0; y < h; ++y) {
    std::uint8_t* row = &b[offset + row_bytes * std::size_t(top_down ? y : h - 1 - y)];
    for (int x = 0; x < w; ++x) {
      const std::uint8_t* p = &rgb[(std::size_t(y) * w + x) * 3];
      if (bits == 24) row[3 * x] = p[2], row[3 * x + 1] = p[1], row[3 * x + 2] = p[0];
      else if (bits == 32) row[4 * x] = p[2], row[4 * x + 1] = p[1], row[4 * x + 2] = p[0], row[4 * x + 3] = 255;
      else if (bits == 8) row[x] = p[0];
      else if (bits == 1) row[x / 8] |= std::uint8_t((p[0] ? 1 : 0) << (7 - x % 8));
    }
  }
  return b;
}

}  // namespace aoi::test
