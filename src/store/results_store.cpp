#include "store/results_store.hpp"

#include <chrono>
#include <cstdio>
#include <set>

#include "aoi/error.hpp"
#include "io/atomic_file.hpp"
#include "store/schema.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

namespace aoi::store {
namespace fs = std::filesystem;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path database_file(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw Error(ErrorKind::kIo, dir.string() + ": cannot create the store folder");
  return dir / "results.sqlite";
}

constexpr const char* kColumns =
    "id, item, received_at, received_ms, p_fail, verdict, model_version, image_sha256, content_type, image_bytes, "
    "roi_x, roi_y, roi_w, roi_h, elapsed_ms, label, labelled_by, labelled_at";

InspectionRecord record_of(const Statement& s) {
  InspectionRecord r;
  r.id = s.int64(0);
  r.item = s.optional_text(1);
  r.received_at = s.text(2);
  r.received_ms = s.int64(3);
  r.p_fail = s.real(4);
  r.verdict = s.text(5);
  r.model_version = s.text(6);
  r.image_sha256 = s.text(7);
  r.content_type = s.text(8);
  r.image_bytes = s.int64(9);
  if (!s.is_null(10)) r.roi = StoredRoi{s.int64(10), s.int64(11), s.int64(12), s.int64(13)};
  r.elapsed_ms = s.real(14);
  r.label = s.optional_text(15);
  r.labelled_by = s.optional_text(16);
  r.labelled_at = s.optional_text(17);
  return r;
}

}  // namespace

int schema_version_of(Database& db) {
  Statement has = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  has.step();
  if (has.int64(0) == 0) return 0;
  Statement v = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  v.step();
  return int(v.int64(0));
}

void migrate(Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))");
  const int current = schema_version_of(db);
  if (current > latest_schema_version())
    throw Error(ErrorKind::kUnsupported, db.name() + ": the store has schema version " + std::to_string(current) +
                                             ", newer than this aoi knows (" + std::to_string(latest_schema_version()) +
                                             "); use a newer aoi");
  for (const Migration& m : migrations()) {
    if (m.version <= current) continue;
    Transaction t(db);
    // Another process (serve and watch started together) may have applied it
    // since the version was read: read it again under the write lock.
    if (schema_version_of(db) >= m.version) continue;
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations (version, description) VALUES (?, ?)")
        .bind(1, std::int64_t(m.version))
        .bind(2, std::string(m.description))
        .run();
    t.commit();
  }
}

ResultsStore::ResultsStore(const fs::path& dir, Role role)
    : dir_(dir), images_(dir / "images"), writer_(Database::open(database_file(dir))),
      reader_(Database::open(dir / "results.sqlite")) {
  migrate(writer_);
  if (role == Role::kOwner) images_.remove_leftovers();
}

void ResultsStore::insert(std::span<InspectionRecord> records) {
  std::lock_guard lock(write_mutex_);
  Transaction t(writer_);
  insert_rows(records);
  t.commit();
}

