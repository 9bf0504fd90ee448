// A thin RAII layer over SQLite's C API: a connection and prepared
// statements whose failures throw aoi::Error naming the database file and
// SQLite's message. Nothing here is specific to what is stored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace aoi::store {

class Statement;

class Database {
 public:
  // Opens (creating if absent) the file, in WAL mode with synchronous=FULL
  // so that a committed transaction survives a crash or power loss, and a
  // busy timeout so that a reader in another process (backup, audit) waits
  // instead of failing.
  static Database open(const std::filesystem::path& file);
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  void exec(const std::string& sql);  // one or more statements, no results
  Statement prepare(const std::string& sql);
  std::int64_t last_insert_id() const;
  const std::string& name() const { return name_; }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(const std::string& what) const;  // throws with SQLite's current message

 private:
  Database(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}
  sqlite3* db_ = nullptr;
  std::string name_;
};

class Statement {
 public:
  Statement(Statement&&) noexcept;
  ~Statement();
  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  bool step();  // true while a row is available
  void run();   // steps to completion (for statements without results)
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace aoi::store
