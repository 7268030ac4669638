"""Load and scale benchmarks for groupchat (DESIGN §8). See bench/README.md; figures go to docs/performance.md."""
