"""Regularization, tinyreg's own: one Regularizer interface and its kinds.

regularizer.py   Regularizer (which parameters it covers, its loss term, its proximal
                 step), the default rule `penalized`, `sparsity`
penalty.py       L1, L2, ElasticNet (fused loss term and proximal step)
group.py         GroupLasso and the unit groups it works on
max_norm.py      MaxNorm (a projection, no loss term)
prune.py         prune: remove the units a group lasso switched off
"""

from .group import GroupLasso
from .max_norm import MaxNorm
from .penalty import L1, L2, ElasticNet, Penalty
from .pruning import prune
from .regularizer import Regularizer, penalized, sparsity

__all__ = ["L1", "L2", "ElasticNet", "GroupLasso", "MaxNorm", "Penalty", "Regularizer",
           "penalized", "prune", "sparsity"]  # fmt: skip
