"""The daily pipeline: harvest the configured sources, index, embed, then send the digest.

`run_cycle` does one pass (what `paperwire daily` runs); `Worker` repeats it (`paperwire
worker`, or a thread of `paperwire serve` with `serve_worker`). Each step is idempotent and
recorded in the store (store/pipeline.py), and one lease in the store lets one cycle run at a
time across processes and machines.
"""

from paperwire.pipeline.cycle import CycleReport, run_cycle
from paperwire.pipeline.worker import Worker

__all__ = ["CycleReport", "Worker", "run_cycle"]
