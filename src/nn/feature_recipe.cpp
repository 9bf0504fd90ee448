#include "nn/feature_recipe.hpp"

#include "core/named_values.hpp"

namespace aoi {
namespace {

constexpr FeatureRecipeInfo kRecipes[] = {
    {FeatureRecipe::kGlobal, "global", "res5 mean-pooled: the whole image's content"},
    {FeatureRecipe::kStages, "stages",
     "res5 mean-pooled, plus res3 and res4 generalised-mean pooled (p = 3): finer, more local evidence"},
    {FeatureRecipe::kMultiScale, "multiscale",
     "stages at the input size and again on the image at twice that size: small defects keep more pixels "
     "(about 5x the trunk work of global)"},
};

}  // namespace

std::span<const FeatureRecipeInfo> feature_recipes() { return kRecipes; }

const char* feature_recipe_name(FeatureRecipe recipe) {
  return name_in(feature_recipes(), recipe);
}

FeatureRecipe parse_feature_recipe(const std::string& name) {
  return parse_name_in(feature_recipes(), name, "feature recipe");
}

}  // namespace aoi
