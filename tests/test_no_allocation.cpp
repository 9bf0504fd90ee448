// The memory plan holds: once an Engine has run one call, a forward pass
// makes no heap allocation. This executable replaces the global operator new
// with a counting one, so it is a test of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include <unistd.h>

#include "aoi/inspector.hpp"
#include "nn/engine.hpp"
#include "weights/location.hpp"
#include "support/naive.hpp"
#include "support/random_resnet.hpp"
#include "support/tiny_bundle.hpp"

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};

void* counted(std::size_t n, std::size_t align) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                              : std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, std::size_t(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace aoi::test {
namespace {

long allocations_during(const std::function<void()>& work) {
  g_allocations = 0;
  g_counting = true;
  work();
  g_counting = false;
  return g_allocations.load();
}

void expect_steady_state_allocates_nothing(const Engine& engine, int batch) {
  const std::size_t per = std::size_t(3) * engine.input_size() * engine.input_size();
  std::mt19937 rng(3);
  const auto inputs = random_floats(per * batch, rng, -100, 100);
  std::vector<float> features(std::size_t(batch) * engine.feature_dim());
  engine.featurize(inputs, batch, features);  // first call: sizes the workspace
  const std::vector<float> first = features;
  const long n = allocations_during([&] {
    for (int i = 0; i < 3; ++i) engine.featurize(inputs, batch, features);
  });
  EXPECT_EQ(n, 0) << "heap allocations in three steady-state calls";
  EXPECT_EQ(features, first);
}

TEST(NoAllocation, CountingAllocatorSeesAllocations) {
  // The counter works: a vector allocates.
  EXPECT_GE(allocations_during([] { std::vector<int> v(100); v[3] = 1; }), 1);
}

TEST(NoAllocation, TinyResNetForwardPassAllocatesNothingAfterTheFirstCall) {
  for (int threads : {1, 2}) {
    auto bytes = tiny_weight_file(TinyResNetSpec{}, 64, std::filesystem::temp_directory_path() / "aoi_test_noalloc");
    const Engine engine(weights::WeightFile::from_bytes(std::move(bytes), "tiny"), EngineOptions{threads});
    ASSERT_EQ(engine.backend(), Backend::kAoi);
    expect_steady_state_allocates_nothing(engine, 2);
  }
}

TEST(NoAllocation, StagesRecipeAllocatesNothingAfterTheFirstCall) {
  auto bytes = tiny_weight_file(TinyResNetSpec{}, 64, std::filesystem::temp_directory_path() / "aoi_test_noalloc_stages");
  EngineOptions options{2};
  options.recipe = FeatureRecipe::kStages;
  const Engine engine(weights::WeightFile::from_bytes(std::move(bytes), "tiny"), options);
  expect_steady_state_allocates_nothing(engine, 2);
}

TEST(NoAllocation, InspectorOnPixelsAllocatesNothingAfterTheFirstCall) {
  const auto dir = std::filesystem::temp_directory_path() / ("aoi_test_noalloc_inspector_" + std::to_string(::getpid()));
  const TinyBundle files = make_tiny_bundle(dir);
  std::vector<std::uint8_t> rgb(50 * 40 * 3), grey(50 * 40);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = std::uint8_t(i * 7);
  for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = std::uint8_t(i * 3);
  for (int threads : {1, 2}) {
    const Inspector inspector = Inspector::open(files.bundle, {threads, files.weights});
    const PixelView colour{rgb.data(), 50, 40, 150, 3}, mono{grey.data(), 50, 40, 50, 1};
    const Inspection first = inspector.inspect(colour);  // sizes the scratch
    Inspection again{};
    const long n = allocations_during([&] {
      again = inspector.inspect(colour);
      inspector.inspect(colour, Region{5, 5, 30, 20});
      inspector.inspect(mono);
    });
    EXPECT_EQ(n, 0) << "heap allocations in steady-state inspections at " << threads << " threads";
    EXPECT_EQ(again.p_fail, first.p_fail);
  }
  std::filesystem::remove_all(dir);
}

TEST(NoAllocation, ResNet50ForwardPassAllocatesNothingAfterTheFirstCall) {
  if (!std::filesystem::exists(weights::default_location())) GTEST_SKIP() << "no weights; run weights/fetch.sh";
  const Engine engine = Engine::load(weights::default_location(), EngineOptions{2});
  expect_steady_state_allocates_nothing(engine, 1);
}

}  // namespace
}  // namespace aoi::test
