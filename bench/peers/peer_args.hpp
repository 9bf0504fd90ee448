// Shared command line and timing loop of the peer-comparison programs, so
// that aoi and oneDNN are timed by the same code (bench/compare_peers.py
// runs them interleaved and prints the ratio table).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace aoi::bench {

struct PeerArgs {
  std::string weights;
  std::string layout = "any";  // oneDNN peer only: any (blocked) or plain (NCHW)
  std::string precision = "fp32";  // oneDNN peer only: fp32, int8 or bf16
  int batch = 1, threads = 1, iterations = 20, warmup = 3;
};

inline PeerArgs parse_peer_args(int argc, char** argv) {
  PeerArgs a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--weights") a.weights = v;
    else if (k == "--batch") a.batch = std::atoi(v.c_str());
    else if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--iterations") a.iterations = std::atoi(v.c_str());
    else if (k == "--warmup") a.warmup = std::atoi(v.c_str());
    else if (k == "--layout") a.layout = v;
    else if (k == "--precision") a.precision = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.weights.empty() || a.batch < 1 || a.threads < 1 || a.iterations < 1) {
    std::fprintf(stderr, "usage: %s --weights W.aoiw [--batch B] [--threads T] [--iterations N] [--warmup N]\n", argv[0]);
    std::exit(2);
  }
  return a;
}

// The input every peer runs (python_peer.py computes the same): n NCHW
// images of 3 x size x size with values spread over -120..134.
inline std::vector<float> synthetic_input(int n, int size) {
  std::vector<float> input(std::size_t(n) * 3 * size * size);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = float(int(i * 7919 % 255)) - 120.0f;
  return input;
}

// Times `run` and prints one JSON line: median and min ms per image, and a
// checksum of the features so that a broken peer is noticed.
inline void report_peer(const char* name, const PeerArgs& a, const std::function<void()>& run,
                        const std::vector<float>& features) {
  for (int i = 0; i < a.warmup; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < a.iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / a.batch);
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (float f : features) sum += f;
  std::printf("{\"peer\": \"%s\", \"batch\": %d, \"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"feature_sum\": %.6g}\n",
              name, a.batch, a.threads, ms[ms.size() / 2], ms.front(), sum);
}

}  // namespace aoi::bench
