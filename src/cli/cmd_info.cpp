// aoi info: what a weight file holds.
#include <cstdio>
#include <iostream>

#include "kernels/cpu.hpp"
#include "weights/weight_file.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {

Command add_info(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("info", "Describe a weight file (default: the one aoi would use)");
  cmd->add_option("file", *file, "a .aoiw weight file");
  return [file] {
    const auto w = weights::WeightFile::open(resolve_weights(*file));
    const auto& d = w.description();
    const auto& p = d.preprocess;
    std::size_t params = 0;
    for (const auto& t : w.tensors()) params += t.nbytes / weights::dtype_bytes(t.dtype);
    std::string blocks;
    for (int b : d.blocks) blocks += (blocks.empty() ? "" : ",") + std::to_string(b);
    std::printf("file:          %s (%llu bytes)\n", w.name().c_str(), (unsigned long long)w.file_bytes());
    std::printf("architecture:  %s %s, blocks [%s]\n", d.architecture.c_str(), d.variant.c_str(), blocks.c_str());
    std::printf("source:        %s\n", d.source.c_str());
    std::printf("preprocess:    %s, scale %g, mean [%g %g %g], std [%g %g %g], input %d, resize_short %d, policy %s\n",
                p.channel_order == image::ChannelOrder::kRGB ? "RGB" : "BGR", p.scale, p.mean[0], p.mean[1], p.mean[2],
                p.std[0], p.std[1], p.std[2], p.input_size, p.resize_short, image::policy_name(p.policy));
    std::printf("tensors:       %zu (%zu values)\n", w.tensors().size(), params);
    std::printf("precision:     %s\n", d.precision.c_str());
    if (!d.quantization.empty()) std::printf("quantization:  %s\n", d.quantization.c_str());
    std::printf("classifier:    %s, %zu labels\n", w.has("fc.weight") ? "fc present" : "none", d.labels.size());
    w.read_check()();  // the hash printed is one the payload matches
    std::printf("payload hash:  %016llx\n", (unsigned long long)w.payload_hash());
    std::printf("this machine:  %s\n", kernels::describe_cpu().c_str());
    return 0;
  };
}

}  // namespace aoi::cli
