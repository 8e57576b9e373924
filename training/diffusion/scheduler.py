"""Diffusion schedule, training target and the DDIM (eta = 0) sampler with classifier-free guidance.

Schedule: diffusers beta_schedule "squaredcos_cap_v2" (Nichol & Dhariwal's cosine), T = 1000:
    f(u) = cos((u + 0.008) / 1.008 * pi / 2) ^ 2
    beta_t = min(1 - f((t + 1) / T) / f(t / T), 0.999),  t = 0 .. T-1
    alpha_bar_t = prod_{s <= t} (1 - beta_s)        (computed in float64 here; diffusers casts the
                                                      betas to float32, a < 1e-6 relative difference)
Write a = alpha_bar_t. Forward process: x_t = sqrt(a) x_0 + sqrt(1 - a) eps, t uniform in 0 .. T-1.
Target: v-prediction (diffusers prediction_type "v_prediction"): v = sqrt(a) eps - sqrt(1 - a) x_0,
loss = mean (v_hat - v)^2 (unweighted). From a prediction v:
    x0  = sqrt(a) x_t - sqrt(1 - a) v
    eps = sqrt(a) v + sqrt(1 - a) x_t

DDIM, `timestep_spacing = "trailing"`, N steps: step_ratio = T / N,
    timesteps = round(T - k * step_ratio) - 1 for k = 0 .. N-1     (N = 20: 999, 949, ..., 49)
    prev(t) = t - T // N; a_prev = alpha_bar[prev] if prev >= 0 else 1.0
Each step, with g the guidance scale and ids_null the empty prompt:
    v      = v_null + g * (v_cond - v_null)
    x0     = clamp(sqrt(a) x_t - sqrt(1 - a) v, -1, 1)
    eps    = sqrt(a) v + sqrt(1 - a) x_t                 (from the UNclamped prediction, as diffusers)
    x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps
"""

import math

import numpy as np
import torch

NUM_TRAIN_TIMESTEPS = 1000
BETA_SCHEDULE = "squaredcos_cap_v2"
MAX_BETA = 0.999
PREDICTION_TYPE = "v_prediction"
TIMESTEP_SPACING = "trailing"


def alphas_cumprod(n=NUM_TRAIN_TIMESTEPS, schedule=BETA_SCHEDULE):
    """float64 numpy [n]."""
    if schedule == "squaredcos_cap_v2":
        def f(u):
            return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1.0 - f((i + 1) / n) / f(i / n), MAX_BETA) for i in range(n)], dtype=np.float64)
    elif schedule == "linear":  # the schedule of the first (discarded) run, kept for comparison
        betas = np.linspace(1e-4, 0.02, n, dtype=np.float64)
    else:
        raise ValueError(f"unknown beta schedule {schedule!r}")
    return np.cumprod(1.0 - betas)


ALPHAS_CUMPROD = alphas_cumprod()


def add_noise(x0, noise, t):
    """x0, noise [B, C, H, W]; t [B] int64 -> x_t (dtype of x0)."""
    ab = torch.from_numpy(ALPHAS_CUMPROD).to(x0.dtype)[t][:, None, None, None]
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def v_target(x0, noise, t):
    """v = sqrt(a) eps - sqrt(1 - a) x0 (dtype of x0)."""
    ab = torch.from_numpy(ALPHAS_CUMPROD).to(x0.dtype)[t][:, None, None, None]
    return ab.sqrt() * noise - (1 - ab).sqrt() * x0


def ddim_timesteps(num_steps, n=NUM_TRAIN_TIMESTEPS, spacing=None):
    """diffusers DDIMScheduler.set_timesteps (steps_offset 0).
    trailing: round(n - k * n / N) - 1 -> [999, 949, ..., 49];  leading: (N-1-k) * (n // N) -> [950, ..., 0]."""
    spacing = spacing or TIMESTEP_SPACING
    if spacing == "trailing":
        return [int(round(n - k * n / num_steps)) - 1 for k in range(num_steps)]
    if spacing == "leading":
        return [(num_steps - 1 - k) * (n // num_steps) for k in range(num_steps)]
    raise ValueError(f"unknown timestep spacing {spacing!r}")


def ddim_step(x, v, t, prev_t, clip=1.0):
    """One eta = 0 DDIM update from a v prediction. Returns (x_prev, x0, eps)."""
    ab = float(ALPHAS_CUMPROD[t])
    ab_prev = float(ALPHAS_CUMPROD[prev_t]) if prev_t >= 0 else 1.0
    x0 = ab ** 0.5 * x - (1.0 - ab) ** 0.5 * v
    eps = ab ** 0.5 * v + (1.0 - ab) ** 0.5 * x
    if clip is not None:
        x0 = x0.clamp(-clip, clip)
    return ab_prev ** 0.5 * x0 + (1.0 - ab_prev) ** 0.5 * eps, x0, eps


@torch.no_grad()
def sample(model, noise, ids, null_ids, num_steps=20, guidance=3.0, record=None):
    """DDIM with classifier-free guidance.

    model(x [B,C,H,W], t [B], ids [B,S]) -> v. noise [B,C,H,W] is x_T; ids/null_ids [B,S].
    The conditional and unconditional passes run as ONE batch [cond; null] of 2B.
    If `record` is a list, one dict per step is appended (t, prev_t, v_cond, v_null, v, x0, eps, x_prev).
    """
    x = noise
    steps = ddim_timesteps(num_steps)
    ratio = NUM_TRAIN_TIMESTEPS // num_steps
    B = x.shape[0]
    both_ids = torch.cat([ids, null_ids])
    for t in steps:
        tt = torch.full((2 * B,), t, dtype=torch.long)
        out = model(torch.cat([x, x]), tt, both_ids)
        v_cond, v_null = out[:B], out[B:]
        v = v_null + guidance * (v_cond - v_null)
        x_prev, x0, eps = ddim_step(x, v, t, t - ratio)
        if record is not None:
            record.append({"t": t, "prev_t": t - ratio, "v_cond": v_cond, "v_null": v_null,
                           "v": v, "x0": x0, "eps": eps, "x_prev": x_prev})
        x = x_prev
    return x
