// Regressions for the defects of the reliability review (docs/reliability.md):
// each test failed before its fix.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "aoi/inspector.hpp"
#include "gbdt/model.hpp"
#include "io/atomic_file.hpp"
#include "io/image.hpp"
#include "io/mapped_file.hpp"
#include "pipeline/bundle.hpp"
#include "weights/guarded_read.hpp"
#include "io/npy.hpp"
#include "nn/engine.hpp"
#include "pipeline/manifest.hpp"
#include "inspector/score.hpp"
#include "support/random_resnet.hpp"
#include "support/tiny_bundle.hpp"
#include "support/error_of.hpp"
#include "support/scratch_dir.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const auto dir = process_scratch("aoi_test_reliability") / name;
  fs::create_directories(dir);
  return dir;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// 1. Layer shapes are checked against the architecture at load.
TEST(Reliability, StemWithOtherThanThreeInputChannelsIsRefusedAtLoad) {
  TinyResNetSpec spec;
  StateDict state = make_torchvision_state(spec);
  auto& stem = state.at("conv1.weight");
  stem.shape = {spec.stem, 4, 7, 7};
  stem.values.resize(std::size_t(spec.stem) * 4 * 49, 0.01f);
  const auto bytes = weight_file_of_state(state, spec.classes, 64, scratch("stem"));
  const std::string msg = error_of([&] { Engine(weights::WeightFile::from_bytes(bytes, "four.aoiw"), EngineOptions{1}); });
  EXPECT_NE(msg.find("four.aoiw: stem takes 4 input channels; it must take 3"), std::string::npos) << msg;
  for (Backend b : {Backend::kEigen})  // the reference path that crashed on it
    EXPECT_NE(error_of([&] { Engine(weights::WeightFile::from_bytes(bytes, "four.aoiw"), EngineOptions{1, b}); })
                  .find("input channels"),
              std::string::npos);
}

TEST(Reliability, BottleneckLayerWithTheWrongKernelIsRefusedAtLoad) {
  TinyResNetSpec spec;
  StateDict state = make_torchvision_state(spec);
  auto& conv = state.at("layer1.0.conv1.weight");  // a 1x1 in every ResNet
  const auto out = conv.shape[0], in = conv.shape[1];
  conv.shape = {out, in, 3, 3};
  conv.values.assign(std::size_t(out * in * 9), 0.01f);
  const auto bytes = weight_file_of_state(state, spec.classes, 64, scratch("kernel"));
  EXPECT_NE(error_of([&] { Engine(weights::WeightFile::from_bytes(bytes, "k.aoiw"), EngineOptions{1}); })
                .find("layer1.0.conv1 has a 3x3 kernel; this ResNet layer is 1x1"),
            std::string::npos);
}

