"""Search-quality evaluation on BEIR-format benchmarks."""
