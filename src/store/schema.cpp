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
    {2, "labels history, audit log, notification outbox, folder intake",
     R"sql(
CREATE TABLE labels (  -- every labelling, oldest first; inspections.label is the latest
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  inspection_id INTEGER NOT NULL REFERENCES inspections (id),
  label         TEXT CHECK (label IN ('pass', 'fail')),  -- NULL: the label was withdrawn (undo)
  labelled_by   TEXT NOT NULL,
  labelled_at   TEXT NOT NULL
);
CREATE INDEX labels_by_inspection ON labels (inspection_id, id);
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  who     TEXT NOT NULL,
  action  TEXT NOT NULL,  -- label, promote, rollback, add, reload
  subject TEXT NOT NULL,  -- a result id or a model version
  before  TEXT,
  after   TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE outbox (  -- notifications, delivered at least once
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at      TEXT    NOT NULL,
  kind            TEXT    NOT NULL,  -- fail, promote, rollback
  body            TEXT    NOT NULL,  -- the JSON that is POSTed
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error      TEXT,
  delivered_at    TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
CREATE TABLE intake (  -- files of `aoi watch`, each inspected once
  name          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('done', 'failed')),
  inspection_id INTEGER,
  reason        TEXT,
  at            TEXT NOT NULL,
  PRIMARY KEY (name, sha256)
);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }
int latest_schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace aoi::store
