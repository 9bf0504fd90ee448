// aoi's side of the peer comparison: the Engine on the same weights and the
// same synthetic input as the peers, timed by the same loop (peer_args.hpp).
#include <vector>

#include "nn/engine.hpp"
#include "peer_args.hpp"

int main(int argc, char** argv) {
  const auto args = aoi::bench::parse_peer_args(argc, argv);
  aoi::EngineOptions options{args.threads};
  options.compact_weights = aoi::compact_weights_from_environment();  // the aoi_compact peer
  const aoi::Engine engine = aoi::Engine::load(args.weights, options);
  const int size = engine.input_size();
  const std::vector<float> input = aoi::bench::synthetic_input(args.batch, size);
  std::vector<float> features(std::size_t(args.batch) * engine.feature_dim());
  aoi::bench::report_peer("aoi", args, [&] { engine.featurize(input, args.batch, features); }, features);
  return 0;
}
