// aoi-convert: published weights to aoi's .aoiw file.
#include <iostream>

#include <CLI/CLI.hpp>

#include "core/require.hpp"
#include "convert.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Convert ResNet weights to aoi's .aoiw format (batch norm folded, preprocessing recorded)"};
  app.require_subcommand(1);
  std::string input, output, labels, source, policy = "stretch";
  auto* tfjs = app.add_subcommand("tfjs", "Keras ResNet50 as a TF.js layers model (model.json + shards)");
  tfjs->add_option("model_json", input, "path to model.json; shards are read from its folder")->required();
  auto* st = app.add_subcommand("safetensors", "torchvision ResNet state dict saved with safetensors");
  st->add_option("file", input, "path to the .safetensors file")->required();
  for (auto* cmd : {tfjs, st}) {
    cmd->add_option("-o,--output", output, "the .aoiw file to write")->required();
    cmd->add_option("--labels", labels, "classifier labels (JSON array or {\"0\": label, ...})");
    cmd->add_option("--source", source, "where the weights came from, recorded in the header");
    cmd->add_option("--policy", policy, "default resize policy: stretch or imagenet")->check(CLI::IsMember({"stretch", "imagenet"}));
  }
  CLI11_PARSE(app, argc, argv);
  try {
    aoi::weights::ModelDescription d;
    auto writer = tfjs->parsed() ? aoi::convert::convert_tfjs(input, d) : aoi::convert::convert_safetensors(input, d);
    d.preprocess.policy = aoi::image::parse_policy(policy);
    d.source = source.empty() ? input : source;
    if (!labels.empty()) d.labels = aoi::convert::read_labels(labels);
    writer.write(output, d);
    const auto file = aoi::weights::WeightFile::open(output);  // read back: proves the file is valid
    std::cout << "wrote " << output << ": resnet " << d.variant << ", " << file.tensors().size() << " tensors, "
              << file.file_bytes() << " bytes\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "aoi-convert: " << e.what() << "\n";
    return 1;
  }
}
