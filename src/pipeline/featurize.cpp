#include "pipeline/featurize.hpp"

#include "core/require.hpp"
#include "core/parallel.hpp"

namespace aoi::pipeline {

FeaturizeResult featurize_regions(const Engine& engine, const std::vector<ImageRegion>& items,
                                  const FeaturizeOptions& options, const Progress& progress) {
  require(options.batch >= 1 && options.batch <= 1024, ErrorKind::kInvalidArgument, "featurize",
          "batch must be 1 to 1024");
  const int s = engine.input_size(), d = engine.feature_dim();
  const std::size_t per_image = std::size_t(3) * s * s;
  const auto policy = options.policy.value_or(engine.description().preprocess.policy);
  const std::uint64_t weights_hash = engine.feature_identity();

  FeaturizeResult result;
  std::vector<float> all(items.size() * d);
  std::vector<char> done(items.size(), 0);
  std::vector<std::string> failure(items.size());
  par::Arena arena(engine.threads());
  // No larger than the run: one image's scoring need not hold a batch's inputs.
  const int window = int(std::max<std::size_t>(1, std::min<std::size_t>(options.batch, items.size())));
  std::vector<float> inputs(per_image * window), features(std::size_t(d) * window);
  std::vector<FeatureKey> keys(window);
  std::vector<char> hit(window), prepared(window);

  for (std::size_t begin = 0; begin < items.size(); begin += window) {
    const int count = int(std::min<std::size_t>(window, items.size() - begin));
    // Read, hash, look up, and on a miss decode and preprocess: all in
    // parallel, each failure confined to its own slot.
    arena.execute([&] {
      par::for_each_index(0, count, [&](int i) {
        const auto& item = items[begin + i];
        hit[i] = prepared[i] = 0;
        try {
          const auto bytes = io::read_file(item.path, options.limits.max_file_bytes);
          keys[i] = feature_key(content_hash(bytes), item.roi, policy, weights_hash, d);
          if (options.cache && options.cache->load(keys[i], {all.data() + (begin + i) * d, std::size_t(d)})) {
            hit[i] = 1;
            return;
          }
          const auto image = io::decode_image(bytes, item.path, options.limits);
          engine.prepare(image, item.roi, policy, item.path, inputs.data() + per_image * i);
          prepared[i] = 1;
        } catch (const std::exception& e) {
          failure[begin + i] = e.what();
        }
      });
    });
    // Compact the slots that need the trunk so it sees one dense batch.
    std::vector<int> slot;
    for (int i = 0; i < count; ++i) {
      if (hit[i]) done[begin + i] = 1, ++result.cache_hits;
      if (!prepared[i]) continue;
      if (int(slot.size()) != i)
        std::copy_n(inputs.data() + per_image * i, per_image, inputs.data() + per_image * slot.size());
      slot.push_back(i);
    }
    const int n = int(slot.size());
    if (n > 0) {
      engine.featurize({inputs.data(), per_image * n}, n, {features.data(), std::size_t(d) * n});
      for (int k = 0; k < n; ++k) {
        const std::size_t index = begin + slot[k];
        std::copy_n(features.data() + std::size_t(d) * k, d, all.data() + index * d);
        done[index] = 1;
        if (options.cache && !options.cache->store(keys[slot[k]], {features.data() + std::size_t(d) * k, std::size_t(d)}))
          ++result.cache_write_failures;
      }
    }
    if (progress) progress(begin + count, items.size());
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!done[i]) {
      result.errors.push_back({i, failure[i].empty() ? items[i].path + ": not processed" : failure[i]});
      continue;
    }
    result.rows.push_back(i);
    result.features.insert(result.features.end(), all.begin() + i * d, all.begin() + (i + 1) * d);
  }
  return result;
}

FeaturizeResult featurize_files(const Engine& engine, const std::vector<std::string>& paths,
                                const FeaturizeOptions& options, const Progress& progress) {
  std::vector<ImageRegion> items;
  items.reserve(paths.size());
  for (const auto& p : paths) items.push_back({p, options.roi});
  return featurize_regions(engine, items, options, progress);
}

}  // namespace aoi::pipeline
