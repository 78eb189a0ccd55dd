"""The token emulator's benchmarks (issue 10): run them all with `bench/run`; see README.md."""
