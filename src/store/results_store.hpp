// The results store of `aoi serve`: a folder with results.sqlite (every
// inspection, its verdict and later its label) and images/ (every inspected
// image, content-addressed; image_archive.hpp). Writes are transactions with
// synchronous=FULL in WAL mode: once insert() returns, the rows survive a
// crash of the process or of the machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/image_archive.hpp"
#include "store/sqlite.hpp"

namespace aoi::store {

struct StoredRoi {
  std::int64_t x = 0, y = 0, width = 0, height = 0;
};

struct InspectionRecord {
  std::int64_t id = 0;  // set by insert()
  std::optional<std::string> item;
  std::string received_at;  // ISO 8601 UTC
  std::int64_t received_ms = 0;
  double p_fail = 0;
  std::string verdict;  // pass, review or fail
  std::string model_version;
  std::string image_sha256, content_type;
  std::int64_t image_bytes = 0;
  std::optional<StoredRoi> roi;
  double elapsed_ms = 0;
  std::optional<std::string> label, labelled_by, labelled_at;
};

struct ResultsQuery {
  std::optional<std::string> verdict;
  std::optional<std::int64_t> since_ms;   // received at or after
  std::optional<std::int64_t> before_id;  // paging: ids below this one
  int limit = 100;
};

struct LabelChange {
  std::int64_t id = 0;
  std::optional<std::string> label, previous;  // nullopt: none (withdrawn)
  std::string by, at;
};

struct AuditEntry {
  std::int64_t id = 0;
  std::string at, who, action, subject;
  std::optional<std::string> before, after;
};

struct OutboxEvent {
  std::int64_t id = 0;
  std::string kind, body;
  std::int64_t attempts = 0;
};

class ResultsStore {
 public:
  // Creates DIR, results.sqlite and images/ when absent, and migrates the
  // schema to this build's version. Throws aoi::Error naming the file when
  // the database is not one, is damaged, or is newer than this build.
  // The service opens it as the owner, which also removes the temporary
  // files a crash left in the archive; tools beside a running service must not.
  enum class Role { kOwner, kTool };
  explicit ResultsStore(const std::filesystem::path& dir, Role role = Role::kOwner);

  // Inserts the records in one transaction and sets their ids. With
  // notifications on, each `fail` also queues an outbox event in the same
  // transaction, so that no committed fail goes unannounced.
  void insert(std::span<InspectionRecord> records);
  void set_notify_fails(bool on) { notify_fails_ = on; }

  // Sets the label of result `id` (nullopt withdraws it: undo), appends to
  // its history and to the audit log, in one transaction. nullopt when there
  // is no such result.
  std::optional<LabelChange> set_label(std::int64_t id, const std::optional<std::string>& label,
                                       const std::string& by, const std::string& at);
  std::vector<LabelChange> label_history(std::int64_t id);
  // The review queue: unlabelled `review` results oldest first, then (with
  // include_fail) unlabelled `fail` ones; `remaining` counts all of them.
  struct ReviewQueue {
    std::vector<InspectionRecord> items;
    std::int64_t remaining = 0;
  };
  ReviewQueue review_queue(bool include_fail, int limit);
  // Every labelled result, oldest first (retraining).
  std::vector<InspectionRecord> labelled();

  void append_audit(const AuditEntry& entry);
  std::vector<AuditEntry> audit_log(std::optional<std::string> since_iso);

  // Folder intake (`aoi watch`): a file is known by its name and content.
  // The outcome recorded for it, if any: "done" or "failed".
  std::optional<std::string> intake_outcome(const std::string& name, const std::string& sha256);
  // Inserts the record and marks the file done in one transaction.
  void insert_intake(InspectionRecord& record, const std::string& name);
  void intake_failed(const std::string& name, const std::string& sha256, const std::string& reason,
                     const std::string& at);

  // Notification outbox.
  void enqueue_event(const std::string& kind, const std::string& body, const std::string& at, std::int64_t now_ms);
  std::vector<OutboxEvent> due_events(std::int64_t now_ms, int limit);
  void event_delivered(std::int64_t id, const std::string& at);
  // A failed attempt: retried at next_ms, or dead when `dead`.
  void event_failed(std::int64_t id, const std::string& error, std::int64_t next_ms, bool dead);
  std::int64_t pending_events();
  std::optional<InspectionRecord> get(std::int64_t id);
  // Newest first.
  std::vector<InspectionRecord> list(const ResultsQuery& query);
  std::int64_t count();

  // Problems found: PRAGMA integrity_check, and every row's image archived
  // with the right hash. Empty when healthy.
  std::vector<std::string> check();
  struct Pruned {
    std::int64_t rows = 0, images = 0;
  };
  // Deletes rows received before `before_ms`, then the archived images no row
  // refers to that were last written or reused before it too, and not in the
  // last ten minutes (an image a request is about to commit is recent).
  Pruned prune(std::int64_t before_ms);

  int schema_version();
  std::string integrity_check();  // "ok" when healthy
  // A consistent copy of the database through SQLite's online backup API,
  // safe while the service writes; the copy is fsynced before it is renamed
  // into place.
  void backup_to(const std::filesystem::path& file);

  ImageArchive& images() { return images_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void insert_event(const std::string& kind, const std::string& body, const std::string& at, std::int64_t now_ms);
  void insert_audit(const AuditEntry& entry);  // inside the caller's lock
  void insert_rows(std::span<InspectionRecord> records);  // inside the caller's transaction

  std::filesystem::path dir_;
  ImageArchive images_;
  bool notify_fails_ = false;
  std::mutex write_mutex_, read_mutex_;
  Database writer_, reader_;
};

// The schema version recorded in an open database (0 when it has none).
int schema_version_of(Database& db);
// Applies the missing migrations; throws when the database is newer.
void migrate(Database& db);

}  // namespace aoi::store
