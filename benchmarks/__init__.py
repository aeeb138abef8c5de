"""`briefbot bench`: how fast, how big and how it grows, beside the raw libraries, in one run.

Every heavy figure runs in its own child process (``python -m benchmarks.probe``), so the
peak RSS reported for a figure is that figure's alone, and a crash in one figure is
reported instead of ending the run. ``run.py`` plans and assembles; ``report.py`` renders.
"""
