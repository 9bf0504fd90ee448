#include "serve/batcher.hpp"

#include <algorithm>
#include <cstring>

#include "inspector/inspector_access.hpp"

namespace aoi::serve {

Batcher::Batcher(store::ResultsStore& store, Metrics& metrics, BatchOptions options)
    : store_(store), metrics_(metrics), options_(options), thread_([this] { loop(); }) {}

Batcher::~Batcher() { stop(); }

void Batcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Batcher::run(Job& job) {
  std::future<void> done = job.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw Error(ErrorKind::kUnsupported, "the service is shutting down");
    queue_.push_back(&job);
  }
  wake_.notify_one();
  done.get();
}

void Batcher::loop() {
  std::vector<Job*> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // The trunk is idle: give a batch a moment to fill.
    const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
    wake_.wait_until(lock, deadline, [&] { return stopping_ || int(queue_.size()) >= options_.max_batch; });
    // One batch runs on one model: the one its tensors were prepared for.
    batch.clear();
    const LoadedModel* model = queue_.front()->model.get();
    while (!queue_.empty() && int(batch.size()) < options_.max_batch && queue_.front()->model.get() == model) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    process(batch);
    lock.lock();
  }
}

void Batcher::process(std::vector<Job*>& batch) {
  const std::size_t n = batch.size();
  std::size_t answered = 0;
  try {
    const Inspector& inspector = batch.front()->model->inspector;
    const Engine& engine = InspectorAccess::engine(inspector);
    const std::size_t per_image = batch.front()->tensor.size(), d = std::size_t(engine.feature_dim());
    inputs_.resize(per_image * n);
    features_.resize(d * n);
    for (std::size_t i = 0; i < n; ++i)
      std::memcpy(inputs_.data() + per_image * i, batch[i]->tensor.data(), per_image * sizeof(float));
    engine.featurize(std::span<const float>(inputs_.data(), per_image * n), int(n),
                     std::span<float>(features_.data(), d * n));
    records_.clear();
    decided_.resize(n);
    InspectorAccess::decide_rows(inspector, features_.data(), n, decided_.data());
    for (std::size_t i = 0; i < n; ++i) {
      const Inspection& r = decided_[i];
      store::InspectionRecord record = batch[i]->record;
      record.p_fail = r.p_fail;
      record.verdict = verdict_name(r.verdict);
      record.model_version = batch[i]->model->version;
      record.elapsed_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - batch[i]->received).count();
      records_.push_back(std::move(record));
    }
    store_.insert(records_);
    metrics_.batch(int(n));
    for (std::size_t i = 0; i < n; ++i) {
      metrics_.verdict(records_[i].verdict);
      batch[i]->record = std::move(records_[i]);
      batch[i]->done.set_value();
      ++answered;
    }
  } catch (...) {
    for (std::size_t i = answered; i < n; ++i) batch[i]->done.set_exception(std::current_exception());
  }
}

}  // namespace aoi::serve
