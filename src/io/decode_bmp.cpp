// BMP, parsed by hand (no Debian library is worth a dependency for it).
//
// Accepts the uncompressed variants: 1/4/8-bit palette, 24-bit, and 32-bit
// (BI_RGB or BI_BITFIELDS with byte-aligned masks), bottom-up or top-down.
// Every offset and size is checked against the buffer before it is read.
#include <cstring>

#include "image_limits.hpp"

namespace aoi::io::detail {
namespace {

std::uint32_t u32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }
std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }

int mask_shift(std::uint32_t mask) {
  for (int s = 0; s <= 24; s += 8)
    if (mask == (0xFFu << s)) return s;
  return -1;
}

}  // namespace

Image decode_bmp(std::span<const std::uint8_t> b, const std::string& name, const ImageLimits& limits) {
  auto fail = [&](const std::string& what) { return Error(ErrorKind::kBadImage, name + ": bad BMP: " + what); };
  if (b.size() < 26) throw fail("file is truncated in the header");
  const std::uint32_t pixel_offset = u32(&b[10]);
  const std::uint32_t header_size = u32(&b[14]);
  if (header_size != 12 && header_size < 40) throw fail("unknown header size " + std::to_string(header_size));
  if (b.size() < 14 + std::size_t(header_size)) throw fail("file is truncated in the header");

  std::int64_t width, height;
  int bits;
  std::uint32_t compression = 0, palette_size = 0;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER
    width = u16(&b[18]);
    height = static_cast<std::int16_t>(u16(&b[20]));
    bits = u16(&b[24]);
  } else {
    width = static_cast<std::int32_t>(u32(&b[18]));
    height = static_cast<std::int32_t>(u32(&b[22]));
    bits = u16(&b[28]);
    compression = u32(&b[30]);
    palette_size = u32(&b[46]);
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  check_dimensions(width, height, limits, name);

  // Channel masks: BI_RGB defaults, BI_BITFIELDS reads them after the header.
  int shift_r = 16, shift_g = 8, shift_b = 0;
  if (compression == 3 && bits == 32) {
    const std::size_t at = header_size >= 52 ? 14 + 40 : 14 + header_size;
    if (b.size() < at + 12) throw fail("file is truncated in the channel masks");
    shift_r = mask_shift(u32(&b[at])), shift_g = mask_shift(u32(&b[at + 4])), shift_b = mask_shift(u32(&b[at + 8]));
    if (shift_r < 0 || shift_g < 0 || shift_b < 0) throw fail("only 8-bit channel masks are supported");
  } else if (compression != 0) {
    throw Error(ErrorKind::kUnsupported, name + ": compressed BMP (method " + std::to_string(compression) +
                                             ") is not supported; save it uncompressed");
  }
  if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32)
    throw Error(ErrorKind::kUnsupported, name + ": " + std::to_string(bits) + "-bit BMP is not supported");

  // Palette (BGR0 entries, or BGR for the OS/2 header).
  std::vector<std::uint8_t> palette;
  if (bits <= 8) {
    const std::size_t entries = palette_size ? palette_size : (1u << bits);
    const std::size_t entry_bytes = header_size == 12 ? 3 : 4;
    const std::size_t at = 14 + header_size + (compression == 3 ? 12 : 0);
    if (entries > 256 || at + entries * entry_bytes > b.size()) throw fail("palette is truncated or too large");
    palette.assign(256 * 3, 0);
    for (std::size_t i = 0; i < entries; ++i)
      for (int c = 0; c < 3; ++c) palette[i * 3 + c] = b[at + i * entry_bytes + (2 - c)];
  }

  const std::size_t row_bytes = ((std::size_t(width) * bits + 31) / 32) * 4;
  if (pixel_offset > b.size() || row_bytes * std::size_t(height) > b.size() - pixel_offset)
    throw fail("pixel data is truncated");

  Image image = make_image(width, height);
  for (std::int64_t y = 0; y < height; ++y) {
    const std::uint8_t* row = &b[pixel_offset + row_bytes * std::size_t(top_down ? y : height - 1 - y)];
    std::uint8_t* out = image.rgb.data() + std::size_t(y) * width * 3;
    for (std::int64_t x = 0; x < width; ++x, out += 3) {
      if (bits == 24) {
        out[0] = row[3 * x + 2], out[1] = row[3 * x + 1], out[2] = row[3 * x];
      } else if (bits == 32) {
        const std::uint32_t v = u32(&row[4 * x]);
        out[0] = std::uint8_t(v >> shift_r), out[1] = std::uint8_t(v >> shift_g), out[2] = std::uint8_t(v >> shift_b);
      } else {
        const int per_byte = 8 / bits;
        const int shift = 8 - bits * (1 + int(x % per_byte));
        const int index = (row[x / per_byte] >> shift) & ((1 << bits) - 1);
        std::memcpy(out, &palette[index * 3], 3);
      }
    }
  }
  return image;
}

}  // namespace aoi::io::detail
