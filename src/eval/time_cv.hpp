// Expanding-window time-based cross-validation: the model is always trained
// on the past and tested on the future, as it will be used on the line.
//
// Items are gathered into units (one per group; an item without a group is a
// unit of its own), units are ordered by their earliest time, and the ordered
// units are cut into folds + 1 blocks of near-equal size. Fold f trains on
// blocks 0..f and tests on block f + 1, leaving out the last `gap` units
// before the test block. A group never straddles train and test.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aoi::eval {

struct TimeCvOptions {
  int folds = 5;
  int gap = 0;  // units (groups) dropped between each training window and its test block
};

struct Fold {
  std::vector<std::size_t> train, test;  // item indices, ascending
  std::int64_t test_time_begin = 0, test_time_end = 0;  // earliest and latest time in the test block
};

// Throws if there are fewer than folds + 1 units, or a training window would be empty.
std::vector<Fold> time_folds(std::span<const std::int64_t> times, std::span<const std::string> groups,
                             const TimeCvOptions& options);

}  // namespace aoi::eval
