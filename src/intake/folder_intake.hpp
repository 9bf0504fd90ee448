// Folder intake (`aoi watch`): AOI machines drop images into a folder; each
// new, completely written file is inspected into the results store exactly
// once and moved to done/ or failed/ (with NAME.reason.txt).
//
// Complete: a file's size and modification time stayed the same for
// `settle` (a file renamed in is complete at once but waits too; names
// starting with '.' or ending in .tmp or .part are never taken: write under
// such a name and rename to hand a file over without any wait risk).
// Exactly once: a file is known by its name and content (SHA-256). Its row
// and its intake record commit in one transaction before the file is moved;
// a file found again with an outcome recorded (a crash between commit and
// move, or the same file dropped twice) is only moved.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "io/image.hpp"
#include "serve/model_slot.hpp"
#include "store/results_store.hpp"

namespace aoi::intake {

struct IntakeOptions {
  std::chrono::milliseconds settle{1000};
  io::ImageLimits limits;
  std::function<void(const std::string&)> log;  // one line per handled file
};

struct ScanCounts {
  int done = 0, failed = 0, repeated = 0;  // handled in this scan
  int waiting = 0;                         // seen, not yet settled
};

class FolderIntake {
 public:
  FolderIntake(std::filesystem::path in_dir, store::ResultsStore& store, serve::ModelSlot& model,
               IntakeOptions options);
  ScanCounts scan();

 private:
  void handle(const std::filesystem::path& file, ScanCounts& counts);
  void move_to(const std::filesystem::path& file, const std::string& folder, const std::string& sha256);

  struct Seen {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    std::chrono::steady_clock::time_point since;
  };
  std::filesystem::path in_;
  store::ResultsStore& store_;
  serve::ModelSlot& model_;
  IntakeOptions options_;
  std::map<std::string, Seen> seen_;
};

}  // namespace aoi::intake
