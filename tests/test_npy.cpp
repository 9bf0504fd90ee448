#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/require.hpp"
#include "io/npy.hpp"

namespace aoi::test {
namespace {

// One directory per test process, removed at exit so that runs leave nothing in /tmp.
struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("aoi_npy_" + std::to_string(getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::filesystem::path temp(const std::string& name) {
  static const TempDir dir;
  return dir.path / name;
}

TEST(Npy, RoundTripsTwoAndOneDimensionalArrays) {
  const std::vector<float> values{1.5f, -2, 3, 4.25f, 5, 6};
  io::write_npy(temp("a.npy"), {2, 3}, values.data());
  const auto a = io::read_npy(temp("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values, values);
  io::write_npy(temp("b.npy"), {6}, values.data());
  EXPECT_EQ(io::read_npy(temp("b.npy")).shape, (std::vector<std::int64_t>{6}));
  // The header is padded so the data starts on a 64-byte boundary (NumPy's rule).
  EXPECT_EQ((std::filesystem::file_size(temp("a.npy")) - values.size() * 4) % 64, 0u);
}

TEST(Npy, WrongDtypeAndTruncatedDataAreErrorsNamingTheFile) {
  const std::vector<float> values{1, 2, 3, 4};
  io::write_npy(temp("c.npy"), {2, 2}, values.data());
  std::filesystem::resize_file(temp("c.npy"), std::filesystem::file_size(temp("c.npy")) - 4);
  EXPECT_THROW(
      {
        try {
          io::read_npy(temp("c.npy"));
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(temp("c.npy").string() + ": not a readable .npy file: data holds 12 bytes"),
                    std::string::npos);
          throw;
        }
      },
      Error);
  std::ofstream(temp("d.npy"), std::ios::binary) << std::string("\x93NUMPY\x01\x00\x20\x00", 10)
                                                 << "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }";
  EXPECT_THROW(io::read_npy(temp("d.npy")), Error);
  std::ofstream(temp("e.npy")) << "hello";
  EXPECT_THROW(io::read_npy(temp("e.npy")), Error);
}

}  // namespace
}  // namespace aoi::test
