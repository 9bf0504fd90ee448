#include "eval/time_cv.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "core/require.hpp"

namespace aoi::eval {

std::vector<Fold> time_folds(std::span<const std::int64_t> times, std::span<const std::string> groups,
                             const TimeCvOptions& options) {
  require(groups.empty() || groups.size() == times.size(), ErrorKind::kInvalidArgument, "time CV",
          "groups and times differ in length");
  require(options.folds >= 1, ErrorKind::kInvalidArgument, "time CV", "folds must be at least 1");
  require(options.gap >= 0, ErrorKind::kInvalidArgument, "time CV", "gap must not be negative");

  // Units: one per named group, one per ungrouped item, in order of first appearance.
  std::vector<std::int64_t> unit_time;
  std::vector<std::size_t> unit_of(times.size());
  std::unordered_map<std::string, std::size_t> by_group;
  for (std::size_t i = 0; i < times.size(); ++i) {
    const bool grouped = !groups.empty() && !groups[i].empty();
    std::size_t u;
    if (grouped) {
      const auto [it, fresh] = by_group.try_emplace(groups[i], unit_time.size());
      u = it->second;
      if (fresh) unit_time.push_back(times[i]);
    } else {
      u = unit_time.size();
      unit_time.push_back(times[i]);
    }
    unit_time[u] = std::min(unit_time[u], times[i]);
    unit_of[i] = u;
  }
  const std::size_t units = unit_time.size(), blocks = std::size_t(options.folds) + 1;
  require(units >= blocks, ErrorKind::kInvalidArgument, "time CV",
          std::to_string(options.folds) + " folds need at least " + std::to_string(blocks) + " groups, have " +
              std::to_string(units));
  std::vector<std::size_t> order(units);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return unit_time[a] < unit_time[b]; });
  std::vector<std::size_t> rank(units);
  for (std::size_t r = 0; r < units; ++r) rank[order[r]] = r;
  auto block_start = [&](std::size_t b) { return b * units / blocks; };

  std::vector<Fold> folds(options.folds);
  for (int f = 0; f < options.folds; ++f) {
    const std::size_t test_begin = block_start(f + 1), test_end = block_start(f + 2);
    const std::size_t train_end = test_begin >= std::size_t(options.gap) ? test_begin - options.gap : 0;
    require(train_end > 0, ErrorKind::kInvalidArgument, "time CV",
            "fold " + std::to_string(f + 1) + " has no training data (gap " + std::to_string(options.gap) + " too large)");
    auto& fold = folds[f];
    fold.test_time_begin = INT64_MAX, fold.test_time_end = INT64_MIN;
    for (std::size_t i = 0; i < times.size(); ++i) {
      const std::size_t r = rank[unit_of[i]];
      if (r < train_end) {
        fold.train.push_back(i);
      } else if (r >= test_begin && r < test_end) {
        fold.test.push_back(i);
        fold.test_time_begin = std::min(fold.test_time_begin, times[i]);
        fold.test_time_end = std::max(fold.test_time_end, times[i]);
      }
    }
  }
  return folds;
}

}  // namespace aoi::eval
