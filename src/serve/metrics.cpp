#include "serve/metrics.hpp"

#include <cstdio>

namespace aoi::serve {
namespace {

const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64};

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

std::string with(const std::string& labels, const std::string& more) {
  return "{" + (labels.empty() ? more : labels + "," + more) + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket" + with(labels, "le=\"" + le + "\"") + " " + std::to_string(cumulative) + "\n";
  }
  const std::string plain = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + plain + " " + number(sum_) + "\n";
  out += name + "_count" + plain + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : batch_sizes_(kBatchBounds) {}

void Metrics::request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.observe(seconds);
}

void Metrics::verdict(const std::string& verdict) {
  std::lock_guard lock(mutex_);
  ++verdicts_[verdict];
}

void Metrics::batch(int size) {
  std::lock_guard lock(mutex_);
  batch_sizes_.observe(size);
}

void Metrics::reload(bool ok) {
  std::lock_guard lock(mutex_);
  ++(ok ? reloads_ok_ : reloads_failed_);
}

std::string Metrics::render(std::size_t queue_depth, const std::string& model_version) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP aoi_requests_total HTTP requests by route and status.\n# TYPE aoi_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += "aoi_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n) + "\n";
  out += "# HELP aoi_request_duration_seconds Time from request parsed to response ready.\n"
         "# TYPE aoi_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) h.render(out, "aoi_request_duration_seconds", "route=\"" + route + "\"");
  out += "# HELP aoi_verdicts_total Inspections committed, by verdict.\n# TYPE aoi_verdicts_total counter\n";
  for (const char* v : {"pass", "review", "fail"}) {
    const auto it = verdicts_.find(v);
    out += std::string("aoi_verdicts_total{verdict=\"") + v + "\"} " +
           std::to_string(it == verdicts_.end() ? 0 : it->second) + "\n";
  }
  out += "# HELP aoi_batch_size Images per trunk call (micro-batches).\n# TYPE aoi_batch_size histogram\n";
  batch_sizes_.render(out, "aoi_batch_size");
  out += "# HELP aoi_queue_depth Inspection requests admitted and not yet answered.\n# TYPE aoi_queue_depth gauge\n";
  out += "aoi_queue_depth " + std::to_string(queue_depth) + "\n";
  out += "# HELP aoi_model_reloads_total Model reloads by outcome.\n# TYPE aoi_model_reloads_total counter\n";
  out += "aoi_model_reloads_total{outcome=\"ok\"} " + std::to_string(reloads_ok_) + "\n";
  out += "aoi_model_reloads_total{outcome=\"refused\"} " + std::to_string(reloads_failed_) + "\n";
  out += "# HELP aoi_model_info The model being served.\n# TYPE aoi_model_info gauge\n";
  if (!model_version.empty()) out += "aoi_model_info{model_version=\"" + model_version + "\"} 1\n";
  return out;
}

}  // namespace aoi::serve
