"""Excel functions for serving demand in business terms: users and tokens to request rates,
replicas with headroom and spares, whole nodes, and unit costs.

Each function calls one core formula (:mod:`xlcompute.core.demand`); no arithmetic here.
"""

from __future__ import annotations

from ..core import demand
from .spec import Argument, excel_function

PEAK_TO_AVERAGE = Argument("peak_to_average", "Peak rate over the average rate [optional, default 1 = flat load; "
                                              "consumer chat traffic is often 2-3].", "-")
MONTHLY_COST = Argument("monthly_cost", "Total cost per month.", "money/month")


@excel_function("PEAK_REQUESTS_PER_S", [
    Argument("daily_active_users", "Daily active users. Cell or range.", "users/day"),
    Argument("requests_per_user_per_day", "Requests each user sends per day. Cell or range.", "requests/(user·day)"),
    PEAK_TO_AVERAGE,
], vectorised=True)
def peak_requests_per_s(daily_active_users, requests_per_user_per_day, peak_to_average=1.0):
    """Peak request rate [requests/s] = users x requests per user per day x peak-to-average / 86,400."""
    return demand.peak_requests_per_s(daily_active_users, requests_per_user_per_day, peak_to_average)


@excel_function("REQUESTS_FROM_TOKENS", [
    Argument("tokens_per_month", "Tokens processed per month, prompt and output. Cell or range.", "tokens/month"),
    Argument("tokens_per_request", "Prompt plus output tokens of one request.", "tokens/request"),
    PEAK_TO_AVERAGE,
    Argument("hours_per_month", "Hours in a month [optional, default 730 = 365 x 24 / 12].", "h/month"),
], vectorised=True)
def requests_from_tokens(tokens_per_month, tokens_per_request, peak_to_average=1.0,
                         hours_per_month=demand.HOURS_PER_MONTH):
    """Peak request rate [requests/s] of a monthly token volume."""
    return demand.requests_per_s_from_tokens(tokens_per_month, tokens_per_request, peak_to_average, hours_per_month)


@excel_function("REQUESTS_FROM_USERS", [
    Argument("concurrent_users", "Users active at the same time. Cell or range.", "users"),
    Argument("think_time_s", "Seconds a user takes between an answer and the next request.", "s"),
    Argument("response_time_s", "Seconds to answer one request (TTFT + output tokens x TPOT).", "s"),
], vectorised=True)
def requests_from_users(concurrent_users, think_time_s, response_time_s):
    """Request rate [requests/s] of users at once (interactive response time law)."""
    return demand.requests_per_s_from_users(concurrent_users, think_time_s, response_time_s)


@excel_function("REPLICAS_FOR_LOAD", [
    Argument("load", "Peak load: requests/s (or output tokens/s). Cell or range.", "requests/s", ("requests_per_s",)),
    Argument("per_replica", "Load one replica sustains at the service level, in the unit of load.", "requests/s",
             ("replica_requests_per_s",)),
    Argument("headroom", "Share of capacity kept free for bursts and the latency target [optional, default 0; "
                         "0.2 keeps replicas at most 80% busy].", "-"),
    Argument("spares", "Spare replicas for failures and maintenance [optional, default 0; 1 = N+1].", "replicas"),
], vectorised=True)
def replicas_for_load(load, per_replica, headroom=0.0, spares=0.0):
    """Whole replicas [replicas] = roundup(load / (per replica x (1 - headroom))) + spares."""
    return demand.replicas_for_load(load, per_replica, headroom, spares)


@excel_function("WHOLE_NODES", [
    Argument("gpus", "GPUs needed. Cell or range.", "GPUs"),
    Argument("gpus_per_node", "GPUs per purchasable unit [optional, default 8, an HGX node].", "GPUs/unit",
             ("unit_size",)),
], vectorised=True)
def whole_nodes(gpus, gpus_per_node=8.0):
    """GPUs rounded up to whole purchasable units (8-GPU nodes, reservation blocks) [GPUs]."""
    return demand.whole_units(gpus, gpus_per_node)


@excel_function("COST_PER_USER", [MONTHLY_COST, Argument("users", "Users served in the month.", "users")],
                vectorised=True)
def cost_per_user(monthly_cost, users):
    """Monthly cost per user [money/(user·month)]."""
    return demand.cost_per_user(monthly_cost, users)


@excel_function("COST_PER_MILLION_TOKENS", [
    MONTHLY_COST, Argument("tokens_per_month", "Tokens processed per month, prompt and output.", "tokens/month"),
], vectorised=True)
def cost_per_million_tokens(monthly_cost, tokens_per_month):
    """Cost per million tokens processed [money/Mtok] (compare with API list prices)."""
    return demand.cost_per_million_tokens(monthly_cost, tokens_per_month)
