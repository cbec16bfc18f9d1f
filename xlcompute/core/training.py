"""Training compute and time.

Seed 004 (Liu et al., "大语言模型算力度量模型", 邮电设计技术 2024(9):20-23) eqs. (1)-(2);
Kaplan et al. 2020 (arXiv:2001.08361) §2.1; Hoffmann et al. 2022 (arXiv:2203.15556).
"""

from __future__ import annotations

from .errors import check_positive
from .formula import formula


@formula(
    title="Training compute",
    equation="C = k · P · T",
    result=("C", "FLOP", "total training compute"),
    terms={
        "params": ("P", "parameters", "trainable (for MoE: active) parameters"),
        "tokens": ("T", "tokens", "training tokens"),
        "flops_per_param_token": (
            "k",
            "FLOP/(parameter·token)",
            "6 = forward 2 + backward 4; 8 with full activation recomputation",
        ),
    },
    reference="Kaplan et al. 2020, arXiv:2001.08361 §2.1 (C ≈ 6PT); seed 004 eq. (1) (C ≈ 8TP with recomputation)",
    assumptions="Parameter-only count: the attention (s²) and logit terms are excluded; add train_attention_flops for them.",
)
def train_flops(params: float, tokens: float, flops_per_param_token: float = 6.0) -> float:
    check_positive("params", params)
    check_positive("tokens", tokens)
    check_positive("flops_per_param_token", flops_per_param_token)
    return flops_per_param_token * params * tokens
