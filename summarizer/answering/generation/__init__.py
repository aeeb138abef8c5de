"""Text generation behind one small interface, on llama.cpp or transformers.

Both runtimes use the chat template stored with the model, decode greedily (answers
must be reproducible and cacheable) and report prefill and decode time separately,
because on a CPU prefill dominates and the prompt budget is tuned from it.

Calls block; callers run them in a worker thread. Each generator serialises its own
calls with a lock, since neither runtime's model object is safe to share.
"""

from summarizer.answering.generation.base import SEED, Generation, Generator
from summarizer.answering.generation.factory import RUNTIMES, load_generator
from summarizer.answering.generation.llama_cpp_runtime import LlamaCppGenerator, plain_cpu_buffers
from summarizer.answering.generation.transformers_runtime import TransformersGenerator
from summarizer.cpus import cpu_count

__all__ = ["SEED", "Generation", "Generator", "cpu_count", "RUNTIMES", "load_generator", "LlamaCppGenerator",
           "plain_cpu_buffers", "TransformersGenerator"]
