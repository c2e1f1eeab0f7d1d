r"""Torch check of ``tpv.jbr_pruning``'s empirical claim (paper 000, Sec. 5.3, App. F.3).

"Across all architectures, the JBR criterion consistently matches or exceeds the performance
of all baselines." Protocol (F.3.1, F.3.4, scaled to the offline digits data): a
:class:`~theorylab.gpu.SmallCNN` trained with cross-entropy; global output-channel pruning
with iterative removal and score recomputation at every step, no fine-tuning; criteria

* ``jbr`` — Eq. 16 in the JC-comparison form :math:`\mathbb{E}_x[(\delta_u^\top v_g)^2]`
  (the form Eq. 15 implies, and what swapping :math:`m` in JC's code computes), samples with
  :math:`p_c > 0.9`;
* ``jbr_literal`` — Eq. 16 as printed, :math:`\mathbb{E}_x[\|\delta_u\|^2\|v_g\|^2]`;
* ``jc`` — Jacobian criterion with the true labels; ``l1`` — filter L1 norm (layer-mean
  normalised); ``random``.

Each seed trains its own network (initialisation and train/test split), and every criterion
prunes that same network, so criteria are compared by *paired* differences over seeds. The
summary statistic is the area under the accuracy–sparsity curve divided by the sparsity
range (mean accuracy over the schedule), mean ± stderr over seeds. A baseline beats JBR
*beyond noise* when its paired AUC advantage exceeds 2 stderr, or its accuracy advantage at
one sparsity level exceeds 3 stderr (stricter: many levels are compared); the verdict is
REFUTED then, naming the baseline, the level and the margin.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from theorylab.figures import figure
from theorylab.gpu import SmallCNN, load_digits
from theorylab.gpu.pruning import (
    accuracy,
    apply_mask,
    channel_directions,
    channel_groups,
    filter_l1_norms,
    group_tangent,
    prune_lowest,
)
from theorylab.registry import CheckContext
from theorylab.solvers.pruning import jbr_scores, jc_scores
from theorylab.spec import Finding, Verdict

__all__ = ["CRITERIA", "PruningSetup", "pruning_experiment"]

CRITERIA = ("jbr", "jbr_literal", "jc", "l1", "random")
BASELINES = ("jc", "l1", "random")
AUC_Z = 2.0
LEVEL_Z = 3.0
DIRECTION_RTOL = 1e-9


@dataclass(frozen=True)
class PruningSetup:
    """Sizes of one run: seeds, channels per layer, epochs, schedule, scoring samples."""

    seeds: int
    channels: int
    epochs: int
    steps: int
    target_sparsity: float
    scoring_samples: int
    threshold: float = 0.9

    @classmethod
    def for_level(cls, full: bool) -> PruningSetup:
        """Quick: 2 seeds, 8 channels, 6 steps to 75%; full: 5 seeds, 16, 18 steps to 90%."""
        if full:
            return cls(seeds=5, channels=16, epochs=40, steps=18, target_sparsity=0.9,
                       scoring_samples=1024)
        return cls(seeds=2, channels=8, epochs=12, steps=6, target_sparsity=0.75,
                   scoring_samples=256)


def _train(setup: PruningSetup, seed: int, device: torch.device) -> tuple[SmallCNN, dict]:
    inputs, labels = load_digits(images=True, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(inputs.shape[0], generator=generator)
    test_index, train_index = order[:500], order[500:]
    data = {
        "train": (inputs[train_index].to(device), labels[train_index].to(device)),
        "test": (inputs[test_index].to(device), labels[test_index].to(device)),
    }
    model = SmallCNN(channels=setup.channels, seed=seed).to(device=device, dtype=torch.float64)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    train_inputs, train_labels = data["train"]
    for _ in range(setup.epochs):
        permutation = torch.randperm(train_inputs.shape[0], generator=generator).to(device)
        for batch in permutation.split(64):
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(train_inputs[batch]),
                                                     train_labels[batch])
            loss.backward()
            optimiser.step()
    return model, data


def _scores(criterion: str, model: SmallCNN, scoring: tuple, setup: PruningSetup,
            generator: torch.Generator) -> tuple[torch.Tensor, dict]:
    inputs, labels = scoring
    info: dict = {}
    if criterion == "l1":
        return filter_l1_norms(model).cpu(), info
    if criterion == "random":
        count = len(channel_groups(model))
        return torch.rand(count, generator=generator, dtype=torch.float64), info
    directions, logits = channel_directions(model, inputs)
    probabilities = torch.softmax(logits, dim=1).cpu().numpy()
    directions = directions.cpu().numpy()
    if criterion == "jc":
        result = jc_scores(directions, probabilities, labels.cpu().numpy())
    else:
        reading = "literal" if criterion == "jbr_literal" else "jc_form"
        result = jbr_scores(directions, probabilities, reading=reading,
                            threshold=setup.threshold)
        info["kept"] = result.kept_count
    return torch.as_tensor(result.scores), info


def _curve(criterion: str, trained: SmallCNN, data: dict, setup: PruningSetup, seed: int,
           schedule: list[int]) -> tuple[list[float], list[int]]:
    model = SmallCNN(channels=setup.channels).to(next(trained.parameters()).device,
                                                 dtype=torch.float64)
    model.load_state_dict(trained.state_dict())
    groups = channel_groups(model)
    scoring = tuple(tensor[: setup.scoring_samples] for tensor in data["train"])
    generator = torch.Generator().manual_seed(10_000 + seed)
    pruned: set = set()
    accuracies = [accuracy(model, *data["test"])]
    kept_counts: list[int] = []
    for previous, target in itertools.pairwise(schedule):
        scores, info = _scores(criterion, model, scoring, setup, generator)
        kept_counts.append(info.get("kept", -1))
        pruned = prune_lowest(scores, groups, pruned, target - previous)
        apply_mask(model, pruned)
        accuracies.append(accuracy(model, *data["test"]))
    return accuracies, kept_counts


def _direction_error(model: SmallCNN, inputs: torch.Tensor) -> float:
    """Max relative gap between the activation trick and ``torch.func.jvp`` (oracle)."""
    directions, _ = channel_directions(model, inputs)
    parameters = dict(model.named_parameters())
    worst = 0.0
    groups = channel_groups(model)
    for index in (0, len(groups) // 2, len(groups) - 1):
        tangent = group_tangent(model, groups[index])
        _, derivative = torch.func.jvp(
            lambda values: torch.func.functional_call(model, values, (inputs,)),
            ({k: v.detach() for k, v in parameters.items()},), (tangent,),
        )
        reference = derivative.detach()
        gap = float((directions[:, index, :] - reference).abs().max())
        worst = max(worst, gap / max(float(reference.abs().max()), 1e-300))
    return worst


def _paired(differences: np.ndarray) -> tuple[float, float]:
    mean = float(np.mean(differences))
    if differences.shape[0] < 2:
        return mean, float("inf")
    return mean, float(np.std(differences, ddof=1) / np.sqrt(differences.shape[0]))


def _compare(curves: dict[str, np.ndarray], aucs: dict[str, np.ndarray], levels: list[float],
             subject: str) -> list[dict]:
    rows = []
    for baseline in BASELINES:
        auc_mean, auc_stderr = _paired(aucs[baseline] - aucs[subject])
        per_level = curves[baseline] - curves[subject]
        level_stats = [_paired(per_level[:, j]) for j in range(len(levels))]
        worst = max(range(len(levels)), key=lambda j: level_stats[j][0])
        mean_gap, gap_stderr = level_stats[worst]
        auc_beats = auc_mean > AUC_Z * auc_stderr and auc_mean > 0
        level_beats = [
            j for j, (gap, stderr) in enumerate(level_stats) if gap > LEVEL_Z * stderr and gap > 0
        ]
        rows.append({
            "baseline": baseline,
            "auc_advantage": auc_mean,
            "auc_advantage_stderr": auc_stderr,
            "worst_level_sparsity": levels[worst],
            "worst_level_advantage": mean_gap,
            "worst_level_stderr": gap_stderr,
            "beats_beyond_noise": bool(auc_beats or level_beats),
            "levels_beaten": [levels[j] for j in level_beats],
        })
    return rows


def pruning_experiment(context: CheckContext) -> Finding:
    """Run the Sec. 5.3 protocol at the context's level and judge "JBR matches or exceeds".

    On CPU it runs single-threaded (tiny convolutions are an order of magnitude slower
    with intra-op threads competing on a shared machine); the thread count is restored.
    """
    threads = torch.get_num_threads()
    if torch.device(context.device).type == "cpu":
        torch.set_num_threads(1)
    try:
        return _experiment(context)
    finally:
        torch.set_num_threads(threads)


def _experiment(context: CheckContext) -> Finding:
    started = time.perf_counter()
    device = torch.device(context.device)
    setup = PruningSetup.for_level(context.full)
    curves: dict[str, list[list[float]]] = {name: [] for name in CRITERIA}
    kept: dict[str, list[list[int]]] = {"jbr": [], "jbr_literal": []}
    direction_errors, base_accuracies = [], []
    schedule: list[int] = []
    for offset in range(setup.seeds):
        seed = context.seed + offset
        model, data = _train(setup, seed, device)
        total = len(channel_groups(model))
        schedule = sorted({round(float(fraction) * total) for fraction in
                           np.linspace(0.0, setup.target_sparsity, setup.steps + 1)})
        direction_errors.append(_direction_error(model, data["train"][0][:8]))
        for criterion in CRITERIA:
            accuracies, kept_counts = _curve(criterion, model, data, setup, seed, schedule)
            curves[criterion].append(accuracies)
            if criterion in kept:
                kept[criterion].append(kept_counts)
        base_accuracies.append(curves["jbr"][-1][0])
    total = len(channel_groups(model))
    levels = [count / total for count in schedule]
    arrays = {name: np.asarray(values) for name, values in curves.items()}
    span = levels[-1] - levels[0]
    aucs = {name: np.trapezoid(values, levels, axis=1) / span for name, values in arrays.items()}
    summary_rows = {
        name: {"auc_mean": float(np.mean(value)),
               "auc_stderr": float(np.std(value, ddof=1) / np.sqrt(value.shape[0]))}
        for name, value in aucs.items()
    }
    comparisons = _compare(arrays, aucs, levels, "jbr")
    literal_comparisons = _compare(arrays, aucs, levels, "jbr_literal")
    worst_direction = max(direction_errors)
    losses = [row for row in comparisons if row["beats_beyond_noise"]]
    if worst_direction > DIRECTION_RTOL:
        verdict = Verdict.INCONCLUSIVE
        summary = f"direction oracle failed: activation trick vs jvp gap {worst_direction:.2e}"
    elif losses:
        verdict = Verdict.REFUTED
        first = max(losses, key=lambda row: row["auc_advantage"])
        summary = (
            f"{first['baseline']} beats JBR beyond noise: AUC +{first['auc_advantage']:.3f} "
            f"± {first['auc_advantage_stderr']:.3f}; at sparsity "
            f"{first['worst_level_sparsity']:.2f} accuracy +{first['worst_level_advantage']:.3f}"
            f" ± {first['worst_level_stderr']:.3f}"
        )
    else:
        verdict = Verdict.HOLDS
        summary = "JBR matches or exceeds every baseline within noise: " + ", ".join(
            f"{row['baseline']} ΔAUC {row['auc_advantage']:+.3f}±{row['auc_advantage_stderr']:.3f}"
            for row in comparisons
        )
    literal_losses = [row["baseline"] for row in literal_comparisons if row["beats_beyond_noise"]]
    summary += (
        f" ({setup.seeds} seeds; AUC jbr {summary_rows['jbr']['auc_mean']:.3f}, literal reading "
        f"{summary_rows['jbr_literal']['auc_mean']:.3f}, beaten beyond noise by: "
        f"{', '.join(literal_losses) or 'none'})"
    )
    means = {name: np.mean(values, axis=0).tolist() for name, values in arrays.items()}
    return Finding(
        verdict=verdict,
        summary=summary,
        lhs=summary_rows["jbr"]["auc_mean"],
        rhs=max(summary_rows[name]["auc_mean"] for name in BASELINES),
        residual=max(row["auc_advantage"] for row in comparisons),
        bound=AUC_Z * max(row["auc_advantage_stderr"] for row in comparisons),
        error_law=("paired over seeds: baseline beats JBR if mean ΔAUC > 2 stderr or a "
                   "level's mean Δaccuracy > 3 stderr"),
        sizes={"seeds": setup.seeds, "channels_per_layer": setup.channels,
               "groups": total, "steps": len(schedule) - 1,
               "scoring_samples": setup.scoring_samples},
        dtype="float64",
        device=str(device),
        backend="torch",
        instances=setup.seeds * len(CRITERIA),
        figure=figure(
            "SmallCNN on digits: test accuracy vs global channel sparsity (no fine-tuning)",
            "fraction of output channels pruned",
            "test accuracy (mean over seeds)",
            levels,
            [(name, means[name]) for name in CRITERIA],
        ),
        details={
            "setup": asdict(setup),
            "auc": summary_rows,
            "comparisons_jbr_jc_form": comparisons,
            "comparisons_jbr_literal": literal_comparisons,
            "mean_accuracy_curves": means,
            "sparsity_levels": levels,
            "unpruned_test_accuracy": base_accuracies,
            "jbr_kept_samples_per_step": kept,
            "jbr_steps_without_kept_samples": sum(
                count == 0 for run in kept["jbr"] for count in run
            ),
            "direction_oracle_max_relative_gap": worst_direction,
            "wall_seconds": time.perf_counter() - started,
        },
    )
