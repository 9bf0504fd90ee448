// aoi store: operations on a results store of `aoi serve`, safe while the
// service runs: a consistent backup, a check of the database and archive,
// and retention (docs/serve.md).
#include <filesystem>
#include <iostream>

#include "core/require.hpp"
#include "serve/iso_time.hpp"
#include "store/results_store.hpp"
#include "commands.hpp"

namespace aoi::cli {
namespace {

store::ResultsStore open_existing(const std::string& dir) {
  require(std::filesystem::is_regular_file(std::filesystem::path(dir) / "results.sqlite"), ErrorKind::kIo, dir,
          "not a results store (no results.sqlite)");
  return store::ResultsStore(dir, store::ResultsStore::Role::kTool);
}

}  // namespace

Command add_store(CLI::App& app) {
  struct Args {
    std::string store, output, before;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("store", "Back up, check or prune a results store of 'aoi serve'");
  cmd->require_subcommand(1);
  auto* backup = cmd->add_subcommand("backup", "Consistent copy of results.sqlite (SQLite backup API), while serving");
  backup->add_option("--store", a->store, "store folder")->required();
  backup->add_option("-o,--output", a->output, "the copy (.sqlite)")->required();
  auto* check = cmd->add_subcommand("check", "integrity_check, and every row's image archived with its hash");
  check->add_option("--store", a->store, "store folder")->required();
  auto* prune = cmd->add_subcommand("prune", "Delete rows received before a time and images no row refers to");
  prune->add_option("--store", a->store, "store folder")->required();
  prune->add_option("--before", a->before, "ISO 8601 time, e.g. 2026-06-01 or 2026-06-01T00:00:00Z")->required();
  return [a, backup, check, prune] {
    store::ResultsStore store = open_existing(a->store);
    if (backup->parsed()) {
      store.backup_to(a->output);
      std::cerr << "aoi: backed up " << store.count() << " results to " << a->output
                << " (copy images/ beside it: its files never change)\n";
      return 0;
    }
    if (check->parsed()) {
      const auto problems = store.check();
      for (const auto& p : problems) std::cerr << "aoi: " << a->store << ": " << p << "\n";
      std::cerr << "aoi: " << a->store << ": " << store.count() << " results, "
                << (problems.empty() ? "ok" : std::to_string(problems.size()) + " problems") << "\n";
      return problems.empty() ? 0 : 1;
    }
    if (prune->parsed()) {
      const auto before = serve::parse_iso8601(a->before);
      require(before.has_value(), ErrorKind::kInvalidArgument, "--before",
              "must be an ISO 8601 time (2026-06-01 or 2026-06-01T00:00:00Z), not '" + a->before + "'");
      const auto pruned = store.prune(*before);
      std::cerr << "aoi: pruned " << pruned.rows << " results and " << pruned.images << " images from " << a->store
                << "\n";
      return 0;
    }
    return 2;
  };
}

Command add_audit(CLI::App& app) {
  struct Args {
    std::string store, since;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("audit", "Print the audit log of a store: labels, promotions, rollbacks, reloads");
  cmd->add_option("--store", a->store, "store folder")->required();
  cmd->add_option("--since", a->since, "only entries at or after this ISO 8601 time");
  return [a] {
    std::optional<std::string> since;
    if (!a->since.empty()) {
      const auto ms = serve::parse_iso8601(a->since);
      require(ms.has_value(), ErrorKind::kInvalidArgument, "--since",
              "must be an ISO 8601 time (2026-06-01 or 2026-06-01T00:00:00Z), not '" + a->since + "'");
      since = serve::iso8601_utc(*ms);
    }
    store::ResultsStore store = open_existing(a->store);
    // One line per entry, tab-separated: when, who, what, subject, before -> after.
    for (const auto& e : store.audit_log(since))
      std::cout << e.at << "\t" << e.who << "\t" << e.action << "\t" << e.subject << "\t" << e.before.value_or("-")
                << " -> " << e.after.value_or("-") << "\n";
    return 0;
  };
}

}  // namespace aoi::cli
