// DDIM (eta 0) for epsilon- or v-predicting models, as diffusers' DDIMScheduler with steps_offset 0:
// alpha_bar from the beta schedule in float64, "trailing" or "leading" timestep spacing,
// x0 = clamp((x - sqrt(1 - a) eps) / sqrt(a)), x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps, with
// a_prev = 1 past the last step (set_alpha_to_one). Classifier-free guidance:
// eps = eps_null + g (eps_cond - eps_null).
import { loadError } from '../../formats/errors';

export interface DdimConfig {
  numTrainTimesteps: number;
  betaSchedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  betaStart: number;
  betaEnd: number;
  spacing: 'trailing' | 'leading';
  clipSample: number | null;
  prediction: 'epsilon' | 'v_prediction';
}

export function readDdimConfig(json: unknown, source = 'scheduler_config.json'): DdimConfig {
  const c = json as Record<string, unknown>;
  const unsupported = (what: string) => loadError('Unsupported', `${source}: ${what}.`, { hint: 'The emoji model samples with DDIM; its scheduler_config.json ships with it.' });
  const schedule = String(c.beta_schedule ?? 'linear');
  if (!['linear', 'scaled_linear', 'squaredcos_cap_v2'].includes(schedule)) throw unsupported(`beta_schedule ${schedule}`);
  const spacing = String(c.timestep_spacing ?? 'leading');
  if (spacing !== 'trailing' && spacing !== 'leading') throw unsupported(`timestep_spacing ${spacing}`);
  const prediction = String(c.prediction_type ?? 'epsilon');
  if (prediction !== 'epsilon' && prediction !== 'v_prediction') throw unsupported(`prediction_type ${prediction}`);
  if ((c.steps_offset ?? 0) !== 0) throw unsupported('steps_offset other than 0');
  if (c.set_alpha_to_one === false) throw unsupported('set_alpha_to_one false');
  return {
    numTrainTimesteps: Number(c.num_train_timesteps ?? 1000),
    betaSchedule: schedule as DdimConfig['betaSchedule'],
    betaStart: Number(c.beta_start ?? 1e-4),
    betaEnd: Number(c.beta_end ?? 0.02),
    spacing,
    clipSample: c.clip_sample === false ? null : Number(c.clip_sample_range ?? 1),
    prediction: prediction as DdimConfig['prediction'],
  };
}

export function alphasCumprod(c: DdimConfig): Float64Array {
  const n = c.numTrainTimesteps;
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (c.betaSchedule === 'linear') betas[i] = c.betaStart + ((c.betaEnd - c.betaStart) * i) / (n - 1);
    else if (c.betaSchedule === 'scaled_linear') betas[i] = (Math.sqrt(c.betaStart) + ((Math.sqrt(c.betaEnd) - Math.sqrt(c.betaStart)) * i) / (n - 1)) ** 2;
    else {
      const f = (u: number) => Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      betas[i] = Math.min(1 - f((i + 1) / n) / f(i / n), 0.999);
    }
  }
  const out = new Float64Array(n);
  let p = 1;
  for (let i = 0; i < n; i++) out[i] = p *= 1 - betas[i];
  return out;
}

/** Round half to even, as Python's round() (diffusers computes timesteps with numpy). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function ddimTimesteps(c: DdimConfig, steps: number): number[] {
  const n = c.numTrainTimesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > n) throw loadError('Unsupported', `Steps must be a whole number from 1 to ${n} (got ${steps}).`);
  if (c.spacing === 'trailing') return Array.from({ length: steps }, (_, k) => roundHalfEven(n - (k * n) / steps) - 1);
  return Array.from({ length: steps }, (_, k) => (steps - 1 - k) * Math.floor(n / steps));
}

/** diffusers' DDIM: the previous timestep is t - T // steps (negative past the end). */
export function ddimPrev(c: DdimConfig, t: number, steps: number): number {
  return t - Math.floor(c.numTrainTimesteps / steps);
}

/**
 * One step in place on x from the model's (guided) output; returns the predicted x0 (the preview).
 * epsilon: eps = out; v_prediction: x0 = sqrt(a) x - sqrt(1 - a) v, eps = sqrt(a) v + sqrt(1 - a) x.
 */
export function ddimStep(c: DdimConfig, ab: Float64Array, x: Float32Array, out: Float32Array, t: number, prevT: number): Float32Array {
  const a = ab[t];
  const ap = prevT >= 0 ? ab[prevT] : 1;
  const sa = Math.sqrt(a);
  const s1a = Math.sqrt(1 - a);
  const sap = Math.sqrt(ap);
  const s1ap = Math.sqrt(1 - ap);
  const x0 = new Float32Array(x.length);
  const v = c.prediction === 'v_prediction';
  for (let i = 0; i < x.length; i++) {
    const eps = v ? sa * out[i] + s1a * x[i] : out[i];
    let p = v ? sa * x[i] - s1a * out[i] : (x[i] - s1a * eps) / sa;
    if (c.clipSample !== null) p = Math.min(c.clipSample, Math.max(-c.clipSample, p));
    x0[i] = p;
    x[i] = sap * p + s1ap * eps;
  }
  return x0;
}

/** eps = null + g (cond - null) over a batch-2 output laid out [null; cond]. */
export function guide(batch: Float32Array, g: number): Float32Array {
  const n = batch.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = batch[i] + g * (batch[n + i] - batch[i]);
  return out;
}
