#include "core/require.hpp"
#include "convert.hpp"

namespace aoi::convert {

std::size_t element_count(const std::vector<std::int64_t>& shape, std::size_t limit, const std::string& context) {
  std::size_t count = 1;
  for (const auto d : shape) {
    require(d >= 0, ErrorKind::kBadWeights, context, "negative dimension " + std::to_string(d));
    require(d == 0 || count <= limit / static_cast<std::size_t>(d), ErrorKind::kBadWeights, context,
            "shape holds more than " + std::to_string(limit) + " elements");
    count *= static_cast<std::size_t>(d);
  }
  return count;
}

}  // namespace aoi::convert
