"""Serving demand in business terms: from users and tokens to the request rate and replicas a quote prices.

A finance reader states demand as daily active users and their requests, as tokens per month,
or as users at once; capacity planning turns that into the peak request rate, then into whole
replicas with headroom for the service level and spares for failures, and prices it per user
and per million tokens.

References: the interactive response time law X = N / (Z + R) (Jain 1991, *The Art of Computer
Systems Performance Analysis*, §33.3; Lazowska et al. 1984, *Quantitative System Performance*,
§3.2.3); peak-driven capacity planning with a peak-to-average ratio (Allspaw 2008, *The Art of
Capacity Planning*, ch. 3); N+1 spare capacity (Beyer et al. 2016, *Site Reliability Engineering*,
ch. 26, which provisions N+2 for planned and unplanned outages at once).

Standard library only: the same code runs in xlwings Lite's Pyodide.
"""

from __future__ import annotations

import math

from .errors import check_number, check_positive
from .formula import formula

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
#: 365 × 24 / 12: the average month of a year-long contract [h].
HOURS_PER_MONTH = 730.0
TOKENS_PER_MILLION = 1e6


@formula(
    title="Peak request rate from daily users",
    equation="λ = U · r · p / 86 400",
    result=("λ", "requests/s", "request rate at the daily peak"),
    terms={
        "daily_active_users": ("U", "users/day", "daily active users"),
        "requests_per_user_per_day": ("r", "requests/(user·day)", "requests each user sends per day"),
        "peak_to_average": ("p", "-", "peak-hour rate over the day's average rate (1 = flat load)"),
    },
    reference="Allspaw 2008, The Art of Capacity Planning, ch. 3 (capacity for the peak, not the average)",
    assumptions="Requests arrive at the day's average rate times p during the peak; 86,400 s per day.",
)
def peak_requests_per_s(daily_active_users: float, requests_per_user_per_day: float,
                        peak_to_average: float = 1.0) -> float:
    """Peak request rate λ = U·r·p/86,400 [requests/s] for ``daily_active_users`` U, each sending
    ``requests_per_user_per_day`` r, at ``peak_to_average`` p [-] (1 = flat)."""
    check_number("daily_active_users", daily_active_users)
    check_number("requests_per_user_per_day", requests_per_user_per_day)
    check_number("peak_to_average", peak_to_average, minimum=1.0, maximum=100.0)
    return daily_active_users * requests_per_user_per_day * peak_to_average / SECONDS_PER_DAY


@formula(
    title="Peak request rate from monthly tokens",
    equation="λ = T / (S · H · 3600) · p",
    result=("λ", "requests/s", "request rate at the peak"),
    terms={
        "tokens_per_month": ("T", "tokens/month", "tokens processed per month, prompt and output"),
        "tokens_per_request": ("S", "tokens/request", "prompt plus output tokens of one request"),
        "peak_to_average": ("p", "-", "peak rate over the month's average rate"),
        "hours_per_month": ("H", "h/month", "hours in a month (730 = 365 × 24 / 12)"),
    },
    reference="Allspaw 2008, The Art of Capacity Planning, ch. 3 (capacity for the peak, not the average)",
)
def requests_per_s_from_tokens(tokens_per_month: float, tokens_per_request: float, peak_to_average: float = 1.0,
                               hours_per_month: float = HOURS_PER_MONTH) -> float:
    """Peak request rate λ = T/(S·H·3600)·p [requests/s] for ``tokens_per_month`` T in requests of
    ``tokens_per_request`` S tokens, ``peak_to_average`` p, ``hours_per_month`` H [h]."""
    check_number("tokens_per_month", tokens_per_month)
    check_positive("tokens_per_request", tokens_per_request)
    check_number("peak_to_average", peak_to_average, minimum=1.0, maximum=100.0)
    check_positive("hours_per_month", hours_per_month)
    return tokens_per_month / (tokens_per_request * hours_per_month * SECONDS_PER_HOUR) * peak_to_average


@formula(
    title="Request rate of users at once",
    equation="λ = N / (Z + R)",
    result=("λ", "requests/s", "request rate the users generate"),
    terms={
        "concurrent_users": ("N", "users", "users active at the same time"),
        "think_time_s": ("Z", "s", "time a user takes between receiving an answer and sending the next request"),
        "response_time_s": ("R", "s", "time to answer one request (time to first token + generation)"),
    },
    reference="Jain 1991, The Art of Computer Systems Performance Analysis, §33.3 (interactive response time law)",
    assumptions="A closed system in steady state: each user waits for the answer, thinks, and asks again.",
)
def requests_per_s_from_users(concurrent_users: float, think_time_s: float, response_time_s: float) -> float:
    """Request rate λ = N/(Z + R) [requests/s] of ``concurrent_users`` N, each thinking
    ``think_time_s`` Z [s] between answers that take ``response_time_s`` R [s]."""
    check_number("concurrent_users", concurrent_users)
    check_number("think_time_s", think_time_s)
    check_number("response_time_s", response_time_s)
    check_positive("think_time_s + response_time_s", think_time_s + response_time_s)
    return concurrent_users / (think_time_s + response_time_s)


