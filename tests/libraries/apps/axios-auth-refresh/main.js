// axios-auth-refresh with the README's defaults (`deduplicateRefresh: true`): recipe.js.
import { startRecipeApp } from "./recipe.js";

startRecipeApp({});
