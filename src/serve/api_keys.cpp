#include "serve/api_keys.hpp"

#include <fstream>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aoi/error.hpp"

namespace aoi::serve {
namespace {

std::array<std::uint8_t, 32> digest_of(std::string_view key) {
  std::array<std::uint8_t, 32> out{};
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

ApiKeys ApiKeys::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorKind::kIo, file.string() + ": cannot read the API key file");
  ApiKeys keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view key = trim(line);
    if (key.empty() || key.front() == '#') continue;
    const std::string where = file.string() + ":" + std::to_string(number);
    if (key.find_first_of(" \t") != std::string_view::npos)
      throw Error(ErrorKind::kBadData, where + ": a key cannot contain spaces");
    if (key.size() < kMinLength)
      throw Error(ErrorKind::kBadData, where + ": key is " + std::to_string(key.size()) +
                                           " characters; use at least " + std::to_string(kMinLength));
    keys.digests_.push_back(digest_of(key));
  }
  if (keys.digests_.empty()) throw Error(ErrorKind::kBadData, file.string() + ": holds no API key");
  return keys;
}

bool ApiKeys::accepts(std::string_view key) const {
  if (key.empty()) return false;
  const auto presented = digest_of(key);
  int matches = 0;
  for (const auto& d : digests_) matches |= CRYPTO_memcmp(d.data(), presented.data(), d.size()) == 0;
  return matches != 0;
}

std::string_view ApiKeys::bearer(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i)  // the scheme is case-insensitive (RFC 7235)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kScheme[i])))
      return {};
  return trim(authorization.substr(kScheme.size()));
}

}  // namespace aoi::serve
