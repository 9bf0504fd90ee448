// CSV parsing, manifest validation (errors name the line) and time parsing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/require.hpp"
#include "io/csv.hpp"
#include "pipeline/manifest.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

pipeline::ManifestOptions needing(bool labels, bool time) {
  pipeline::ManifestOptions o;
  o.need_labels = labels;
  o.need_time = time;
  return o;
}

TEST(Csv, QuotesEscapesLineEndsAndBlankLines) {
  const auto rows = io::parse_csv("\xEF\xBB\xBFpath,label\r\n\"a,b.png\",pass\n\n\"say \"\"hi\"\"\",\"multi\nline\"\nlast,", "t.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"path", "label"}));
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"a,b.png", "pass"}));
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"say \"hi\"", "multi\nline"}));
  EXPECT_EQ(rows[2].line, 4u);
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"last", ""}));
  EXPECT_EQ(rows[3].line, 6u);
}

TEST(Csv, MalformedQuotingNamesTheLine) {
  try {
    io::parse_csv("a,b\nc,\"open\n", "m.csv");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "m.csv:2: quoted field never closes");
  }
  try {
    io::parse_csv("a\n\"x\"y\n", "m.csv");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "m.csv:2: text after a closing quote");
  }
}

TEST(Csv, FieldsRoundTripThroughQuoting) {
  for (std::string v : {"plain", "a,b", "q\"uote", "line\nbreak", ""}) {
    const auto rows = io::parse_csv(io::csv_field(v) + ",x\n", "t");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].fields[0], v);
  }
}

TEST(Time, IntegersAndIso8601) {
  std::int64_t v;
  bool iso;
  ASSERT_TRUE(pipeline::parse_time("-42", v, iso));
  EXPECT_EQ(v, -42);
  EXPECT_FALSE(iso);
  ASSERT_TRUE(pipeline::parse_time("1970-01-02", v, iso));
  EXPECT_EQ(v, 86'400'000);
  EXPECT_TRUE(iso);
  ASSERT_TRUE(pipeline::parse_time("1970-01-01T01:00:00+01:00", v, iso));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(pipeline::parse_time("1970-01-01 00:00:01.5Z", v, iso));
  EXPECT_EQ(v, 1500);
  // 2000-03-01 is day 11017 after the epoch: 30 years, 7 leap days, Jan + Feb (31 + 29).
  ASSERT_TRUE(pipeline::parse_time("2000-03-01T00:00Z", v, iso));
  EXPECT_EQ(v, (30 * 365 + 7 + 31 + 29) * 86'400'000LL);
  ASSERT_TRUE(pipeline::parse_time("2024-02-29", v, iso));
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-01-01T25:00", "yesterday", "12a", "", "2024-01-01T10:00+2"})
    EXPECT_FALSE(pipeline::parse_time(bad, v, iso)) << bad;
}

