#include "intake/folder_intake.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "aoi/error.hpp"
#include "io/atomic_file.hpp"
#include "serve/iso_time.hpp"
#include "store/image_archive.hpp"

namespace aoi::intake {
namespace fs = std::filesystem;

namespace {

bool handed_over(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  for (const char* suffix : {".tmp", ".part", ".reason.txt"})
    if (name.size() >= std::strlen(suffix) && name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      return false;
  return true;
}

}  // namespace

FolderIntake::FolderIntake(fs::path in_dir, store::ResultsStore& store, serve::ModelSlot& model,
                           IntakeOptions options)
    : in_(std::move(in_dir)), store_(store), model_(model), options_(std::move(options)) {
  if (!fs::is_directory(in_)) throw Error(ErrorKind::kIo, in_.string() + ": not a folder");
  for (const char* sub : {"done", "failed"}) {
    std::error_code ec;
    fs::create_directories(in_ / sub, ec);
    if (ec) throw Error(ErrorKind::kIo, (in_ / sub).string() + ": cannot create: " + ec.message());
  }
}

ScanCounts FolderIntake::scan() {
  ScanCounts counts;
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, Seen> still;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(in_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || !handed_over(name)) continue;
    const auto size = entry.file_size(ec);
    const auto mtime = entry.last_write_time(ec);
    if (ec) continue;  // gone meanwhile
    auto it = seen_.find(name);
    Seen s{size, mtime, now};
    if (it != seen_.end() && it->second.size == size && it->second.mtime == mtime) s.since = it->second.since;
    if (now - s.since < options_.settle) {
      ++counts.waiting;
      still[name] = s;
      continue;
    }
    try {
      handle(entry.path(), counts);
    } catch (const std::exception& e) {
      // The store or the folder failed (not the file): keep it for the next scan.
      if (options_.log) options_.log(name + ": not handled, will retry: " + e.what());
      ++counts.waiting;
      still[name] = s;
    }
  }
  seen_ = std::move(still);
  return counts;
}

void FolderIntake::handle(const fs::path& file, ScanCounts& counts) {
  const std::string name = file.filename().string();
  std::vector<std::uint8_t> bytes;
  try {
    bytes = io::read_file(file, options_.limits.max_file_bytes);
  } catch (const Error& e) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return;  // taken away meanwhile
    // Unreadable or over the size limit: a fault of the file, not the store.
    io::write_file_atomically(in_ / "failed" / (name + ".reason.txt"), std::string(e.what()) + "\n");
    store_.intake_failed(name, "", e.what(), serve::iso8601_utc(serve::now_unix_ms()));
    move_to(file, "failed", "unreadable00");
    ++counts.failed;
    if (options_.log) options_.log(name + ": failed: " + e.what());
    return;
  }
  const std::string sha = store::sha256_hex(bytes);
  if (const auto outcome = store_.intake_outcome(name, sha)) {
    move_to(file, *outcome, sha);
    ++counts.repeated;
    if (options_.log) options_.log(name + ": already inspected (" + *outcome + "); moved to " + *outcome + "/");
    return;
  }
  const auto model = model_.current();
  if (!model) throw Error(ErrorKind::kUnsupported, "no model loaded");
  const auto received = std::chrono::steady_clock::now();
  const std::int64_t received_ms = serve::now_unix_ms();
  Inspection result;
  try {
    const io::Image image = io::decode_image(bytes, file.string(), options_.limits);
    result = model->inspector.inspect(
        PixelView{image.rgb.data(), image.width, image.height, std::ptrdiff_t(image.width) * 3, 3});
  } catch (const Error& e) {
    const std::string at = serve::iso8601_utc(received_ms);
    io::write_file_atomically(in_ / "failed" / (name + ".reason.txt"), std::string(e.what()) + "\n");
    store_.intake_failed(name, sha, e.what(), at);
    move_to(file, "failed", sha);
    ++counts.failed;
    if (options_.log) options_.log(name + ": failed: " + e.what());
    return;
  }
  store::InspectionRecord r;
  r.item = name;
  r.received_ms = received_ms;
  r.received_at = serve::iso8601_utc(received_ms);
  r.p_fail = result.p_fail;
  r.verdict = verdict_name(result.verdict);
  r.model_version = model->version;
  r.content_type = io::content_type(io::sniff_format(bytes));
  r.image_bytes = std::int64_t(bytes.size());
  r.image_sha256 = store_.images().put(bytes);
  r.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received).count();
  store_.insert_intake(r, name);
  move_to(file, "done", sha);
  ++counts.done;
  if (options_.log) options_.log(name + ": " + r.verdict + " (result " + std::to_string(r.id) + ")");
}

void FolderIntake::move_to(const fs::path& file, const std::string& folder, const std::string& sha256) {
  fs::path target = in_ / folder / file.filename();
  std::error_code ec;
  if (fs::exists(target, ec))  // an earlier file of that name: keep both
    target = in_ / folder / (file.stem().string() + "." + sha256.substr(0, 12) + file.extension().string());
  fs::rename(file, target, ec);
  if (ec) throw Error(ErrorKind::kIo, file.string() + ": cannot move to " + target.string() + ": " + ec.message());
  io::sync_folder(in_ / folder);
  io::sync_folder(in_);
}

}  // namespace aoi::intake