@formula(
    title="Replicas for a load",
    equation="n = ⌈λ / (μ · (1 − h))⌉ + s",
    result=("n", "replicas", "whole replicas to provision"),
    terms={
        "requests_per_s": ("λ", "requests/s", "peak request rate (or tokens/s, with μ in the same unit)"),
        "replica_requests_per_s": ("μ", "requests/s", "rate one replica sustains at the service level"),
        "headroom": ("h", "-", "share of each replica's capacity kept free for bursts and the latency target"),
        "spares": ("s", "replicas", "spare replicas for failures and maintenance (1 = N+1)"),
    },
    reference="Jain 1991 §33 (waiting grows as 1/(1 − ρ): keep utilisation below 1 − h); Beyer et al. 2016, "
              "Site Reliability Engineering, ch. 26 (N+1/N+2 spare capacity)",
)
def replicas_for_load(requests_per_s: float, replica_requests_per_s: float, headroom: float = 0.0,
                      spares: float = 0.0) -> float:
    """Whole replicas n = ⌈λ/(μ·(1 − h))⌉ + s [replicas] for ``requests_per_s`` λ when one replica
    sustains ``replica_requests_per_s`` μ at utilisation at most 1 − ``headroom`` h, plus
    ``spares`` s (0 = none, 1 = N+1)."""
    check_number("requests_per_s", requests_per_s)
    check_positive("replica_requests_per_s", replica_requests_per_s)
    check_number("headroom", headroom, maximum=0.9)
    check_number("spares", spares, maximum=1000)
    needed = requests_per_s / (replica_requests_per_s * (1.0 - headroom))
    # A float a hair above a whole number (3.0000000000000004) is that whole number.
    return float(math.ceil(round(needed, 9)) + math.ceil(spares))


@formula(
    title="GPUs in whole purchasable units",
    equation="G = ⌈g / u⌉ · u",
    result=("G", "GPUs", "GPUs rented or bought, in whole units"),
    terms={
        "gpus": ("g", "GPUs", "GPUs the workload needs"),
        "unit_size": ("u", "GPUs/unit", "GPUs per purchasable unit (8 for an HGX node, a provider's reservation block)"),
    },
    reference="NVIDIA HGX H100/H200 and cloud instances such as AWS p5.48xlarge come as 8-GPU nodes",
)
def whole_units(gpus: float, unit_size: float = 8.0) -> float:
    """GPUs G = ⌈g/u⌉·u [GPUs]: ``gpus`` g rounded up to whole units of ``unit_size`` u GPUs."""
    check_number("gpus", gpus)
    check_positive("unit_size", unit_size)
    return float(math.ceil(round(gpus / unit_size, 9)) * unit_size)


@formula(
    title="Cost per user",
    equation="c_u = C / U",
    result=("c_u", "money/(user·month)", "monthly cost per user"),
    terms={"monthly_cost": ("C", "money/month", "total cost per month"),
           "users": ("U", "users", "users served in the month")},
    reference="Unit economics: cost divided by the units served",
)
def cost_per_user(monthly_cost: float, users: float) -> float:
    """Monthly cost per user c_u = C/U [money/(user·month)]."""
    check_number("monthly_cost", monthly_cost)
    check_positive("users", users)
    return monthly_cost / users


@formula(
    title="Cost per million tokens",
    equation="c_t = C / (T / 10⁶)",
    result=("c_t", "money/Mtok", "cost per million tokens processed"),
    terms={"monthly_cost": ("C", "money/month", "total cost per month"),
           "tokens_per_month": ("T", "tokens/month", "tokens processed per month, prompt and output")},
    reference="Unit economics: cost divided by the units served (the unit API providers price by)",
)
def cost_per_million_tokens(monthly_cost: float, tokens_per_month: float) -> float:
    """Cost per million tokens c_t = C/(T/10⁶) [money/Mtok]."""
    check_number("monthly_cost", monthly_cost)
    check_positive("tokens_per_month", tokens_per_month)
    return monthly_cost / (tokens_per_month / TOKENS_PER_MILLION)
