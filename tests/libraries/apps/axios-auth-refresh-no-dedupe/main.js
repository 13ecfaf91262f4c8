// axios-auth-refresh with `deduplicateRefresh: false` (README, "Deduplicate refresh calls":
// "If you need every failed request to independently trigger its own refresh cycle"):
// the recipe of ../axios-auth-refresh/recipe.js with that option.
import { startRecipeApp } from "../axios-auth-refresh/recipe.js";

startRecipeApp({ deduplicateRefresh: false });
