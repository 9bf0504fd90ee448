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
};

}  // namespace aoi
