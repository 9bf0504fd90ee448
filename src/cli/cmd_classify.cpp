// aoi classify: top-5 ImageNet labels, a sanity check of the trunk.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>

#include "pipeline/featurize.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {

Command add_classify(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    std::vector<std::string> images;
    std::string policy, roi;
    int top = 5;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("classify", "Print the top ImageNet labels of images (needs the weight file's classifier)");
  cmd->add_option("images", args->images, "image files")->required();
  cmd->add_option("--policy", args->policy, "resize policy: stretch or imagenet (default: the weight file's)")
      ->check(CLI::IsMember({"stretch", "imagenet"}));
  cmd->add_option("--roi", args->roi, "region x,y,w,h cropped before resizing");
  cmd->add_option("--top", args->top, "labels to print per image")->check(CLI::Range(1, 1000));
  add_engine_flags(*cmd, args->engine);
  return [args] {
    pipeline::FeaturizeOptions options;
    if (!args->policy.empty()) options.policy = image::parse_policy(args->policy);
    if (!args->roi.empty()) options.roi = parse_roi(args->roi);
    const Engine engine = open_engine(args->engine);
    const auto result = pipeline::featurize_files(engine, args->images, options);
    for (const auto& e : result.errors) std::cerr << "aoi: skipped " << e.message << "\n";
    const auto logits = engine.classify(result.features);
    const std::size_t classes = logits.size() / std::max<std::size_t>(result.rows.size(), 1);
    const auto& labels = engine.description().labels;
    for (std::size_t r = 0; r < result.rows.size(); ++r) {
      const float* z = logits.data() + r * classes;
      const float top = *std::max_element(z, z + classes);
      double sum = 0;
      for (std::size_t c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - top);
      std::vector<int> order(classes);
      std::iota(order.begin(), order.end(), 0);
      const int k = std::min<int>(args->top, int(classes));
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) { return z[a] > z[b]; });
      std::cout << args->images[result.rows[r]] << "\n";
      for (int i = 0; i < k; ++i) {
        const int c = order[i];
        const std::string label = c < int(labels.size()) ? labels[c] : "class " + std::to_string(c);
        std::printf("  %6.4f  %s\n", std::exp(double(z[c]) - top) / sum, label.c_str());
      }
    }
    std::fflush(stdout);
    return result.errors.empty() ? 0 : 1;
  };
}

}  // namespace aoi::cli
