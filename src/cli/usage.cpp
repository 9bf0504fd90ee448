#include "usage.hpp"

#include <algorithm>

namespace aoi::cli {
namespace {

// Edits (insert, delete, replace, swap two neighbours) from a to b: the
// optimal string alignment distance, so "scroe" is one edit from "score".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::vector<std::string> subcommand_names(CLI::App& app) {
  std::vector<std::string> names;
  for (auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> flag_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* opt : app.get_options()) {
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string near = nearest(word, candidates);
  return near.empty() ? "" : "; did you mean '" + near + "'?";
}

std::string path_of(CLI::App& app) {
  std::string path;
  for (CLI::App* a = &app; a && a->get_parent(); a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
  return "aoi" + (path.empty() ? "" : " " + path);
}

}  // namespace

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& c : candidates) {
    // A prefix counts as close ("--thread" for "--threads").
    const std::size_t d = c.rfind(word, 0) == 0 && word.size() >= 3 ? 1 : edit_distance(word, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  // Close: at most a third of the word wrong (and at most 3 edits).
  return best_distance <= std::min<std::size_t>(3, std::max<std::size_t>(1, word.size() / 3)) ? best : "";
}

std::string check_command_line(CLI::App& app, CLI::App*& runnable) {
  CLI::App* deepest = &app;
  for (bool descended = true; descended;) {
    descended = false;
    for (auto* sub : deepest->get_subcommands({}))
      if (sub->parsed()) {
        deepest = sub;
        descended = true;
        break;
      }
  }
  runnable = deepest;
  const auto rest = deepest->remaining();
  const bool has_subcommands = !deepest->get_subcommands({}).empty();
  if (!rest.empty()) {
    const std::string& word = rest.front();
    if (word.size() > 1 && word[0] == '-')
      return path_of(*deepest) + ": unknown option '" + word + "'" + suggestion(word, flag_names(*deepest)) +
             " (see " + path_of(*deepest) + " --help)";
    if (has_subcommands)
      return path_of(*deepest) + ": unknown command '" + word + "'" + suggestion(word, subcommand_names(*deepest)) +
             " (see " + path_of(*deepest) + " --help)";
    return path_of(*deepest) + ": unexpected argument '" + word + "' (see " + path_of(*deepest) + " --help)";
  }
  if (has_subcommands) {
    std::string names;
    for (const auto& n : subcommand_names(*deepest)) names += (names.empty() ? "" : ", ") + n;
    return path_of(*deepest) + ": a command is required: " + names + " (see " + path_of(*deepest) + " --help)";
  }
  return "";
}

}  // namespace aoi::cli