std::optional<std::string> ResultsStore::intake_outcome(const std::string& name, const std::string& sha256) {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare("SELECT outcome FROM intake WHERE name = ? AND sha256 = ?");
  s.bind(1, name).bind(2, sha256);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void ResultsStore::insert_intake(InspectionRecord& record, const std::string& name) {
  std::lock_guard lock(write_mutex_);
  Transaction t(writer_);
  insert_rows(std::span<InspectionRecord>(&record, 1));
  writer_.prepare("INSERT INTO intake (name, sha256, outcome, inspection_id, at) VALUES (?, ?, 'done', ?, ?)")
      .bind(1, name)
      .bind(2, record.image_sha256)
      .bind(3, record.id)
      .bind(4, record.received_at)
      .run();
  t.commit();
}

void ResultsStore::intake_failed(const std::string& name, const std::string& sha256, const std::string& reason,
                                 const std::string& at) {
  std::lock_guard lock(write_mutex_);
  writer_.prepare("INSERT OR IGNORE INTO intake (name, sha256, outcome, reason, at) VALUES (?, ?, 'failed', ?, ?)")
      .bind(1, name)
      .bind(2, sha256)
      .bind(3, reason)
      .bind(4, at)
      .run();
}

void ResultsStore::insert_rows(std::span<InspectionRecord> records) {
  Statement s = writer_.prepare(
      "INSERT INTO inspections (item, received_at, received_ms, p_fail, verdict, model_version, image_sha256, "
      "content_type, image_bytes, roi_x, roi_y, roi_w, roi_h, elapsed_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  for (InspectionRecord& r : records) {
    s.bind(1, r.item).bind(2, r.received_at).bind(3, r.received_ms).bind(4, r.p_fail).bind(5, r.verdict);
    s.bind(6, r.model_version).bind(7, r.image_sha256).bind(8, r.content_type).bind(9, r.image_bytes);
    if (r.roi) s.bind(10, r.roi->x).bind(11, r.roi->y).bind(12, r.roi->width).bind(13, r.roi->height);
    else s.bind_null(10).bind_null(11).bind_null(12).bind_null(13);
    s.bind(14, r.elapsed_ms);
    s.run();
    r.id = writer_.last_insert_id();
    s.reset();
    if (notify_fails_ && r.verdict == "fail") {
      const std::string body = std::string("{\"event\":\"fail\",\"id\":") + std::to_string(r.id) +
                               ",\"received_at\":\"" + r.received_at + "\",\"p_fail\":" + std::to_string(r.p_fail) +
                               ",\"model_version\":\"" + r.model_version + "\"}";
      insert_event("fail", body, r.received_at, r.received_ms);
    }
  }
}

void ResultsStore::insert_event(const std::string& kind, const std::string& body, const std::string& at,
                                std::int64_t now_ms) {
  writer_.prepare("INSERT INTO outbox (created_at, kind, body, next_attempt_ms) VALUES (?, ?, ?, ?)")
      .bind(1, at)
      .bind(2, kind)
      .bind(3, body)
      .bind(4, now_ms)
      .run();
}

void ResultsStore::enqueue_event(const std::string& kind, const std::string& body, const std::string& at,
                                 std::int64_t now_ms) {
  std::lock_guard lock(write_mutex_);
  insert_event(kind, body, at, now_ms);
}

std::vector<OutboxEvent> ResultsStore::due_events(std::int64_t now_ms, int limit) {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare(
      "SELECT id, kind, body, attempts FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY id LIMIT ?");
  s.bind(1, now_ms).bind(2, std::int64_t(limit));
  std::vector<OutboxEvent> out;
  while (s.step()) out.push_back({s.int64(0), s.text(1), s.text(2), s.int64(3)});
  return out;
}

void ResultsStore::event_delivered(std::int64_t id, const std::string& at) {
  std::lock_guard lock(write_mutex_);
  writer_.prepare("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ? WHERE id = ?")
      .bind(1, at)
      .bind(2, id)
      .run();
}

void ResultsStore::event_failed(std::int64_t id, const std::string& error, std::int64_t next_ms, bool dead) {
  std::lock_guard lock(write_mutex_);
  writer_
      .prepare("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ?, state = ? WHERE id = ?")
      .bind(1, error)
      .bind(2, next_ms)
      .bind(3, std::string(dead ? "dead" : "pending"))
      .bind(4, id)
      .run();
}

std::int64_t ResultsStore::pending_events() {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'");
  s.step();
  return s.int64(0);
}

std::optional<LabelChange> ResultsStore::set_label(std::int64_t id, const std::optional<std::string>& label,
                                                   const std::string& by, const std::string& at) {
  std::lock_guard lock(write_mutex_);
  Transaction t(writer_);
  Statement current = writer_.prepare("SELECT label FROM inspections WHERE id = ?");
  current.bind(1, id);
  if (!current.step()) return std::nullopt;
  LabelChange change{id, label, current.optional_text(0), by, at};
  writer_.prepare("UPDATE inspections SET label = ?, labelled_by = ?, labelled_at = ? WHERE id = ?")
      .bind(1, label)
      .bind(2, label ? std::optional<std::string>(by) : std::nullopt)
      .bind(3, label ? std::optional<std::string>(at) : std::nullopt)
      .bind(4, id)
      .run();
  writer_.prepare("INSERT INTO labels (inspection_id, label, labelled_by, labelled_at) VALUES (?, ?, ?, ?)")
      .bind(1, id)
      .bind(2, label)
      .bind(3, by)
      .bind(4, at)
      .run();
  insert_audit({0, at, by, "label", std::to_string(id), change.previous, label});
  t.commit();
  return change;
}

std::vector<LabelChange> ResultsStore::label_history(std::int64_t id) {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare(
      "SELECT label, labelled_by, labelled_at FROM labels WHERE inspection_id = ? ORDER BY id");
  s.bind(1, id);
  std::vector<LabelChange> out;
  std::optional<std::string> previous;
  while (s.step()) {
    out.push_back({id, s.optional_text(0), previous, s.text(1), s.text(2)});
    previous = s.optional_text(0);
  }
  return out;
}

ResultsStore::ReviewQueue ResultsStore::review_queue(bool include_fail, int limit) {
  const std::string where = include_fail ? "label IS NULL AND verdict IN ('review', 'fail')"
                                         : "label IS NULL AND verdict = 'review'";
  std::lock_guard lock(read_mutex_);
  ReviewQueue q;
  // review before fail, each oldest first
  Statement s = reader_.prepare(std::string("SELECT ") + kColumns + " FROM inspections WHERE " + where +
                                " ORDER BY verdict = 'fail', id LIMIT ?");
  s.bind(1, std::int64_t(limit));
  while (s.step()) q.items.push_back(record_of(s));
  Statement n = reader_.prepare("SELECT count(*) FROM inspections WHERE " + where);
  n.step();
  q.remaining = n.int64(0);
  return q;
}

std::vector<InspectionRecord> ResultsStore::labelled() {
  std::lock_guard lock(read_mutex_);
  Statement s =
      reader_.prepare(std::string("SELECT ") + kColumns + " FROM inspections WHERE label IS NOT NULL ORDER BY id");
  std::vector<InspectionRecord> out;
  while (s.step()) out.push_back(record_of(s));
  return out;
}

void ResultsStore::insert_audit(const AuditEntry& e) {
  writer_.prepare("INSERT INTO audit (at, who, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, e.at)
      .bind(2, e.who)
      .bind(3, e.action)
      .bind(4, e.subject)
      .bind(5, e.before)
      .bind(6, e.after)
      .run();
}

void ResultsStore::append_audit(const AuditEntry& entry) {
  std::lock_guard lock(write_mutex_);
  insert_audit(entry);
}

std::vector<AuditEntry> ResultsStore::audit_log(std::optional<std::string> since_iso) {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare(
      "SELECT id, at, who, action, subject, before, after FROM audit WHERE ?1 IS NULL OR at >= ?1 ORDER BY id");
  s.bind(1, since_iso);
  std::vector<AuditEntry> out;
  while (s.step())
    out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.optional_text(5), s.optional_text(6)});
  return out;
}

