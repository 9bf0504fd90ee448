// aoi quantize: a float32 weight file to an int8 (calibrated on a manifest's
// images) or bf16 one, which every command then runs given --weights.
#include <iostream>

#include "core/require.hpp"
#include "pipeline/featurize.hpp"
#include "pipeline/manifest.hpp"
#include "quantize/quantize.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {
namespace {

// Up to `limit` items spread evenly over the manifest (which is in time
// order), so the calibration sees early and late production alike.
std::vector<pipeline::ImageRegion> spread(const std::vector<pipeline::ImageRegion>& items, std::size_t limit) {
  if (items.size() <= limit) return items;
  std::vector<pipeline::ImageRegion> out;
  for (std::size_t i = 0; i < limit; ++i) out.push_back(items[i * items.size() / limit]);
  return out;
}

}  // namespace

Command add_quantize(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    std::string precision = "int8", manifest, output;
    std::size_t images = 64;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("quantize", "Write an int8 (calibrated) or bf16 copy of a float32 weight file");
  cmd->add_option("--precision", args->precision, "int8 (needs --manifest) or bf16")
      ->check(CLI::IsMember({"int8", "bf16"}));
  cmd->add_option("--manifest", args->manifest,
                  "int8: calibration images, a manifest CSV (its path column and regions), ideally a day of "
                  "production with passes and fails");
  cmd->add_option("--images", args->images, "int8: calibrate on at most this many of the manifest's images, "
                                            "spread over it")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("-o,--output", args->output, "the weight file to write")->required()->check(output_extensions({".aoiw"}));
  add_engine_flags(*cmd, args->engine);
  return [args] {
    const auto in = resolve_weights(args->engine.weights);
    if (args->precision == "bf16") {
      const auto file = weights::WeightFile::open(in);
      const auto writer = quantize::quantize_bf16(file);
      writer.write(args->output, quantize::quantized_description(file, "bf16", nullptr));
      std::cerr << "aoi: wrote bf16 weights to " << args->output << "\n";
      return 0;
    }
    if (args->manifest.empty())
      throw Error(ErrorKind::kInvalidArgument, "quantize: int8 needs --manifest, the calibration images");
    const auto manifest = pipeline::read_manifest(args->manifest);
    for (const auto& why : manifest.skipped) std::cerr << "aoi: skipped " << why << "\n";
    std::vector<pipeline::ImageRegion> items;
    for (const auto& item : manifest.items) items.push_back({item.path, item.roi});
    items = spread(items, args->images);
    require(!items.empty(), ErrorKind::kInvalidArgument, args->manifest, "lists no images to calibrate on");

    quantize::Calibration calibration;
    EngineOptions options = engine_options(args->engine);
    options.backend = Backend::kAoi;
    options.recipe = FeatureRecipe::kGlobal;
    options.patches = false;
    options.conv_inputs = calibration.tap();
    const Engine engine = Engine::load(in, options);
    require(engine.description().precision == "fp32", ErrorKind::kInvalidArgument, in.string(),
            "holds " + engine.description().precision + " weights; quantize a float32 file");
    ProgressBar bar("calibrate");
    const auto result = pipeline::featurize_regions(engine, items, {},
                                                    [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    bar.finish();
    for (const auto& e : result.errors) std::cerr << "aoi: skipped " << e.message << "\n";
    require(!result.rows.empty(), ErrorKind::kBadData, args->manifest, "none of its images could be read");
    quantize::CalibrationFacts facts{std::filesystem::path(args->manifest).filename().string(), result.rows.size(),
                                     result.errors.size() + manifest.skipped.size()};
    const auto writer = quantize::quantize_int8(engine.weights(), calibration.input_steps(nn::Trunk(engine.weights())));
    writer.write(args->output, quantize::quantized_description(engine.weights(), "int8", &facts));
    std::cerr << "aoi: wrote int8 weights to " << args->output << " (calibrated on " << facts.images << " images";
    if (facts.skipped) std::cerr << "; " << facts.skipped << " skipped";
    std::cerr << ")\n";
    return 0;
  };
}

}  // namespace aoi::cli
