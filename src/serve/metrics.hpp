// The service's counters in Prometheus' text format (GET /metrics):
// requests by route and status, request latency and micro-batch size as
// histograms, verdicts, and the queue depth and model as gauges.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace aoi::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // Lines of `name`_bucket / _sum / _count with the given extra labels.
  void render(std::string& out, const std::string& name, const std::string& labels = "") const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // one per bound, plus +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& route, int status, double seconds);
  void verdict(const std::string& verdict);
  void batch(int size);
  void reload(bool ok);
  // `queue_depth`: requests admitted and not yet answered.
  std::string render(std::size_t queue_depth, const std::string& model_version) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::map<std::string, std::uint64_t> verdicts_;
  Histogram batch_sizes_;
  std::uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
};

}  // namespace aoi::serve