std::optional<InspectionRecord> ResultsStore::get(std::int64_t id) {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare(std::string("SELECT ") + kColumns + " FROM inspections WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return record_of(s);
}

std::vector<InspectionRecord> ResultsStore::list(const ResultsQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM inspections WHERE 1";
  if (q.verdict) sql += " AND verdict = ?1";
  if (q.since_ms) sql += " AND received_ms >= ?2";
  if (q.before_id) sql += " AND id < ?3";
  sql += " ORDER BY id DESC LIMIT ?4";
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare(sql);
  if (q.verdict) s.bind(1, *q.verdict);
  if (q.since_ms) s.bind(2, *q.since_ms);
  if (q.before_id) s.bind(3, *q.before_id);
  s.bind(4, std::int64_t(q.limit));
  std::vector<InspectionRecord> out;
  while (s.step()) out.push_back(record_of(s));
  return out;
}

std::int64_t ResultsStore::count() {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare("SELECT count(*) FROM inspections");
  s.step();
  return s.int64(0);
}

std::vector<std::string> ResultsStore::check() {
  std::vector<std::string> problems;
  if (const std::string verdict = integrity_check(); verdict != "ok")
    problems.push_back(reader_.name() + ": integrity_check: " + verdict);
  std::vector<std::pair<std::int64_t, std::string>> refs;
  {
    std::lock_guard lock(read_mutex_);
    Statement s = reader_.prepare("SELECT id, image_sha256 FROM inspections ORDER BY id");
    while (s.step()) refs.emplace_back(s.int64(0), s.text(1));
  }
  std::string last_ok;
  for (const auto& [id, sha] : refs) {
    if (sha == last_ok) continue;
    std::string problem;
    try {
      if (!images_.contains(sha)) problem = "missing";
      else if (sha256_hex(images_.get(sha)) != sha) problem = "does not match its hash";
    } catch (const std::exception& e) {
      problem = e.what();
    }
    if (problem.empty()) last_ok = sha;
    else problems.push_back("result " + std::to_string(id) + ": image " + sha + " " + problem);
  }
  return problems;
}

ResultsStore::Pruned ResultsStore::prune(std::int64_t before_ms) {
  Pruned out;
  std::lock_guard lock(write_mutex_);
  // In chunks, each its own short transaction: the service's inserts wait at
  // most one chunk, never the whole prune.
  for (;;) {
    Transaction t(writer_);
    writer_.exec("CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY); DELETE FROM prune_ids");
    writer_.prepare("INSERT INTO prune_ids SELECT id FROM inspections WHERE received_ms < ? ORDER BY id LIMIT 1000")
        .bind(1, before_ms)
        .run();
    Statement n = writer_.prepare("SELECT count(*) FROM prune_ids");
    n.step();
    const std::int64_t chunk = n.int64(0);
    writer_.exec("DELETE FROM labels WHERE inspection_id IN (SELECT id FROM prune_ids);"
                 "DELETE FROM inspections WHERE id IN (SELECT id FROM prune_ids)");
    t.commit();
    out.rows += chunk;
    if (chunk < 1000) break;
  }
  std::set<std::string> referenced;
  Statement s = writer_.prepare("SELECT DISTINCT image_sha256 FROM inspections");
  while (s.step()) referenced.insert(s.text(0));
  // Never an image touched in the last ten minutes, whatever `before` says:
  // a request may be between archiving its image and committing its row.
  const std::int64_t now = now_ms(), cutoff_ms = std::min(before_ms, now - 600'000);
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::milliseconds(now - cutoff_ms);
  out.images = std::int64_t(images_.remove_unreferenced(referenced, cutoff));
  return out;
}

int ResultsStore::schema_version() {
  std::lock_guard lock(read_mutex_);
  return schema_version_of(reader_);
}

std::string ResultsStore::integrity_check() {
  std::lock_guard lock(read_mutex_);
  Statement s = reader_.prepare("PRAGMA integrity_check");
  std::string out;
  while (s.step()) out += (out.empty() ? "" : "; ") + s.text(0);
  return out;
}

void ResultsStore::backup_to(const fs::path& file) {
  // Into a temporary file beside the target, then renamed: a reader of the
  // target never sees a half-written backup.
  const fs::path temp = fs::path(file.string() + ".tmp-backup-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(now_ms()));
  std::error_code ec;
  fs::remove(temp, ec);
  {
    Database copy = Database::open(temp);
    std::lock_guard lock(read_mutex_);
    sqlite3_backup* b = sqlite3_backup_init(copy.handle(), "main", reader_.handle(), "main");
    if (!b) copy.fail("cannot start the backup");
    const int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) copy.fail("backup of " + reader_.name() + " failed");
    // One file, no WAL beside it, so the copy can be moved and opened anywhere.
    copy.exec("PRAGMA journal_mode=DELETE");
  }
  fs::remove(fs::path(temp.string() + "-wal"), ec);
  fs::remove(fs::path(temp.string() + "-shm"), ec);
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    fs::remove(temp, ec);
    throw Error(ErrorKind::kIo, file.string() + ": cannot rename the backup into place");
  }
  io::sync_folder(file.has_parent_path() ? file.parent_path() : fs::path("."));
}

}  // namespace aoi::store
