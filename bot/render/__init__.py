"""Everything the user reads, one module per job.

- :mod:`bot.render.safety` — cleaning and truncating text, for the terminal and for Discord (no discord)
- :mod:`bot.render.labels` — wording shared by embeds and terminal text, such as answer footers (no discord)
- :mod:`bot.render.limits` — Discord's limits, escaping, splitting, and packing text into embeds
- :mod:`bot.render.embeds` — the embeds for each engine result
- :mod:`bot.render.views` — buttons: the evidence button and the pager
- :mod:`bot.render.text` — plain text for the terminal (no discord)

This package imports nothing itself, so ``briefbot ask`` can print text without loading
discord.py: import the module you need.
"""
