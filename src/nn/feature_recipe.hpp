// Feature recipes: what the trunk's activations become as the GBDT's
// features. Every recipe is declared once here, with its name and what it
// computes; the engine computes it, the feature identity (cache keys,
// bundles) includes it, and a bundle names the one it was trained on.
#pragma once

#include <span>
#include <string>

#include "core/named_values.hpp"

namespace aoi {

enum class FeatureRecipe {
  kGlobal,  // res5 mean-pooled (ResNet-50: 2048)
  kStages,  // + res3 and res4 generalised-mean pooled (p = 3): 2048 + 512 + 1024
  // kStages at the input size, then kStages of the image at twice that size
  // (the trunk run a second time, at 448 for 224): 2 x 3584.
  kMultiScale,
};
// Whether the recipe pools res3 and res4 (stages layout first).
inline bool recipe_pools_stages(FeatureRecipe r) { return r != FeatureRecipe::kGlobal; }
// The side of the image the recipe reads, in multiples of the weights' input size.
inline int recipe_scale(FeatureRecipe r) { return r == FeatureRecipe::kMultiScale ? 2 : 1; }

using FeatureRecipeInfo = NamedValue<FeatureRecipe>;

std::span<const FeatureRecipeInfo> feature_recipes();
// What evaluate, train, retrain and featurize use without --features: the
// recipe that measured best overall (docs/accuracy.md).
inline constexpr FeatureRecipe kDefaultRecipe = FeatureRecipe::kStages;
const char* feature_recipe_name(FeatureRecipe recipe);
// Throws aoi::Error(kInvalidArgument) naming the known recipes.
FeatureRecipe parse_feature_recipe(const std::string& name);

}  // namespace aoi
