"""One cog per feature; each is thin and calls the engine, rendering lives in bot.render."""
