// One number per line: the labels (or row weights) `aoi gbdt train` reads
// from a CSV. A first line that is not a number is a header; empty lines are
// skipped; anything else that is not a finite number is an error naming the line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aoi::io {

std::vector<float> parse_label_column(std::string_view text, const std::string& name);

}  // namespace aoi::io
