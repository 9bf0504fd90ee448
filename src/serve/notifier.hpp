// Delivers the store's outbox (fail verdicts, promotions, rollbacks) to a
// URL: each event is POSTed as JSON until a 2xx answer, retried with
// exponential backoff, and marked dead after max_attempts. Events live in
// the store, so they survive restarts and a receiver that is down: delivery
// is at least once (a receiver dedups by the X-Aoi-Delivery header).
// With a secret, X-Aoi-Signature carries sha256=HMAC-SHA256(secret, body).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/results_store.hpp"

namespace aoi::serve {

struct NotifyOptions {
  std::string url;     // http://host[:port]/path (https:// too)
  std::string secret;  // empty: unsigned
  int max_attempts = 8;
  std::chrono::milliseconds first_retry{500}, longest_retry{60'000};
  std::chrono::milliseconds poll{200};
};

// Hex HMAC-SHA256 of the body.
std::string hmac_sha256_hex(const std::string& secret, const std::string& body);

class Notifier {
 public:
  Notifier(store::ResultsStore& store, NotifyOptions options);  // throws on a URL it cannot use
  ~Notifier();  // stop()
  void stop();

 private:
  void loop();
  bool deliver(const store::OutboxEvent& event, std::string& error);

  store::ResultsStore& store_;
  NotifyOptions options_;
  std::string origin_, path_;  // "http://host:port", "/path"
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace aoi::serve
