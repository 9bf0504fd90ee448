// Feature recipes: what the trunk's activations become as the GBDT's
// features. Every recipe is declared once here, with its name and what it
// computes; the engine computes it, the feature identity (cache keys,
// bundles) includes it, and a bundle names the one it was trained on.
#pragma once

#include <span>
#include <string>

namespace aoi {

enum class FeatureRecipe {
  kGlobal,  // res5 mean-pooled (ResNet-50: 2048)
  kStages,  // + res3 and res4 generalised-mean pooled (p = 3): 2048 + 512 + 1024
};

struct FeatureRecipeInfo {
  FeatureRecipe recipe;
  const char* name;
  const char* doc;
};

std::span<const FeatureRecipeInfo> feature_recipes();
// What evaluate, train, retrain and featurize use without --features: the
// recipe that measured best overall (docs/pipeline.md, "Feature recipes").
inline constexpr FeatureRecipe kDefaultRecipe = FeatureRecipe::kStages;
const char* feature_recipe_name(FeatureRecipe recipe);
// Throws aoi::Error(kInvalidArgument) naming the known recipes.
FeatureRecipe parse_feature_recipe(const std::string& name);

}  // namespace aoi
