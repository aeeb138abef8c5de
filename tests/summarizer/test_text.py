import subprocess
import sys

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from summarizer.text import QUESTION_WORDS, STOPWORDS


def test_stop_words_are_scikit_learns_plus_question_words():
    assert STOPWORDS == frozenset(ENGLISH_STOP_WORDS) | QUESTION_WORDS


def test_the_stop_words_load_without_importing_scikit_learn():
    """scikit-learn's package init costs every `briefbot ask` about a second."""
    code = "import sys, summarizer.text; print('sklearn' in sys.modules, 'scipy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
