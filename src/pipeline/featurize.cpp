#include "aoi/pipeline/featurize.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "aoi/core/error.hpp"

namespace aoi::pipeline {

FeaturizeResult featurize_files(const Engine& engine, const std::vector<std::string>& paths,
                                const FeaturizeOptions& options, const Progress& progress) {
  require(options.batch >= 1 && options.batch <= 1024, ErrorKind::kInvalidArgument, "featurize",
          "batch must be 1 to 1024");
  const int s = engine.input_size(), d = engine.feature_dim();
  const std::size_t per_image = std::size_t(3) * s * s;
  FeaturizeResult result;
  tbb::task_arena arena(engine.threads());
  std::vector<float> inputs(per_image * options.batch), features(std::size_t(d) * options.batch);
  std::vector<std::string> messages(options.batch);

  for (std::size_t begin = 0; begin < paths.size(); begin += options.batch) {
    const int count = int(std::min<std::size_t>(options.batch, paths.size() - begin));
    // Decode and preprocess in parallel; a failure marks only its own slot.
    arena.execute([&] {
      tbb::parallel_for(0, count, [&](int i) {
        messages[i].clear();
        try {
          const auto image = io::read_image(paths[begin + i], options.limits);
          engine.prepare(image, options.roi, options.policy, paths[begin + i], inputs.data() + per_image * i);
        } catch (const std::exception& e) {
          messages[i] = e.what();
        }
      });
    });
    // Compact the good slots to the front so the trunk sees one dense batch.
    int good = 0;
    std::vector<std::size_t> good_index;
    for (int i = 0; i < count; ++i) {
      if (!messages[i].empty()) {
        result.errors.push_back({begin + i, messages[i]});
        continue;
      }
      if (good != i) std::copy_n(inputs.data() + per_image * i, per_image, inputs.data() + per_image * good);
      good_index.push_back(begin + i);
      ++good;
    }
    engine.featurize({inputs.data(), per_image * good}, good, {features.data(), std::size_t(d) * good});
    result.rows.insert(result.rows.end(), good_index.begin(), good_index.end());
    result.features.insert(result.features.end(), features.begin(), features.begin() + std::size_t(d) * good);
    if (progress) progress(begin + count, paths.size());
  }
  return result;
}

}  // namespace aoi::pipeline
