#include "pipeline/bundle_text.hpp"

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

namespace aoi::pipeline::detail {
namespace {

// The hash's input arrives a few bytes at a time; XXH3 is fastest on
// large updates.
class Sealer {
 public:
  Sealer() { XXH3_64bits_reset(&state_); }
  void add(char c) {
    if (used_ == sizeof buffer_) flush();
    buffer_[used_++] = c;
  }
  void add(std::string_view s) {
    if (s.size() > sizeof buffer_ - used_) flush();
    if (s.size() >= sizeof buffer_) {
      XXH3_64bits_update(&state_, s.data(), s.size());
      return;
    }
    s.copy(buffer_ + used_, s.size());
    used_ += s.size();
  }
  std::uint64_t digest() {
    flush();
    return XXH3_64bits_digest(&state_);
  }

 private:
  void flush() {
    XXH3_64bits_update(&state_, buffer_, used_);
    used_ = 0;
  }
  XXH3_state_t state_;
  char buffer_[1 << 15];
  std::size_t used_ = 0;
};

bool whitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

struct Frame {
  bool object = false;
  bool expect_key = false;  // in an object, after '{' or ','
  int sealed_members = 0;   // top level only: members that went into the hash
  std::string_view name;    // the key this container is the value of ("" in an array)
  std::string_view key;     // an object's latest key
};

// Whether the container on top of `stack` is an element of the bundle's
// anomaly.banks array: the only place save_bundle writes a bank's base64.
bool in_a_bank(const std::vector<Frame>& stack) {
  return stack.size() == 4 && stack[1].object && stack[1].name == "anomaly" && !stack[2].object &&
         stack[2].name == "banks" && stack[3].object;
}

}  // namespace

BundleText scan_bundle_text(std::string_view t) {
  BundleText out;
  Sealer seal;
  std::vector<Frame> stack;
  bool skipping = false;   // inside a top-level member the seal leaves out
  bool blob_next = false;  // the next string is the value of an "f32_base64" key
  bool closed = false;     // the top-level object has ended
  const std::size_t n = t.size();
  auto emit = [&](char c) {
    out.reduced.push_back(c);
    if (!skipping) seal.add(c);
  };
  // Whitespace between two characters of one scalar ("1 2", "tr ue") is
  // not JSON, and dropping it would make it so: such a text is left to the
  // parser to refuse.
  auto scalar_char = [](char c) { return c != '"' && c != '{' && c != '}' && c != '[' && c != ']' && c != ',' && c != ':'; };
  bool after_scalar = false, gap = false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = t[i];
    if (whitespace(c)) {
      gap = true;
      continue;
    }
    if (gap && after_scalar && scalar_char(c)) return {};
    after_scalar = scalar_char(c), gap = false;
    if (closed) return {};  // text after the document
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < n && t[j] != '"') j += t[j] == '\\' ? 2 : 1;
      if (j >= n || stack.empty()) return {};
      const std::string_view quoted = t.substr(i, j + 1 - i), body = t.substr(i + 1, j - i - 1);
      Frame& top = stack.back();
      if (top.object && top.expect_key) {
        top.expect_key = false;
        if (stack.size() == 1) {
          skipping = body == "checksum" || body == "model_version";
          if (!skipping && top.sealed_members++ > 0) seal.add(',');
          out.members.push_back({std::string(body), 0, 0});
        }
        top.key = body;
        blob_next = body == "f32_base64" && in_a_bank(stack);
        out.reduced.append(quoted);
        if (!skipping) seal.add(quoted);
      } else if (blob_next) {
        blob_next = false;
        out.blobs.push_back(body);
        out.reduced.append("\"\"");
        if (!skipping) seal.add(quoted);
      } else {
        out.reduced.append(quoted);
        if (!skipping) seal.add(quoted);
      }
      i = j;
      continue;
    }
    if (c != ':') blob_next = false;  // the key's value is not a string
    switch (c) {
      case '{':
      case '[':
        if (stack.empty() && c == '[') return {};  // a bundle is an object
        emit(c);
        {
          const std::string_view name = !stack.empty() && stack.back().object ? stack.back().key : std::string_view();
          stack.push_back({c == '{', c == '{', 0, name, {}});
        }
        break;
      case '}':
      case ']':
        if (stack.empty() || stack.back().object != (c == '}')) return {};
        stack.pop_back();
        if (stack.empty()) {
          skipping = false, closed = true;
          if (!out.members.empty()) out.members.back().end = out.reduced.size();
        }
        emit(c);
        break;
      case ',':
        if (stack.empty()) return {};
        if (stack.back().object) stack.back().expect_key = true;
        if (stack.size() == 1) {  // between top-level members: sealed before the next sealed member
          skipping = false;
          if (!out.members.empty()) out.members.back().end = out.reduced.size();
          out.reduced.push_back(',');
        } else {
          emit(c);
        }
        break;
      case ':':
        if (stack.empty()) return {};
        emit(c);
        if (stack.size() == 1 && !out.members.empty()) out.members.back().begin = out.reduced.size();
        break;
      default:
        if (stack.empty()) return {};
        emit(c);
    }
  }
  if (!closed) return {};
  out.well_formed = true;
  out.sealed_hash = seal.digest();
  return out;
}

std::string_view BundleText::member(std::string_view key) const {
  std::string_view found;  // the last of repeated keys, as JSON parsing keeps
  for (const Member& m : members)
    if (m.key == key && m.begin <= m.end && m.end <= reduced.size())
      found = std::string_view(reduced).substr(m.begin, m.end - m.begin);
  return found;
}

}  // namespace aoi::pipeline::detail
