// What the library's own callers (aoi score, the service) reach inside an
// Inspector beyond its public face: the engine and bundle it loaded, and the
// decision on features they computed themselves (e.g. through the cache).
#pragma once

#include "aoi/inspector.hpp"
#include "nn/engine.hpp"
#include "pipeline/bundle.hpp"

namespace aoi {

struct InspectorAccess {
  // Inspector::open with every engine option (backend, ISA), for the CLI.
  static Inspector open(const std::filesystem::path& bundle, const std::filesystem::path& weights,
                        const EngineOptions& engine_options);
  static const Engine& engine(const Inspector& inspector);
  static const pipeline::ModelBundle& bundle(const Inspector& inspector);
  // P(fail) and the verdict of one image's trunk features (engine().feature_dim() floats).
  static Inspection decide(const Inspector& inspector, const float* features);
  // The same for n rows (n x feature_dim floats) into out[0, n): in
  // parallel on the inspector's threads when deciding is costly (modes with
  // a memory bank search it per row).
  static void decide_rows(const Inspector& inspector, const float* features, std::size_t n, Inspection* out);
};

}  // namespace aoi