// 2. The one writer: the old file survives a failed write; writers don't clobber each other.
TEST(Reliability, AFailedWriteLeavesThePreviousFileAndNoTemporary) {
  const fs::path dir = scratch("atomic"), path = dir / "out.bin";
  io::write_file_atomically(path, std::string("previous"));
  // A file size limit below the new content: write() fails with EFBIG.
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 4096;
  setrlimit(RLIMIT_FSIZE, &small);
  const std::string msg = error_of([&] { io::write_file_atomically(path, std::string(100000, 'x')); });
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(msg.find(path.string() + ": write failed: File too large"), std::string::npos) << msg;
  EXPECT_EQ(read_text(path), "previous");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += (void(e), 1);
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";

  EXPECT_NE(error_of([&] { io::write_file_atomically(dir, std::string("x")); }).find("is a folder, not a file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { io::write_file_atomically(dir / "no" / "such" / "f", std::string("x")); }).find("cannot create"),
            std::string::npos);
}

// Bundles are read through a read-only mapping: the same bytes as a read,
// an empty file is an empty view, and what read_file refuses is refused
// with the same words.
TEST(Reliability, AMappedFileHoldsTheFileOrAnErrorNamingIt) {
  const fs::path dir = scratch("mapped");
  const fs::path path = dir / "blob.bin";
  std::string bytes(70000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = char(i * 7 + 3);
  io::write_file_atomically(path, bytes);
  const io::MappedFile file = io::MappedFile::open(path, 1 << 20);
  ASSERT_EQ(file.bytes().size(), bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const char*>(file.bytes().data())));
  io::MappedFile moved = io::MappedFile::open(path, 1 << 20);
  moved = io::MappedFile::open(path, 1 << 20);  // the first mapping is released, not leaked or doubly unmapped
  EXPECT_EQ(moved.bytes().size(), bytes.size());

  io::write_file_atomically(dir / "empty", std::string());
  EXPECT_TRUE(io::MappedFile::open(dir / "empty", 10).bytes().empty());
  EXPECT_EQ(error_of([&] { io::MappedFile::open(dir / "missing", 10); }), (dir / "missing").string() + ": no such file");
  EXPECT_EQ(error_of([&] { io::MappedFile::open(dir, 10); }), dir.string() + ": is a folder, not a file");
  EXPECT_EQ(error_of([&] { io::MappedFile::open(path, 100); }),
            path.string() + ": file has 70000 bytes, over the limit of 100");
}

TEST(Reliability, ConcurrentWritersOfOnePathNeverTearIt) {
  const fs::path path = scratch("race") / "shared.txt";
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w)
    writers.emplace_back([&, w] {
      for (int k = 0; k < 20; ++k) io::write_file_atomically(path, std::string(50000, char('a' + w)));
    });
  for (auto& t : writers) t.join();
  const std::string text = read_text(path);
  ASSERT_EQ(text.size(), 50000u);
  EXPECT_EQ(text.find_first_not_of(text[0]), std::string::npos) << "mixed content from two writers";
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(path.parent_path())) files += (void(e), 1);
  EXPECT_EQ(files, 1u);
}

// 3. Features' identity covers the weight file's header, not only its payload.
TEST(Reliability, SamePayloadOtherPreprocessingIsAnotherFeatureIdentity) {
  const fs::path dir = scratch("identity");
  const TinyBundle tiny = make_tiny_bundle(dir);
  // The same tensors with another mean in the header.
  const auto original = weights::WeightFile::open(tiny.weights);
  weights::ModelDescription d = original.description();
  d.preprocess.mean[0] += 1.0f;
  weights::WeightWriter writer;
  for (const auto& t : original.tensors()) {
    const auto v = original.data(t.name);
    writer.add(t.name, t.shape, std::vector<float>(v.begin(), v.end()));
  }
  writer.write(dir / "shifted.aoiw", d);
  const Engine a = Engine::load(tiny.weights, EngineOptions{1}), b = Engine::load(dir / "shifted.aoiw", EngineOptions{1});
  EXPECT_EQ(a.weights().payload_hash(), b.weights().payload_hash());
  EXPECT_NE(a.feature_identity(), b.feature_identity());
  const std::string msg = error_of([&] { Inspector::open(tiny.bundle, {1, dir / "shifted.aoiw"}); });
  EXPECT_NE(msg.find("other preprocessing"), std::string::npos) << msg;
}

// 4. A GBDT model whose nodes are shared (a DAG) is refused.
TEST(Reliability, GbdtModelWithASharedSubtreeIsRefused) {
  gbdt::Model m;
  m.num_features = 2;
  m.base_score = {0.0};
  gbdt::Tree t;
  // node 0 -> node 1 twice; node 1 -> node 2 and leaf 0; node 2 -> leaves 1, 2;
  // node 3 (reached by nothing) -> leaves 3, 4. Every leaf is referenced once
  // and every child follows its parent: only the node count tells.
  t.feature = {0, 1, 0, 1};
  t.threshold = {0.5f, 0.5f, 0.5f, 0.5f};
  t.default_left = {1, 1, 1, 1};
  t.left = {1, 2, ~1, ~3};
  t.right = {1, ~0, ~2, ~4};
  t.gain = {1, 1, 1, 1};
  t.leaf_value = {0.1, 0.2, 0.3, 0.4, 0.5};
  m.trees = {t};
  const std::string dag = error_of([&] { m.validate("dag.json"); });
  EXPECT_NE(dag.find("does not reach node 1 exactly once"), std::string::npos) << dag;
  // Through the JSON loader, as a hostile file would arrive.
  nlohmann::json j = nlohmann::json::parse(gbdt::to_json_text([&] {
    gbdt::Model valid;
    valid.num_features = 2;
    valid.base_score = {0.0};
    gbdt::Tree v;
    v.feature = {0, 1};
    v.threshold = {0.5f, 0.5f};
    v.default_left = {1, 1};
    v.left = {1, ~0};
    v.right = {~2, ~1};
    v.gain = {1, 1};
    v.leaf_value = {0.1, 0.2, 0.3};
    valid.trees = {v};
    return valid;
  }()));
  j["trees"][0] = {{"feature", t.feature},     {"threshold", t.threshold}, {"default_left", t.default_left},
                   {"left", t.left},           {"right", t.right},         {"gain", t.gain},
                   {"leaf_value", t.leaf_value}};
  EXPECT_NE(error_of([&] { gbdt::from_json_text(j.dump(), "dag.json"); }).find("dag.json"), std::string::npos);
}

