"""A training program, not only its final run: experiments, evaluation, restarts and checkpoints.

A budget for training a model pays for more than the final run's GPU-hours: ablations and
smaller-scale experiments before it, evaluation during and after it, and the time lost to
failures and restarts (goodput: the share of reserved time that advances training). Meta reports
466 job interruptions in 54 days of Llama 3 405B pre-training on 16,384 H100s and "higher than
90% effective training time" (Llama Team 2024, arXiv:2407.21783, §3.3.4); checkpoints hold the
model states of mixed-precision Adam, 16 bytes per parameter (Rajbhandari et al. 2020, ZeRO,
arXiv:1910.02054, §3: 2 + 2 + 12 bytes per parameter).

Standard library only: the same code runs in xlwings Lite's Pyodide.
"""

from __future__ import annotations

from .errors import check_number, check_positive
from .formula import formula

BYTES_PER_TB = 1e12
#: fp16/bf16 weights (2) and gradients (2), fp32 master weights, momentum and variance (12).
MIXED_PRECISION_ADAM_BYTES = 16.0


@formula(
    title="GPU-hours of a training program",
    equation="H_prog = H_final · (1 + m + e) / g",
    result=("H_prog", "GPU-hours", "GPU-hours the whole program reserves"),
    terms={
        "final_run_gpu_hours": ("H_final", "GPU-hours", "GPU-hours of the final training run at full efficiency"),
        "experiments_multiple": ("m", "-", "experiments and ablations before it, as a multiple of the final run"),
        "evaluation_share": ("e", "-", "evaluation during and after training, as a share of the final run"),
        "goodput": ("g", "-", "share of reserved time that advances training (failures, restarts, checkpoint "
                              "reloads excluded)"),
    },
    reference="Llama Team 2024, arXiv:2407.21783, §3.3.4 (466 interruptions in 54 days; >90% effective "
              "training time on 16,384 H100s)",
    assumptions="Experiments and evaluation run on the same GPUs at the final run's efficiency.",
)
def program_gpu_hours(final_run_gpu_hours: float, experiments_multiple: float = 0.0, evaluation_share: float = 0.0,
                      goodput: float = 1.0) -> float:
    """GPU-hours of the program H_prog = H_final·(1 + m + e)/g [GPU-hours] for a final run of
    ``final_run_gpu_hours`` H_final, ``experiments_multiple`` m [-], ``evaluation_share`` e [-]
    and ``goodput`` g [-] (1 = no time lost; Meta's Llama 3 run: above 0.9)."""
    check_number("final_run_gpu_hours", final_run_gpu_hours)
    check_number("experiments_multiple", experiments_multiple, maximum=100.0)
    check_number("evaluation_share", evaluation_share, maximum=10.0)
    check_number("goodput", goodput, minimum=0.0, strict=True, maximum=1.0)
    return final_run_gpu_hours * (1.0 + experiments_multiple + evaluation_share) / goodput


@formula(
    title="GPU-hours lost to failures and restarts",
    equation="H_lost = W · (1 − g) / g",
    result=("H_lost", "GPU-hours", "GPU-hours reserved on top of the work for the time failures and restarts take"),
    terms={
        "work_gpu_hours": ("W", "GPU-hours", "GPU-hours of work that advances training (runs, experiments, evaluation)"),
        "goodput": ("g", "-", "share of reserved time that advances training"),
    },
    reference="Llama Team 2024, arXiv:2407.21783, §3.3.4 (466 interruptions in 54 days; >90% effective "
              "training time on 16,384 H100s)",
    assumptions="Time lost is billed like the work; W / g is reserved in all (PROGRAM_GPU_HOURS with the "
                "work as its final run).",
)
def restart_gpu_hours(work_gpu_hours: float, goodput: float = 1.0) -> float:
    """GPU-hours lost to failures and restarts H_lost = W·(1 − g)/g [GPU-hours] for ``work_gpu_hours``
    W of work at ``goodput`` g [-] (1 = nothing lost; Meta's Llama 3 run: above 0.9)."""
    check_number("work_gpu_hours", work_gpu_hours)
    check_number("goodput", goodput, minimum=0.0, strict=True, maximum=1.0)
    return work_gpu_hours * (1.0 - goodput) / goodput


@formula(
    title="Checkpoint storage",
    equation="S = P · b · n / 10¹²",
    result=("S", "TB", "storage for the checkpoints kept"),
    terms={
        "params": ("P", "parameters", "parameters of the model"),
        "bytes_per_param": ("b", "bytes", "bytes per parameter in a checkpoint (16 = mixed-precision Adam states)"),
        "checkpoints_kept": ("n", "-", "checkpoints kept at once"),
    },
    reference="Rajbhandari et al. 2020, ZeRO, arXiv:1910.02054, §3 (2 + 2 + 12 bytes per parameter)",
    assumptions="Each checkpoint holds the full model and optimizer states; data-loader state is negligible.",
)
def checkpoint_storage_tb(params: float, checkpoints_kept: float = 1.0,
                          bytes_per_param: float = MIXED_PRECISION_ADAM_BYTES) -> float:
    """Checkpoint storage S = P·b·n/10¹² [TB] of ``checkpoints_kept`` n checkpoints of a model of
    ``params`` P parameters at ``bytes_per_param`` b [bytes] (16: weights, gradients, Adam states)."""
    check_number("params", params)
    check_number("checkpoints_kept", checkpoints_kept, maximum=1e4)
    check_positive("bytes_per_param", bytes_per_param)
    return params * bytes_per_param * checkpoints_kept / BYTES_PER_TB


@formula(
    title="Billed hours on interruptible (spot) capacity",
    equation="H_billed = H / (1 − n · (τ/2 + r) / 24)",
    result=("H_billed", "h", "hours paid for, the work redone after interruptions included"),
    terms={
        "hours": ("H", "h", "hours of work the job needs without interruptions"),
        "interruptions_per_day": ("n", "1/day", "interruptions per instance-day (the provider's published frequency)"),
        "checkpoint_interval_h": ("τ", "h", "time between checkpoints; on average half of it is lost per interruption"),
        "restart_h": ("r", "h", "time to get capacity back, reload the checkpoint and resume"),
    },
    reference="Young 1974, 'A first order approximation to the optimum checkpoint interval', CACM 17(9) "
              "(work lost per failure: half the interval plus the restart)",
    assumptions="Interruptions arrive independently of the checkpoint schedule; lost time is billed.",
)
def spot_billed_hours(hours: float, interruptions_per_day: float, checkpoint_interval_h: float = 1.0,
                      restart_h: float = 0.25) -> float:
    """Billed hours H/(1 − n·(τ/2 + r)/24) [h] for ``hours`` H of work on capacity interrupted
    ``interruptions_per_day`` n times a day, checkpointing every ``checkpoint_interval_h`` τ [h]
    and taking ``restart_h`` r [h] to resume."""
    check_number("hours", hours)
    check_number("interruptions_per_day", interruptions_per_day, maximum=100.0)
    check_number("checkpoint_interval_h", checkpoint_interval_h, maximum=1e3)
    check_number("restart_h", restart_h, maximum=1e3)
    lost = interruptions_per_day * (checkpoint_interval_h / 2.0 + restart_h) / 24.0
    if lost >= 1.0:
        from .errors import XlcomputeError  # noqa: PLC0415

        raise XlcomputeError(f"interruptions_per_day: {interruptions_per_day:g} interruptions a day losing "
                             f"{checkpoint_interval_h / 2 + restart_h:g} h each leave no time for work.",
                             argument="interruptions_per_day")
    return hours / (1.0 - lost)