class Manifest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aoi_test_manifest_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "img");
    for (const char* name : {"a.png", "b.png", "c.png", "d.png"}) std::ofstream(dir_ / "img" / name) << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& text) {
    const auto path = dir_ / "m.csv";
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(Manifest, GoodRowsResolvePathsRegionsLabelsAndTimes) {
  const auto m = pipeline::read_manifest(
      write("path,label,time,group,x,y,w,h,note\n"
            "img/a.png,pass,3,g1,1,2,30,40,anything\n"
            + (dir_ / "img/b.png").string() + ",FAIL,5,g1,,,,\n"
            "img/c.png,1,-7,,,,,\n"),
      needing(true, true));
  ASSERT_TRUE(m.skipped.empty()) << m.skipped[0];
  ASSERT_EQ(m.items.size(), 3u);
  EXPECT_EQ(m.items[0].path, (dir_ / "img/a.png").string());
  ASSERT_TRUE(m.items[0].roi);
  EXPECT_EQ(m.items[0].roi->x, 1);
  EXPECT_EQ(m.items[0].roi->height, 40);
  EXPECT_EQ(m.items[0].label, 0);
  EXPECT_EQ(m.items[0].group, "g1");
  EXPECT_EQ(m.items[0].line, 2u);
  EXPECT_FALSE(m.items[1].roi);
  EXPECT_EQ(m.items[1].label, 1);
  EXPECT_EQ(m.items[2].label, 1);
  EXPECT_EQ(m.items[2].time, -7);
  EXPECT_EQ(m.classes, (std::vector<std::string>{"pass", "fail"}));
  EXPECT_FALSE(m.multiclass);
}

TEST_F(Manifest, BadRowsAreSkippedWithTheirLineAndReason) {
  const auto path = write(
      "path,label,time,x,y,w,h\n"
      "img/a.png,pass,1,,,,\n"
      "img/missing.png,pass,2,,,,\n"
      "img/b.png,maybe,3,,,,\n"
      "img/b.png,fail,soon,,,,\n"
      "img/b.png,fail,2024-01-01,,,,\n"
      "img/c.png,fail,4,1,2,0,5\n"
      "img/c.png,fail,5,1,2,3\n"
      ",pass,6,,,,\n"
      "img/c.png,fail,7,,,,\n");
  const auto m = pipeline::read_manifest(path, needing(true, true));
  ASSERT_EQ(m.items.size(), 2u);
  EXPECT_EQ(m.items[0].line, 2u);
  EXPECT_EQ(m.items[1].line, 10u);
  const std::string p = path.string();
  const std::vector<std::string> expected{
      p + ":3: " + (dir_ / "img/missing.png").string() + ": no such file",
      p + ":4: unknown label 'maybe' (expected pass, fail, 0 or 1; multi-class manifests need --classes)",
      p + ":5: unparsable time 'soon' (an integer or ISO-8601 such as 2024-05-01T08:30:00Z)",
      p + ":6: time '2024-01-01' is ISO-8601 but line 2's is an integer; use one kind",
      p + ":7: bad region '1,2,0,5' (x,y >= 0 and w,h > 0, integers)",
      p + ":8: bad region '1,2,3,' (x,y >= 0 and w,h > 0, integers)",
      p + ":9: no path"};
  EXPECT_EQ(m.skipped, expected);
}

TEST_F(Manifest, HeaderProblemsAreErrors) {
  auto message = [&](const std::string& text, pipeline::ManifestOptions o = {}) {
    try {
      pipeline::read_manifest(write(text), o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string p = (dir_ / "m.csv").string();
  EXPECT_EQ(message("file,label\n"), p + ":1: the header has no 'path' column (expected path,label,time[,group][,x,y,w,h])");
  EXPECT_EQ(message("path,label,label\n"), p + ":1: column 'label' appears twice");
  EXPECT_EQ(message("path,x,y\n"), p + ":1: a region needs all four columns x,y,w,h");
  EXPECT_EQ(message("path,time\n", needing(true, false)), p + ":1: the header has no 'label' column");
  EXPECT_EQ(message("path,label\n", needing(false, true)), p + ":1: the header has no 'time' column");
  EXPECT_EQ(message(""), p + ": the manifest is empty (it needs a header: path,label,time)");
  EXPECT_NE(message("path\n\"img/a.png\n").find(p + ":2: quoted field never closes"), std::string::npos);
}

TEST_F(Manifest, MultiClassLabels) {
  const auto path = write("path,label\nimg/a.png,spur\nimg/b.png,pass\nimg/c.png,open\nimg/d.png,short\n");
  pipeline::ManifestOptions discover;
  discover.discover_classes = true;
  const auto found = pipeline::read_manifest(path, discover);
  EXPECT_TRUE(found.multiclass);
  EXPECT_EQ(found.classes, (std::vector<std::string>{"pass", "open", "short", "spur"}));
  EXPECT_EQ(found.items[0].label, 3);
  EXPECT_EQ(found.items[1].label, 0);

  pipeline::ManifestOptions named;
  named.classes = {"pass", "spur", "open"};
  const auto given = pipeline::read_manifest(path, named);
  ASSERT_EQ(given.items.size(), 3u);
  EXPECT_EQ(given.items[0].label, 1);
  ASSERT_EQ(given.skipped.size(), 1u);
  EXPECT_EQ(given.skipped[0], path.string() + ":5: unknown label 'short' (expected pass, spur, open)");
}

TEST_F(Manifest, ScoringNeedsNeitherLabelsNorTimes) {
  const auto m = pipeline::read_manifest(write("path\nimg/a.png\nimg/b.png\n"));
  ASSERT_EQ(m.items.size(), 2u);
  EXPECT_FALSE(m.has_labels);
  EXPECT_EQ(m.items[1].label, -1);
}

}  // namespace
}  // namespace aoi::test
