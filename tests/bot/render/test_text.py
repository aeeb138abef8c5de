"""Plain text for the terminal, without discord.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.render import text
from tests.bot.render.helpers import answer

REPO = Path(__file__).resolve().parents[3]


def test_terminal_answer_lists_sources_and_strips_invisible_characters():
    rendered = text.format_answer_text(answer("The Quad\u202e is an Asian NATO [1]."))

    assert rendered.splitlines()[0] == "The Quad is an Asian NATO [1]."
    assert "[1] Outlet — A title (2021-04-06)" in rendered
    assert "“Lavrov called the Quad an Asian NATO.”" in rendered
    assert rendered.endswith("(Generated · model qwen@llama.cpp · 1.2 s)")


def test_terminal_text_does_not_import_discord():
    result = subprocess.run([sys.executable, "-c", "import bot.render.text, sys; assert 'discord' not in sys.modules"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
