// aoi models: the model registry (src/registry, docs/review-loop.md): list,
// add, promote (optionally through the gate), roll back. Promotions and
// rollbacks go into a store's audit log when --store is given.
#include <cstdlib>
#include <iostream>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "registry/gate.hpp"
#include "registry/registry.hpp"
#include "serve/iso_time.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "models_command.hpp"

namespace aoi::cli {

std::string default_user() {
  const char* user = std::getenv("USER");
  return user && *user ? user : "aoi";
}

void audit_switch(const std::string& store_dir, const registry::Switch& s) {
  if (store_dir.empty()) return;
  store::ResultsStore store(store_dir, store::ResultsStore::Role::kTool);
  store.append_audit({0, s.at, s.who, s.action, s.version,
                      s.previous.empty() ? std::nullopt : std::optional<std::string>(s.previous), s.version});
}

int gate_and_promote(registry::Registry& reg, const std::string& version, const GateFlags& flags) {
  const auto incumbent = reg.current();
  if (flags.gate && incumbent) {
    require(!flags.store.empty(), ErrorKind::kInvalidArgument, "--gate", "needs --store (the labelled results)");
    store::ResultsStore store(flags.store, store::ResultsStore::Role::kTool);
    registry::GateOptions go;
    go.holdout = flags.holdout;
    go.tolerance = flags.tolerance;
    go.weights = resolve_weights(flags.engine.weights);
    go.engine = engine_options(flags.engine);
    go.holdout_from_id = registry::holdout_boundary(reg.bundle_path(version));
    const auto result = registry::run_gate(store, reg.bundle_path(version), reg.bundle_path(*incumbent), go);
    io::write_file_atomically(reg.version_dir(version) / "gate.json", registry::gate_json(result).dump(1) + "\n");
    io::write_file_atomically(reg.version_dir(version) / "gate.html", registry::gate_html(result));
    std::cerr << "aoi: gate: " << version << " against " << *incumbent << ": " << result.reason << "\n"
              << "aoi: gate report: " << (reg.version_dir(version) / "gate.html").string() << "\n";
    if (!result.passed) return 1;
  } else if (flags.gate) {
    std::cerr << "aoi: gate: no version in service yet; " << version << " is the first\n";
  }
  const auto s = reg.promote(version, flags.by, flags.gate ? incumbent : std::nullopt);
  audit_switch(flags.store, s);
  std::cerr << "aoi: promoted " << version << (s.previous.empty() ? "" : " (was " + s.previous + ")") << "\n";
  return 0;
}

void add_gate_flags(CLI::App& cmd, GateFlags& flags) {
  cmd.add_option("--store", flags.store, "the results store: labels for --gate, and the audit log");
  cmd.add_option("--holdout", flags.holdout, "the newest share of labelled results the gate judges on")
      ->check(CLI::Range(0.01, 0.9))
      ->capture_default_str();
  cmd.add_option("--tolerance", flags.tolerance, "ROC AUC the candidate may lose against the incumbent")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--by", flags.by, "who promotes (default: $USER)");
}

Command add_models(CLI::App& app) {
  struct Args {
    std::string registry, bundle, version;
    GateFlags gate;
  };
  auto a = std::make_shared<Args>();
  a->gate.by = default_user();
  auto* cmd = app.add_subcommand("models", "The model registry: list, add, promote (through the gate), roll back");
  cmd->add_option("--registry", a->registry, "registry folder (created when absent)")->required();
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "Versions, oldest first; * marks the one in service");
  auto* add = cmd->add_subcommand("add", "Add a bundle as an immutable version");
  add->add_option("bundle", a->bundle, "model bundle (JSON)")->required()->check(CLI::ExistingFile);
  auto* promote = cmd->add_subcommand("promote", "Put a version in service");
  promote->add_option("version", a->version, "model version (aoi-...)")->required();
  promote->add_flag("--gate", a->gate.gate, "promote only if it passes the gate against the version in service");
  add_gate_flags(*promote, a->gate);
  add_engine_flags(*promote, a->gate.engine);
  auto* rollback = cmd->add_subcommand("rollback", "Back to the version the current one replaced");
  rollback->add_option("--store", a->gate.store, "the results store whose audit log records it");
  rollback->add_option("--by", a->gate.by, "who rolls back (default: $USER)");
  return [a, list, add, promote, rollback] {
    registry::Registry reg(a->registry);
    if (list->parsed()) {
      for (const auto& v : reg.list()) std::cout << (v.current ? "* " : "  ") << v.version << "  " << v.created << "\n";
      return 0;
    }
    if (add->parsed()) {
      std::cout << reg.add(a->bundle) << "\n";
      return 0;
    }
    if (promote->parsed()) return gate_and_promote(reg, a->version, a->gate);
    if (rollback->parsed()) {
      const auto s = reg.rollback(a->gate.by);
      audit_switch(a->gate.store, s);
      std::cerr << "aoi: rolled back to " << s.version << " (was " << s.previous << ")\n";
      return 0;
    }
    return 2;
  };
}

}  // namespace aoi::cli
