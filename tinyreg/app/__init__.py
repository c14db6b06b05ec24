"""What users run: the `tinyreg` command line (cli), `tinyreg compare` (compare), the benchmarks
(bench_kernels, bench_train) and their timing helpers. The library never imports this package."""
