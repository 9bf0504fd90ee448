#include "store/schema.hpp"

namespace aoi::store {
namespace {

constexpr Migration kMigrations[] = {
    {1, "inspections: one row per inspected image",
     R"sql(
CREATE TABLE inspections (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  item          TEXT,
  received_at   TEXT    NOT NULL,  -- ISO 8601 UTC with milliseconds
  received_ms   INTEGER NOT NULL,  -- the same instant, Unix milliseconds
  p_fail        REAL    NOT NULL,
  verdict       TEXT    NOT NULL CHECK (verdict IN ('pass', 'review', 'fail')),
  model_version TEXT    NOT NULL,
  image_sha256  TEXT    NOT NULL,  -- the archived image: images/<first 2 hex>/<hash>
  content_type  TEXT    NOT NULL,
  image_bytes   INTEGER NOT NULL,
  roi_x INTEGER, roi_y INTEGER, roi_w INTEGER, roi_h INTEGER,  -- all NULL: the whole image
  elapsed_ms    REAL    NOT NULL,  -- request received to row committed
  label         TEXT CHECK (label IN ('pass', 'fail')),  -- the operator's, when given
  labelled_by   TEXT,
  labelled_at   TEXT
);
CREATE INDEX inspections_by_verdict ON inspections (verdict, id);
CREATE INDEX inspections_by_time ON inspections (received_ms);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }
int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace aoi::store
