// Micro-batching: requests prepared in the HTTP threads (decoded, archived,
// turned into an input tensor) wait here; one thread runs them through the
// trunk in batches (up to max_batch, waiting at most max_wait for a batch to
// fill while the trunk is idle), decides them, and commits the batch's rows
// in one transaction (one fsync for the batch) before any of its requests is
// answered.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "aoi/inspector.hpp"
#include "serve/metrics.hpp"
#include "serve/model_slot.hpp"
#include "store/results_store.hpp"

namespace aoi::serve {

struct BatchOptions {
  int max_batch = 8;
  std::chrono::microseconds max_wait{2000};
};

struct Job {
  std::shared_ptr<const LoadedModel> model;  // the model this tensor was prepared for
  std::vector<float> tensor;                 // 3 x S x S
  std::chrono::steady_clock::time_point received;
  store::InspectionRecord record;  // everything but id, p_fail, verdict, elapsed
  std::promise<void> done;
};

class Batcher {
 public:
  Batcher(store::ResultsStore& store, Metrics& metrics, BatchOptions options);
  ~Batcher();  // stop()
  // Queues the job and waits until its row is committed (the record then has
  // its id and verdict); rethrows what failed the job's batch.
  void run(Job& job);
  // Finishes every queued job, then stops the thread.
  void stop();

 private:
  void loop();
  void process(std::vector<Job*>& batch);

  store::ResultsStore& store_;
  Metrics& metrics_;
  BatchOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::vector<float> inputs_, features_;
  std::vector<Inspection> decided_;
  std::vector<store::InspectionRecord> records_;
  std::thread thread_;
};

}  // namespace aoi::serve
