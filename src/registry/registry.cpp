#include "registry/registry.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "aoi/error.hpp"
#include "io/atomic_file.hpp"
#include "pipeline/bundle.hpp"
#include "serve/iso_time.hpp"

namespace aoi::registry {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kIo, path.string() + ": cannot read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An exclusive lock on DIR/.lock for one change of the registry.
class Lock {
 public:
  explicit Lock(const fs::path& dir) {
    const fs::path file = dir / ".lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw Error(ErrorKind::kIo, file.string() + ": cannot lock the registry");
  }
  ~Lock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

bool valid_version(const std::string& v) {
  if (v.size() != 20 || v.rfind("aoi-", 0) != 0) return false;
  for (std::size_t i = 4; i < v.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(v[i]))) return false;
  return true;
}

json to_json(const Switch& s) {
  return json{{"at", s.at}, {"who", s.who}, {"action", s.action}, {"version", s.version}, {"previous", s.previous}};
}

}  // namespace

Registry::Registry(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_ / "versions", ec);
  if (ec) throw Error(ErrorKind::kIo, dir_.string() + ": cannot create the registry: " + ec.message());
}

fs::path Registry::version_dir(const std::string& version) const {
  if (!valid_version(version))
    throw Error(ErrorKind::kInvalidArgument, "'" + version + "' is not a model version (aoi- and 16 hex digits)");
  return dir_ / "versions" / version;
}

fs::path Registry::bundle_path(const std::string& version) const { return version_dir(version) / "model.json"; }

bool Registry::contains(const std::string& version) const {
  std::error_code ec;
  return valid_version(version) && fs::is_regular_file(bundle_path(version), ec);
}

std::string Registry::add(const fs::path& bundle) {
  const pipeline::ModelBundle b = pipeline::load_bundle(bundle);  // throws naming the file when it is not one
  Lock lock(dir_);
  if (contains(b.model_version)) return b.model_version;
  const fs::path folder = version_dir(b.model_version);
  fs::create_directories(folder);
  // The new folder's entry must reach the disk before `current` can name it.
  io::sync_folder(dir_ / "versions");
  const std::string bytes = read_text(bundle);
  io::write_file_atomically(folder / "model.json", bytes);
  ::chmod((folder / "model.json").c_str(), 0444);  // versions are immutable
  return b.model_version;
}

std::vector<VersionInfo> Registry::list() const {
  const auto now = current();
  std::vector<VersionInfo> out;
  for (const auto& entry : fs::directory_iterator(dir_ / "versions")) {
    const std::string v = entry.path().filename().string();
    if (!contains(v)) continue;
    VersionInfo info{v, "", now && *now == v};
    try {
      info.created = json::parse(read_text(bundle_path(v))).value("created", "");
    } catch (const std::exception&) {
    }
    out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
  return out;
}

std::optional<std::string> Registry::current() const {
  std::error_code ec;
  if (!fs::exists(dir_ / "current", ec)) return std::nullopt;
  std::string v = read_text(dir_ / "current");
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
  if (!valid_version(v)) throw Error(ErrorKind::kBadData, (dir_ / "current").string() + ": not a model version");
  return v;
}

std::vector<Switch> Registry::history() const {
  std::error_code ec;
  if (!fs::exists(dir_ / "history.json", ec)) return {};
  const fs::path file = dir_ / "history.json";
  std::vector<Switch> out;
  try {
    for (const auto& j : json::parse(read_text(file)))
      out.push_back({j.at("at"), j.at("who"), j.at("action"), j.at("version"), j.at("previous")});
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kBadData, file.string() + ": " + e.what());
  }
  return out;
}

Switch Registry::record(const std::string& action, const std::string& version, const std::string& who) {
  auto past = history();
  Switch s{serve::iso8601_utc(serve::now_unix_ms()), who, action, version, current().value_or("")};
  json all = json::array();
  for (const auto& h : past) all.push_back(to_json(h));
  all.push_back(to_json(s));
  // The history first: a crash between the two leaves a recorded switch that
  // did not happen, never a switch without its record.
  io::write_file_atomically(dir_ / "history.json", all.dump(1) + "\n");
  io::write_file_atomically(dir_ / "current", version + "\n");
  return s;
}

Switch Registry::promote(const std::string& version, const std::string& who,
                         const std::optional<std::string>& expected) {
  if (!contains(version))
    throw Error(ErrorKind::kInvalidArgument, dir_.string() + ": no version " + version + " (add it first)");
  Lock lock(dir_);
  const auto now = current();
  if (now == version) throw Error(ErrorKind::kInvalidArgument, version + " is already in service");
  if (expected && now != expected)
    throw Error(ErrorKind::kInvalidArgument, "the version in service changed to " + now.value_or("none") +
                                                 " while the gate judged against " + *expected + "; gate again");
  return record("promote", version, who);
}

Switch Registry::rollback(const std::string& who) {
  Lock lock(dir_);
  const auto now = current();
  if (!now) throw Error(ErrorKind::kInvalidArgument, dir_.string() + ": no version in service to roll back");
  const auto past = history();
  // The switch that put the current version in service names what it replaced.
  for (auto it = past.rbegin(); it != past.rend(); ++it) {
    if (it->version != *now) continue;
    if (it->previous.empty()) break;
    if (it->action == "rollback") continue;  // rolled back to: look for its own promotion
    if (!contains(it->previous))
      throw Error(ErrorKind::kBadData, dir_.string() + ": " + it->previous + " is missing from versions/");
    return record("rollback", it->previous, who);
  }
  throw Error(ErrorKind::kInvalidArgument, *now + " replaced no earlier version: nothing to roll back to");
}

}  // namespace aoi::registry
