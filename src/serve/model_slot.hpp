// The model a service serves, swapped whole on reload. Requests take a
// shared_ptr to the model when they start and keep it to the end, so a
// reload never changes the model under a request in flight; the old model
// is freed when its last request finishes. A bundle that fails to load is
// refused and the current model stays.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "aoi/inspector.hpp"
#include "nn/engine.hpp"

namespace aoi::serve {

struct LoadedModel {
  Inspector inspector;
  std::string version;
};

class ModelSlot {
 public:
  // `source` names the bundle to load at each reload: a fixed path, or the
  // registry's current version.
  ModelSlot(std::function<std::filesystem::path()> source, std::filesystem::path weights, EngineOptions options);
  std::shared_ptr<const LoadedModel> current() const;  // null until the first load
  // Loads the bundle from its source and swaps it in; returns the previous
  // version ("" when none) and the new one, read in the same step. Throws
  // aoi::Error, keeping the current model, when the bundle or its weights fail
  // to load. Reloads run one at a time.
  std::pair<std::string, std::string> reload();

 private:
  std::function<std::filesystem::path()> source_;
  std::filesystem::path weights_;
  EngineOptions options_;
  std::mutex reload_mutex_;
  mutable std::mutex mutex_;
  std::shared_ptr<const LoadedModel> current_;
};

}  // namespace aoi::serve
