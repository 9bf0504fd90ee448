// aoi: the command-line shell over the library. Exit codes: 0 success,
// 1 failure (or some items failed in a batch), 2 bad usage.
#include <iostream>
#include <map>

#include "core/require.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"aoi: automated optical inspection engine (ResNet-50 features, GBDT decisions)"};
  app.require_subcommand(1);
  std::map<CLI::App*, aoi::cli::Command> commands;
  for (auto add : {aoi::cli::add_featurize, aoi::cli::add_classify, aoi::cli::add_info, aoi::cli::add_gbdt,
                   aoi::cli::add_train, aoi::cli::add_evaluate, aoi::cli::add_score}) {
    const auto before = app.get_subcommands({});
    auto run = add(app);
    for (auto* sub : app.get_subcommands({}))
      if (std::find(before.begin(), before.end(), sub) == before.end()) commands[sub] = run;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const std::exception& e) {
    std::cerr << "aoi: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
