"""Property searches of ``tpv.jbr_pruning`` (printed Eq. 16 ranking) and its corrected companion."""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.common import library_strategy
from theorylab.claims.tpv.jbr_pruning import JBR_PRUNING, JBR_PRUNING_CORRECTED
from theorylab.claims.tpv.jbr_pruning.exact import corrected_violation
from theorylab.claims.tpv.jbr_pruning.instances import describe, instance_scores, ranking_flip
from theorylab.registry import CATALOG
from theorylab.solvers.pruning import jbr_scores
from theorylab.spec import Counterexample

__all__ = ["corrected_search", "literal_ranking_search"]


def _literal_probe(instance: dict[str, np.ndarray]) -> Counterexample | None:
    directions, probabilities = instance_scores(instance)
    literal = jbr_scores(directions, probabilities, reading="literal").scores
    tpv_form = jbr_scores(directions, probabilities, reading="jc_form").scores
    flip = ranking_flip(literal, tpv_form)
    if flip is None:
        return None
    return Counterexample(
        instance=describe(instance), claimed=literal.tolist(), actual=tpv_form.tolist(),
        message=(f"Eq. 16 as printed ranks group {flip[0]} above group {flip[1]}; their TPV "
                 f"contributions (Eq. 15) rank them the other way: literal "
                 f"{np.round(literal, 6).tolist()} vs Eq. 15 {np.round(tpv_form, 6).tolist()}"),
    )


def _corrected_probe(instance: dict[str, np.ndarray]) -> Counterexample | None:
    problem = corrected_violation(instance)
    if problem is None:
        return None
    return Counterexample(instance=describe(instance), message=problem)



literal_ranking_search = CATALOG.search(
    JBR_PRUNING,
    name="literal_eq16_ranks_like_eq15",
    description=("hypothesis over integer logit Jacobians (n ≤ 3, K ≤ 4, 2-3 groups of 1-2 "
                 "parameters), integer weights and logits with a 0-8 margin: the printed "
                 "Eq. 16 orders every pair of groups as Eq. 15's TPV term does"),
    strategy=library_strategy("pruning_instances"),
    probe=_literal_probe,
)


corrected_search = CATALOG.search(
    JBR_PRUNING_CORRECTED,
    name="jc_form_is_tpv_term_and_jc_on_kept_samples",
    description=("hypothesis over the same integer instances: σ²·JBR(JC form) equals "
                 "Tr(H_eff,g C_prune,g) on the kept samples, literal ≥ JC form, and JBR = JC "
                 "with labels = predictions on the kept samples"),
    strategy=library_strategy("pruning_instances"),
    probe=_corrected_probe,
)
