// `aoi serve`: the HTTP service of a line. Routes, statuses and the store
// schema are documented in docs/serve.md. The service owns the HTTP server
// (cpp-httplib), the model slot, the micro-batcher and the results store;
// the CLI (cmd_serve.cpp) parses flags, handles signals and calls these.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "io/image.hpp"
#include "serve/api_keys.hpp"
#include "serve/batcher.hpp"
#include "serve/metrics.hpp"
#include "serve/model_slot.hpp"
#include "store/results_store.hpp"

namespace httplib {
class Server;
}

namespace aoi::serve {

struct ServiceOptions {
  std::size_t max_bytes = 50u << 20;  // largest request body
  std::size_t max_queue = 32;         // inspections admitted at once; more get 429
  BatchOptions batch;
  int read_timeout_seconds = 10;   // a client that sends nothing for this long is dropped
  int write_timeout_seconds = 10;
  io::ImageLimits limits;  // decoder limits for posted images
};

class Service {
 public:
  Service(ModelSlot& model, store::ResultsStore& store, ApiKeys keys, ServiceOptions options);
  ~Service();
  // Binds the address (port 0: any free port) and returns the port; throws
  // aoi::Error when it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop(); then waits for requests in flight to finish.
  // False when the server failed rather than being stopped.
  bool listen();
  // Stops accepting; listen() returns once requests in flight are answered.
  void stop();
  // After listen() returned: finishes queued inspections.
  void drain();
  // Reloads the model (POST /v1/model/reload, SIGHUP, a registry switch);
  // returns whether the new model is in place and a one-line outcome. A
  // reload that changes the version is written to the audit log as `who`'s.
  std::pair<bool, std::string> reload(const std::string& who);
  std::size_t requests_served() const { return served_.load(); }

 private:
  void routes();
  struct Impl;
  ModelSlot& model_;
  store::ResultsStore& store_;
  ApiKeys keys_;
  ServiceOptions options_;
  Metrics metrics_;
  Batcher batcher_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<std::size_t> admitted_{0};
  std::atomic<std::size_t> served_{0};
  std::atomic<bool> stopping_{false}, listen_returned_{false};
};

}  // namespace aoi::serve
