"""What `tinyreg compare`, `tinyreg sweep` and the playground share: recipes, one runner, search
spaces, folds and paths, statistics, reports and plots."""
