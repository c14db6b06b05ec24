"""What `tinyreg compare` and `tinyreg sweep` share, as a library (it never imports tinyreg.app):

recipes.py     the registry (DATASETS, compare's RUNS, sweep's KNOBS) and the one recipe that
               builds a run's network, optimizer and Trainer arguments; data sets and models
runner.py      run_tasks: one task function over many tasks, on joblib processes or Dask
comparison.py  compare's API: train runs over seeds (train_one, run_all), summarize them
trials.py      sweep's API: folds, trials, results.jsonl (run_sweep), summaries, the choice
search.py      search spaces: Knob, parse_space, grid, sample
paths.py       regularization paths of linear models and their cross-validation
stats.py       means with 95% intervals over seeds
report.py      tables, findings and the report files
plots.py       the figures
"""
