// aoi serve: the line's HTTP service (src/serve/, docs/serve.md). This file
// reads the flags, opens the store and keys, and owns the process's
// lifecycle: signals (SIGHUP reloads, SIGTERM/SIGINT drain and stop), the
// first model load in the background (503 until it is in), and the exit code.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/require.hpp"
#include "registry/registry.hpp"
#include "serve/iso_time.hpp"
#include "serve/notifier.hpp"
#include "serve/server.hpp"
#include "service_flags.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {
namespace {

std::pair<std::string, int> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  require(colon != std::string::npos && colon > 0, ErrorKind::kInvalidArgument, "--listen",
          "must be HOST:PORT (e.g. 127.0.0.1:8080), not '" + text + "'");
  const std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  require(!port_text.empty() && *end == '\0' && port >= 0 && port <= 65535, ErrorKind::kInvalidArgument, "--listen",
          "port must be 0 to 65535, not '" + port_text + "'");
  return {text.substr(0, colon), int(port)};
}

// Signals are turned into bytes on a pipe that one thread reads: whichever
// thread the kernel interrupts (libraries start threads of their own, before
// main, with every signal unblocked) only does the async-signal-safe write.
int signal_pipe[2] = {-1, -1};

void on_signal(int number) {
  const int saved = errno;
  const char byte = char(number);
  [[maybe_unused]] const auto n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

void route_signals_to_pipe() {
  require(::pipe2(signal_pipe, O_CLOEXEC) == 0, ErrorKind::kIo, "serve", "cannot create the signal pipe");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : {SIGHUP, SIGTERM, SIGINT}) ::sigaction(s, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is an error on its socket, not the end of the service
}

int next_signal() {
  for (;;) {
    char byte = 0;
    const auto n = ::read(signal_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return SIGTERM;
  }
}

void log_line(const std::string& text) {
  std::fprintf(stderr, "aoi serve: %s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace

Command add_serve(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    ModelFlags model;
    NotifyFlags notify;
    std::string store, listen = "127.0.0.1:8080", keys;
    int registry_poll_ms = 1000;
    std::size_t max_bytes = 50u << 20, max_queue = 32;
    std::int64_t max_pixels = 40'000'000;
    int batch = 8, batch_wait_ms = 2, read_timeout = 10;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("serve", "Serve inspections over HTTP with a results store and image archive");
  add_model_flags(*cmd, a->model, "model bundle from 'aoi train' (reloaded from this path)",
                  "serve the registry's current version, following promotions");
  cmd->add_option("--registry-poll-ms", a->registry_poll_ms, "how often the registry's current version is read")
      ->check(CLI::Range(50, 60000))
      ->capture_default_str();
  add_notify_flags(*cmd, a->notify);
  cmd->add_option("--store", a->store, "store folder: results.sqlite and images/ (created when absent)")->required();
  cmd->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--api-key-file", a->keys, "file with the API keys, one per line")->required();
  cmd->add_option("--max-bytes", a->max_bytes, "largest request body in bytes")
      ->check(CLI::Range(std::size_t(1024), std::size_t(1) << 31))
      ->capture_default_str();
  cmd->add_option("--max-queue", a->max_queue, "inspections admitted at once; more are refused with 429")
      ->check(CLI::Range(std::size_t(1), std::size_t(1024)))
      ->capture_default_str();
  cmd->add_option("--max-pixels", a->max_pixels, "largest decoded image in pixels; larger ones get 422")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(256'000'000)))
      ->capture_default_str();
  cmd->add_option("--batch", a->batch, "most images per trunk call (micro-batch)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--batch-wait-ms", a->batch_wait_ms, "longest wait for a micro-batch to fill while the trunk is idle")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  cmd->add_option("--read-timeout", a->read_timeout, "seconds a client may stay silent mid-request before it is dropped")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  add_engine_flags(*cmd, a->engine);
  return [a] {
    const auto [host, port] = parse_listen(a->listen);
    route_signals_to_pipe();

    serve::ApiKeys keys = serve::ApiKeys::load(a->keys);
    store::ResultsStore store(a->store);
    std::optional<registry::Registry> models;
    serve::ModelSlot model(bundle_source(a->model, models), resolve_weights(a->engine.weights), engine_options(a->engine));
    std::optional<serve::Notifier> notifier;
    start_notifier(a->notify, store, notifier);
    serve::ServiceOptions so;
    so.max_bytes = a->max_bytes;
    so.max_queue = a->max_queue;
    so.batch.max_batch = a->batch;
    so.batch.max_wait = std::chrono::milliseconds(a->batch_wait_ms);
    so.read_timeout_seconds = a->read_timeout;
    so.limits.max_pixels = a->max_pixels;
    serve::Service service(model, store, std::move(keys), so);
    const int bound = service.bind(host, port);
    log_line("listening on http://" + host + ":" + std::to_string(bound) + " (store " + a->store + ", " +
             std::to_string(store.count()) + " results)");

    std::atomic<bool> load_failed{false}, stopped_by_signal{false};
    std::thread loader([&] {
      // Test hook: holds the first load back so that tests can see the 503.
      if (const char* delay = std::getenv("AOI_SERVE_TEST_LOAD_DELAY_MS"))
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(delay)));
      const auto [ok, message] = service.reload("start");
      log_line(ok ? "serving " + model.current()->version : "cannot load the model: " + message);
      if (!ok) {
        load_failed = true;
        ::kill(::getpid(), SIGTERM);
      }
    });
    std::thread signal_thread([&] {
      for (;;) {
        const int s = next_signal();
        if (s == SIGHUP) {
          const auto [ok, message] = service.reload("SIGHUP");
          log_line(std::string(ok ? "reloaded: " : "reload refused: ") + message);
          continue;
        }
        stopped_by_signal = true;
        log_line("stopping: finishing requests in flight (signal again to stop at once)");
        std::thread([] {
          // A second signal while draining: stop now. Committed rows are
          // durable; requests not yet answered were never acknowledged.
          next_signal();
          std::fprintf(stderr, "aoi serve: stopped at once\n");
          std::_Exit(1);
        }).detach();
        service.stop();
        return;
      }
    });
    // With a registry: follow its current version, and announce each switch.
    std::atomic<bool> stopping{false};
    std::thread follower([&] {
      if (!models) return;
      std::string refused;  // a version that failed to load is not retried until it changes
      while (!stopping) {
        for (int slept = 0; slept < a->registry_poll_ms && !stopping; slept += 50)
          std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, a->registry_poll_ms - slept)));
        if (stopping) break;
        try {
          const auto wanted = models->current();
          const auto serving = model.current();
          if (!wanted || !serving || *wanted == serving->version || *wanted == refused) continue;
          const auto [ok, message] = service.reload("registry");
          log_line(std::string(ok ? "registry switch: " : "registry switch refused: ") + message);
          if (!ok) {
            refused = *wanted;
            continue;
          }
          const auto history = models->history();
          if (notifier && !history.empty() && history.back().version == *wanted) {
            const auto& h = history.back();
            const nlohmann::json body{{"event", h.action}, {"version", h.version}, {"previous", h.previous},
                                      {"who", h.who}, {"at", h.at}};
            store.enqueue_event(h.action, body.dump(), serve::iso8601_utc(serve::now_unix_ms()), serve::now_unix_ms());
          }
        } catch (const std::exception& e) {
          log_line(std::string("registry: ") + e.what());
        }
      }
    });
    const bool listened = service.listen();
    if (!listened) log_line("the HTTP server failed; stopping");
    stopping = true;
    follower.join();
    // listen() may also return on its own (a failure): wake the signal thread.
    if (!stopped_by_signal) ::kill(::getpid(), SIGTERM);
    signal_thread.join();
    loader.join();
    service.drain();
    if (notifier) notifier->stop();
    log_line("stopped after " + std::to_string(service.requests_served()) + " requests; store closed");
    return load_failed || !listened ? 1 : 0;
  };
}

}  // namespace aoi::cli
