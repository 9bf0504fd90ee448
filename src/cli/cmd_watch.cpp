// aoi watch: folder intake for AOI machines that drop images in a folder
// (src/intake/folder_intake.hpp). Runs until SIGTERM/SIGINT, or with --once
// until every file present has been handled.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "core/require.hpp"
#include "intake/folder_intake.hpp"
#include "service_flags.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {
namespace {

std::atomic<bool> stop_requested{false};
void on_stop(int) { stop_requested = true; }

}  // namespace

Command add_watch(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    ModelFlags model;
    NotifyFlags notify;
    std::string in, store;
    int settle_ms = 1000, poll_ms = 250;
    bool once = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("watch", "Inspect every image dropped into a folder, once, into a results store");
  cmd->add_option("folder", a->in, "the folder AOI machines write into (done/ and failed/ are made inside)")
      ->required()
      ->check(CLI::ExistingDirectory);
  add_model_flags(*cmd, a->model, "model bundle", "follow the registry's current version instead");
  cmd->add_option("--store", a->store, "results store folder (the one aoi serve uses, or its own)")->required();
  cmd->add_option("--settle-ms", a->settle_ms, "a file is complete when unchanged for this long")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd->add_option("--poll-ms", a->poll_ms, "how often the folder is read")->check(CLI::Range(10, 60000))->capture_default_str();
  cmd->add_flag("--once", a->once, "handle the files present, then exit");
  add_notify_flags(*cmd, a->notify);
  add_engine_flags(*cmd, a->engine);
  return [a] {
    std::signal(SIGTERM, on_stop);
    std::signal(SIGINT, on_stop);
    store::ResultsStore store(a->store, store::ResultsStore::Role::kTool);
    std::optional<registry::Registry> models;
    serve::ModelSlot model(bundle_source(a->model, models), resolve_weights(a->engine.weights), engine_options(a->engine));
    model.reload();
    // Fails are queued with their rows (the store's outbox) and delivered as
    // aoi serve delivers them; with --once, what is not yet delivered stays
    // queued for the next run (or a server on the same store with a URL).
    std::optional<serve::Notifier> notifier;
    start_notifier(a->notify, store, notifier);
    std::fprintf(stderr, "aoi watch: %s with %s\n", a->in.c_str(), model.current()->version.c_str());
    intake::IntakeOptions io;
    io.settle = std::chrono::milliseconds(a->settle_ms);
    io.log = [](const std::string& line) {
      std::fprintf(stderr, "aoi watch: %s\n", line.c_str());
      std::fflush(stderr);
    };
    intake::FolderIntake intake(a->in, store, model, io);
    int failed = 0;
    std::string refused;  // a version that failed to load is not retried until current changes
    while (!stop_requested) {
      if (models) {
        const auto wanted = models->current();
        if (wanted && *wanted != model.current()->version && *wanted != refused) {
          try {
            model.reload();
            io.log("now " + model.current()->version + " (registry)");
          } catch (const std::exception& e) {
            refused = *wanted;
            io.log(std::string("registry switch refused: ") + e.what());
          }
        }
      }
      const auto counts = intake.scan();
      failed += counts.failed;
      if (a->once && counts.waiting == 0 && counts.done + counts.failed + counts.repeated == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(a->poll_ms));
    }
    if (notifier && a->once)  // give queued events a moment to leave before exiting
      for (int i = 0; i < 50 && store.pending_events() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (notifier) notifier->stop();
    return a->once && failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