// 5. A weight file that shrinks under the process: an error, not SIGBUS.
TEST(Reliability, WeightFileTruncatedWhileLoadingIsAnErrorNotASignal) {
  const fs::path dir = scratch("sigbus");
  TinyResNetSpec spec;
  write_bytes(dir / "w.aoiw", tiny_weight_file(spec, 64, dir));
  auto file = weights::WeightFile::open(dir / "w.aoiw");  // mapped, hashed, pages released
  ASSERT_EQ(::truncate((dir / "w.aoiw").c_str(), 4096), 0);
  const std::string msg = error_of([&] { Engine(std::move(file), EngineOptions{1}); });
  EXPECT_NE(msg.find("the weight file changed while being read"), std::string::npos) << msg;
  // And a file that is already short is refused by its size at open.
  EXPECT_NE(error_of([&] { weights::WeightFile::open(dir / "w.aoiw"); }).find("truncated"), std::string::npos);
}

// A file that shrinks while a parser reads its mapping: the lost pages read
// as zeros, the parser runs to its end (destructors and all), and the
// read is reported as not the file, not as SIGBUS. Untouched, the parser's
// own result and exceptions come through.
TEST(Reliability, AMappingThatShrinksUnderAParserIsAResultNotASignal) {
  const fs::path dir = scratch("read_mapped");
  const fs::path path = dir / "blob.bin";
  const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  io::write_file_atomically(path, std::string(3 * page, 'a'));
  const io::MappedFile file = io::MappedFile::open(path, 1 << 20);
  const io::MappedFile second = io::MappedFile::open(path, 1 << 20);  // its pages are lost afresh below
  const auto bytes = file.bytes();
  std::size_t count = 0;
  auto count_a = [&] {
    std::string copy(reinterpret_cast<const char*>(bytes.data()), bytes.size());  // allocates, has a destructor
    count = std::size_t(std::count(copy.begin(), copy.end(), 'a'));
  };
  EXPECT_TRUE(weights::detail::read_mapped(bytes.data(), bytes.size(), count_a));
  EXPECT_EQ(count, 3 * page);
  EXPECT_THROW(weights::detail::read_mapped(bytes.data(), bytes.size(), [] { throw Error(ErrorKind::kBadData, "x"); }),
               Error);
  ASSERT_EQ(::truncate(path.c_str(), off_t(page)), 0);
  EXPECT_FALSE(weights::detail::read_mapped(bytes.data(), bytes.size(), count_a));
  EXPECT_EQ(count, page) << "the lost pages read as zeros";
  const auto again = second.bytes();
  EXPECT_FALSE(weights::detail::read_mapped(again.data(), again.size(), [&] {
    volatile char last = char(again.back());  // a lost page
    (void)last;
    throw Error(ErrorKind::kBadData, "what a parser says of zeros");
  })) << "the loss, not the parser's complaint";
}

// A bundle that shrinks in place while it loads fails to load, naming it.
TEST(Reliability, ABundleTruncatedInPlaceFailsToLoadWithoutASignal) {
  const fs::path dir = scratch("bundle_truncated");
  const TinyBundle tiny = make_tiny_bundle(dir);
  const std::string text = read_text(tiny.bundle);
  const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  ASSERT_GT(text.size(), 2 * page);
  const io::MappedFile file = io::MappedFile::open(tiny.bundle, 1 << 30);
  ASSERT_EQ(::truncate(tiny.bundle.c_str(), off_t(page)), 0);  // after mapping: the parse meets lost pages
  std::optional<pipeline::ModelBundle> loaded;
  EXPECT_FALSE(weights::detail::read_mapped(file.bytes().data(), file.bytes().size(), [&] {
    loaded.emplace(pipeline::parse_bundle(file.bytes(), tiny.bundle.string()));
  }));
  // Through load_bundle, a file already short is bad JSON, named.
  EXPECT_NE(error_of([&] { pipeline::load_bundle(tiny.bundle); }).find(tiny.bundle.string()), std::string::npos);
}

