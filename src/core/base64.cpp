#include "core/base64.hpp"

#include <cstdint>

#include "core/require.hpp"

namespace aoi {
namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// -1 for every byte outside the alphabet ('=' included: padding is handled
// apart).
struct DecodeTable {
  std::int8_t value[256];
  constexpr DecodeTable() : value() {
    for (int c = 0; c < 256; ++c) value[c] = -1;
    for (int k = 0; k < 64; ++k) value[static_cast<unsigned char>(kAlphabet[k])] = std::int8_t(k);
  }
};
constexpr DecodeTable kDecode;
}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (unsigned(bytes[i]) << 16) | (unsigned(bytes[i + 1]) << 8) |
                       unsigned(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest) {
    unsigned v = unsigned(bytes[i]) << 16;
    if (rest == 2) v |= unsigned(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::size_t base64_decoded_size(std::string_view text, const std::string& name) {
  require(text.size() % 4 == 0, ErrorKind::kBadData, name, "base64 length is not a multiple of 4");
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - pad;
}

std::string base64_decode(std::string_view text, const std::string& name) {
  std::string out(base64_decoded_size(text, name), '\0');
  base64_decode_into(text, std::span(reinterpret_cast<std::uint8_t*>(out.data()), out.size()), name);
  return out;
}

void base64_decode_into(std::string_view text, std::span<std::uint8_t> out, const std::string& name,
                        std::size_t offset) {
  const std::size_t size = base64_decoded_size(text, name);
  require(out.size() == size, ErrorKind::kInvalidArgument, name,
          "base64 output buffer holds " + std::to_string(out.size()) + " bytes, not " + std::to_string(size));
  const std::size_t pad = text.size() / 4 * 3 - size;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto bad = [&](std::size_t at) {
    throw Error(ErrorKind::kBadData, name + ": invalid base64 character at offset " + std::to_string(offset + at));
  };
  // Whole groups, the last one apart when it is padded. A bank is megabytes
  // of base64 and a bundle loads at every start: no work per byte but the
  // table look-up.
  const std::size_t groups = text.size() / 4 - (pad ? 1 : 0);
  for (std::size_t g = 0; g < groups; ++g) {
    const unsigned char* c = in + 4 * g;
    const int a = kDecode.value[c[0]], b = kDecode.value[c[1]], d = kDecode.value[c[2]], e = kDecode.value[c[3]];
    if ((a | b | d | e) < 0) {
      for (int k = 0; k < 4; ++k)
        if (kDecode.value[c[k]] < 0) bad(4 * g + k);
    }
    const unsigned w = (unsigned(a) << 18) | (unsigned(b) << 12) | (unsigned(d) << 6) | unsigned(e);
    out[3 * g] = std::uint8_t(w >> 16), out[3 * g + 1] = std::uint8_t(w >> 8), out[3 * g + 2] = std::uint8_t(w);
  }
  if (pad) {
    const unsigned char* c = in + 4 * groups;
    const int kept = 4 - int(pad);
    unsigned w = 0;
    for (int k = 0; k < 4; ++k) {
      const int v = k < kept ? kDecode.value[c[k]] : 0;
      if (v < 0) bad(4 * groups + k);
      w |= unsigned(v) << (18 - 6 * k);
    }
    out[3 * groups] = std::uint8_t(w >> 16);
    if (pad == 1) out[3 * groups + 1] = std::uint8_t(w >> 8);
  }
}

}  // namespace aoi
