import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from theorylab.errors import ParameterError  # noqa: E402
from theorylab.gpu import MLP, load_digits, make_teacher  # noqa: E402


def test_mlp_parameter_count_closed_form_and_depth_convention():
    """Oracle: (d*w + w) + (depth-1)(w*w + w) + (w*K + K) for depth hidden layers."""
    d, w, depth, K = 5, 7, 3, 2
    model = MLP(d, w, depth, output_dim=K)
    expected = (d * w + w) + (depth - 1) * (w * w + w) + (w * K + K)
    assert sum(p.numel() for p in model.parameters()) == expected
    assert sum(isinstance(m, torch.nn.Linear) for m in model) == depth + 1
    assert MLP(3, 1, 0).forward(torch.zeros(2, 3)).shape == (2, 1)


def test_mlp_seeded_init_is_deterministic_and_validated():
    first, second = MLP(3, 4, 2, seed=5), MLP(3, 4, 2, seed=5)
    assert all(
        torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True)
    )
    with pytest.raises(ParameterError):
        MLP(3, 0, 2)
    with pytest.raises(ParameterError):
        MLP(3, 4, 2, activation="swish")


@pytest.mark.parametrize("kind", ["linear", "relu", "multi_relu"])
def test_teachers_follow_paper_000_f11_formulas(kind):
    teacher = make_teacher(kind, 6, seed=1)
    x, y = teacher.sample(50, seed=2, dtype=torch.float64)
    pre = x @ teacher.weights + teacher.biases
    expected = {
        "linear": pre[:, 0],
        "relu": torch.relu(pre[:, 0]),
        "multi_relu": torch.relu(pre).sum(1),
    }[kind]
    assert torch.allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert teacher.weights.shape[1] == (10 if kind == "multi_relu" else 1)
    with pytest.raises(ParameterError):
        make_teacher("quadratic", 3)


def test_load_digits_shapes_and_scaling():
    pytest.importorskip("sklearn")
    inputs, labels = load_digits()
    assert inputs.shape == (1797, 64)
    assert labels.dtype == torch.long
    assert float(inputs.min()) >= 0
    assert float(inputs.max()) <= 1
    assert load_digits(images=True)[0].shape == (1797, 1, 8, 8)


def test_import_without_torch_raises_backend_unavailable_and_theorylab_stays_torch_free():
    code = (
        "import sys\n"
        "import theorylab\n"
        "assert 'torch' not in sys.modules, 'import theorylab imported torch'\n"
        "sys.modules['torch'] = None\n"
        "from theorylab.errors import BackendUnavailableError\n"
        "try:\n"
        "    import theorylab.gpu\n"
        "except BackendUnavailableError:\n"
        "    print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
