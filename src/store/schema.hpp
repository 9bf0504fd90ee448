// The results store's schema as an ordered list of migrations. A store
// records each migration it has applied (table schema_migrations); opening
// applies the missing ones in order, each in its own transaction, and
// refuses a store whose version is newer than this build knows. Released
// migrations are never edited: a change is a new migration at the end.
#pragma once

#include <span>

namespace aoi::store {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

}  // namespace aoi::store
