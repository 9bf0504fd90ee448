// What `aoi serve` and `aoi watch` share: the model from --model or
// --registry, and the notification flags and their notifier.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "registry/registry.hpp"
#include "serve/notifier.hpp"
#include "store/results_store.hpp"

namespace aoi::cli {

struct ModelFlags {
  std::string model, registry;
};
// --model and --registry, one of them (checked by bundle_source).
void add_model_flags(CLI::App& cmd, ModelFlags& flags, const std::string& model_doc, const std::string& registry_doc);
// What a ModelSlot loads: the --model path, or the registry's current
// version at each load. `registry` is set from the flags and must outlive
// the returned function.
std::function<std::filesystem::path()> bundle_source(const ModelFlags& flags,
                                                     std::optional<registry::Registry>& registry);

struct NotifyFlags {
  std::string url, secret_file;
  int max_attempts = 8;
};
void add_notify_flags(CLI::App& cmd, NotifyFlags& flags);
// With a URL: fails are queued in the store's outbox and `notifier` delivers them.
void start_notifier(const NotifyFlags& flags, store::ResultsStore& store, std::optional<serve::Notifier>& notifier);

}  // namespace aoi::cli
