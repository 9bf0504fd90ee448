#include "serve/notifier.hpp"

#include <algorithm>

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aoi/error.hpp"
#include "serve/iso_time.hpp"

namespace aoi::serve {

std::string hmac_sha256_hex(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Notifier::Notifier(store::ResultsStore& store, NotifyOptions options) : store_(store), options_(std::move(options)) {
  const std::string& url = options_.url;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0))
    throw Error(ErrorKind::kInvalidArgument, "--notify-url: must be http://HOST[:PORT]/PATH, not '" + url + "'");
  const auto path_start = url.find('/', scheme_end + 3);
  origin_ = url.substr(0, path_start);
  path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (origin_.size() <= scheme_end + 3) throw Error(ErrorKind::kInvalidArgument, "--notify-url: no host in '" + url + "'");
  thread_ = std::thread([this] { loop(); });
}

Notifier::~Notifier() { stop(); }

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Notifier::deliver(const store::OutboxEvent& event, std::string& error) {
  httplib::Client client(origin_);
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(5, 0);
  client.set_write_timeout(5, 0);
  httplib::Headers headers{{"X-Aoi-Event", event.kind}, {"X-Aoi-Delivery", std::to_string(event.id)}};
  if (!options_.secret.empty())
    headers.emplace("X-Aoi-Signature", "sha256=" + hmac_sha256_hex(options_.secret, event.body));
  const auto res = client.Post(path_, headers, event.body, "application/json");
  if (!res) {
    error = "no answer: " + httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status > 299) {
    error = "HTTP " + std::to_string(res->status);
    return false;
  }
  return true;
}

void Notifier::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      for (const auto& event : store_.due_events(now_unix_ms(), 32)) {
        {
          std::lock_guard stop_check(mutex_);
          if (stopping_) break;  // the rest stay pending for the next start
        }
        std::string error;
        if (deliver(event, error)) {
          store_.event_delivered(event.id, iso8601_utc(now_unix_ms()));
          continue;
        }
        const std::int64_t attempts = event.attempts + 1;
        const bool dead = attempts >= options_.max_attempts;
        auto delay = options_.first_retry * (std::int64_t(1) << std::min<std::int64_t>(attempts - 1, 20));
        delay = std::min(delay, options_.longest_retry);
        store_.event_failed(event.id, error, now_unix_ms() + delay.count(), dead);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "aoi serve: notifications: %s\n", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, options_.poll, [&] { return stopping_; });
  }
}

}  // namespace aoi::serve
