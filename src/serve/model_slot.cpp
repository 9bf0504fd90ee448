#include "serve/model_slot.hpp"

#include "inspector/inspector_access.hpp"

namespace aoi::serve {

ModelSlot::ModelSlot(std::function<std::filesystem::path()> source, std::filesystem::path weights,
                     EngineOptions options)
    : source_(std::move(source)), weights_(std::move(weights)), options_(options) {}

std::shared_ptr<const LoadedModel> ModelSlot::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::pair<std::string, std::string> ModelSlot::reload() {
  std::lock_guard serial(reload_mutex_);
  Inspector inspector = InspectorAccess::open(source_(), weights_, options_);
  std::string version = inspector.model_version();
  auto next = std::make_shared<const LoadedModel>(LoadedModel{std::move(inspector), std::move(version)});
  std::lock_guard lock(mutex_);
  std::string previous = current_ ? current_->version : std::string();
  current_ = std::move(next);
  return {std::move(previous), current_->version};
}

}  // namespace aoi::serve