// 6. Names that are not UTF-8 keep every results line valid JSON.
TEST(Reliability, ResultsLinesStayValidJsonForNamesThatAreNotUtf8) {
  const fs::path dir = scratch("utf8");
  const TinyBundle tiny = make_tiny_bundle(dir);
  const Inspector inspector = Inspector::open(tiny.bundle, {1, tiny.weights});
  const std::vector<pipeline::ImageRegion> items{{"board-\xff\xfe.png", std::nullopt}, {"ok.png", std::nullopt}};
  pipeline::ScoreRun run;
  run.scored = {{0, Inspection{0.5f, Verdict::kReview, -1}}, {1, Inspection{0.1f, Verdict::kPass, -1}}};
  const std::string text = pipeline::format_results(inspector, items, {"fail\xc3", ""}, run, pipeline::ResultsFormat::kJsonl);
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) EXPECT_NO_THROW(nlohmann::json::parse(line)) << line;
  EXPECT_EQ(n, 2);
}

// 7. The same region listed twice: a conflict is refused, a repeat dropped with a warning.
TEST(Reliability, ManifestConflictsAreRefusedAndRepeatsDropped) {
  const fs::path dir = scratch("manifest");
  const std::string conflict = "path,label,x,y,w,h\na.png,pass,1,2,3,4\nb.png,pass\na.png,fail,1,2,3,4\n";
  pipeline::ManifestOptions o;
  o.check_files = false;
  const std::string msg = error_of([&] { pipeline::parse_manifest(conflict, dir / "m.csv", o); });
  EXPECT_NE(msg.find("m.csv:2 and line 4 list the same image region"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'pass' and 'fail'"), std::string::npos) << msg;
  const auto m = pipeline::parse_manifest("path,label\na.png,pass\nb.png,fail\na.png,pass\n", dir / "m.csv", o);
  ASSERT_EQ(m.items.size(), 2u);
  ASSERT_EQ(m.warnings.size(), 1u);
  EXPECT_NE(m.warnings[0].find("m.csv:4: repeats line 2"), std::string::npos) << m.warnings[0];
  // Another region of the same image is another item.
  EXPECT_EQ(pipeline::parse_manifest("path,label,x,y,w,h\na.png,pass,0,0,5,5\na.png,fail,5,5,5,5\n", dir / "m.csv", o)
                .items.size(),
            2u);
}

// 8. .npy shapes: only non-negative integers.
TEST(Reliability, NpyShapesWithNegativeOrFractionalDimensionsAreRefused) {
  auto npy = [](const std::string& shape, std::size_t data_bytes) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header.push_back('\n');
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out.push_back(char(header.size()));
    out.push_back('\0');
    return out + header + std::string(data_bytes, '\0');
  };
  for (const std::string shape : {"(-3, 2)", "(2.5,)", "(3, -0)", "(1e3,)", "(,)", "(2 3,)"}) {
    const auto bytes = npy(shape, 24);
    const std::string msg = error_of([&] { io::parse_npy({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "s.npy"); });
    EXPECT_NE(msg.find("s.npy: not a readable .npy file"), std::string::npos) << shape << ": " << msg;
  }
  const auto good = npy("(3, 2)", 24);
  EXPECT_EQ(io::parse_npy({reinterpret_cast<const std::uint8_t*>(good.data()), good.size()}, "g.npy").shape,
            (std::vector<std::int64_t>{3, 2}));
}

// 9. A folder given as a file says so.
TEST(Reliability, AFolderGivenAsAFileIsNamedAsAFolder) {
  const fs::path dir = scratch("folder");
  EXPECT_NE(error_of([&] { io::read_image(dir); }).find("is a folder, not a file"), std::string::npos);
  EXPECT_NE(error_of([&] { weights::WeightFile::open(dir); }).find("is a folder"), std::string::npos);
}

}  // namespace
}  // namespace aoi::test
