"""What users run: the `tinyreg` command line (cli) and its commands, each a module declaring its
own arguments (compare, sweep, bench; options holds what they share), the benchmarks
(bench_kernels, bench_train, bench_startup) and their timing helpers. The library never imports
this package."""
