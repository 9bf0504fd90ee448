#include "gbdt/params.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/require.hpp"

namespace aoi::gbdt {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

template <typename T>
T parse_number(const std::string& name, const std::string& text, double lo, double hi) {
  T value{};
  const char* end = text.data() + text.size();
  std::from_chars_result r;
  if constexpr (std::is_integral_v<T>) {
    r = std::from_chars(text.data(), end, value);
  } else {
    r = std::from_chars(text.data(), end, value, std::chars_format::general);
  }
  require(r.ec == std::errc() && r.ptr == end && !text.empty(), ErrorKind::kInvalidArgument, "parameter " + name,
          "'" + text + "' is not " + (std::is_integral_v<T> ? "an integer" : "a number"));
  require(double(value) >= lo && double(value) <= hi && !(std::isnan(double(value))), ErrorKind::kInvalidArgument,
          "parameter " + name, text + " is outside [" + number_text(lo) + ", " + number_text(hi) + "]");
  return value;
}

}  // namespace

const std::vector<ParamInfo>& param_table() {
  static const std::vector<ParamInfo> table = [] {
    std::vector<ParamInfo> t;
#define AOI_ROW_NUMERIC(name, type, def, lo, hi, doc) \
  t.push_back({#name, #type, number_text(def), "[" + number_text(lo) + ", " + number_text(hi) + "]", doc});
#define AOI_ROW_CHOICE(name, def, choices, doc) t.push_back({#name, "string", def, choices, doc});
    AOI_GBDT_NUMERIC_PARAMS(AOI_ROW_NUMERIC)
    AOI_GBDT_CHOICE_PARAMS(AOI_ROW_CHOICE)
#undef AOI_ROW_NUMERIC
#undef AOI_ROW_CHOICE
    t.push_back({"class_weights", "list", "", "positive numbers, one per class",
                 "per-class row weights, e.g. 1,8 (multiplied with scale_pos_weight for binary)"});
    return t;
  }();
  return table;
}

void set_param(Params& p, const std::string& name, const std::string& value) {
#define AOI_SET_NUMERIC(pname, type, def, lo, hi, doc) \
  if (name == #pname) {                                \
    p.pname = parse_number<type>(name, value, lo, hi); \
    return;                                            \
  }
#define AOI_SET_CHOICE(pname, def, choices, doc)                                                                    \
  if (name == #pname) {                                                                                             \
    const std::string options = std::string("|") + choices + "|";                                                   \
    require(options.find("|" + value + "|") != std::string::npos, ErrorKind::kInvalidArgument, "parameter " + name, \
            "'" + value + "' is not one of " + choices);                                                            \
    p.pname = value;                                                                                                \
    return;                                                                                                         \
  }
  AOI_GBDT_NUMERIC_PARAMS(AOI_SET_NUMERIC)
  AOI_GBDT_CHOICE_PARAMS(AOI_SET_CHOICE)
#undef AOI_SET_NUMERIC
#undef AOI_SET_CHOICE
  if (name == "class_weights") {
    p.class_weights.clear();
    std::stringstream ss(value);
    for (std::string item; std::getline(ss, item, ',');)
      p.class_weights.push_back(parse_number<double>(name, item, 1e-9, 1e9));
    return;
  }
  throw Error(ErrorKind::kInvalidArgument, "unknown parameter '" + name + "' (see `aoi gbdt params`)");
}

Params parse_params(const std::vector<std::string>& assignments) {
  Params p;
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    require(eq != std::string::npos && eq > 0, ErrorKind::kInvalidArgument, "parameter '" + a + "'", "expected name=value");
    set_param(p, a.substr(0, eq), a.substr(eq + 1));
  }
  validate(p);
  return p;
}

void validate(const Params& p) {
  if (p.objective == "binary")
    require(p.num_class == 1, ErrorKind::kInvalidArgument, "parameter num_class", "must be 1 for objective=binary");
  else
    require(p.num_class >= 3, ErrorKind::kInvalidArgument, "parameter num_class",
            "must be at least 3 for objective=multiclass (use binary for two classes)");
  require(p.objective == "binary" || p.metric != "auc", ErrorKind::kInvalidArgument, "parameter metric",
          "auc is for binary objectives; use logloss");
  require(p.grad_quant_bins != 1, ErrorKind::kInvalidArgument, "parameter grad_quant_bins",
          "must be 0 (off) or at least 2 levels");
  const std::size_t classes = p.objective == "binary" ? 2 : std::size_t(p.num_class);
  require(p.class_weights.empty() || p.class_weights.size() == classes, ErrorKind::kInvalidArgument,
          "parameter class_weights", "needs " + std::to_string(classes) + " values, one per class");
}

std::vector<std::pair<std::string, std::string>> describe(const Params& p) {
  std::vector<std::pair<std::string, std::string>> out;
#define AOI_DESCRIBE_NUMERIC(name, type, def, lo, hi, doc) out.emplace_back(#name, number_text(p.name));
#define AOI_DESCRIBE_CHOICE(name, def, choices, doc) out.emplace_back(#name, p.name);
  AOI_GBDT_NUMERIC_PARAMS(AOI_DESCRIBE_NUMERIC)
  AOI_GBDT_CHOICE_PARAMS(AOI_DESCRIBE_CHOICE)
#undef AOI_DESCRIBE_NUMERIC
#undef AOI_DESCRIBE_CHOICE
  std::string weights;
  for (double w : p.class_weights) {
    // Appended piece by piece: `"," + std::string` trips GCC 12's false
    // -Wrestrict warning (GCC bug 105329).
    if (!weights.empty()) weights += ',';
    weights += number_text(w);
  }
  out.emplace_back("class_weights", weights);
  return out;
}

}  // namespace aoi::gbdt
