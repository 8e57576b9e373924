// Diffusion samplers as diffusers runs them, from a `scheduler_config.json`: DDIM (eta 0), Euler,
// Euler ancestral and LCM, for epsilon- or v-predicting models, with classifier-free guidance.
// All host-side float64 over small latents (a step is ~N floats; the UNet forward dominates).
//
// Noise schedule: betas (linear, scaled_linear, squaredcos_cap_v2) -> alpha_bar = cumprod(1 - beta).
// Timesteps: "linspace" / "leading" (+ steps_offset) / "trailing" (DDIM and Euler), LCM's skipping
// schedule over `original_inference_steps`.
// - DDIM: x0 from the output, x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps, a_prev past the end is
//   1 (set_alpha_to_one) or alpha_bar[0].
// - Euler (k-diffusion's sigma space, sigma = sqrt((1 - a) / a)): the model sees x / sqrt(sigma^2 + 1),
//   x_prev = x + (x - x0) / sigma * (sigma_next - sigma); the initial noise is scaled by the largest sigma
//   (or sqrt(sigma_max^2 + 1) for "leading"). Ancestral: step to sigma_down, then add fresh noise of sigma_up.
// - LCM: denoised = c_out x0 + c_skip x (boundary scalings of t * timestep_scaling, sigma_data 0.5);
//   fresh noise re-noised to the next timestep, the last step returns `denoised`.
import { loadError } from '../../formats/errors';

export type SamplerKind = 'ddim' | 'euler' | 'euler_ancestral' | 'lcm';
export const SAMPLER_KINDS: readonly SamplerKind[] = ['ddim', 'euler', 'euler_ancestral', 'lcm'];

export interface SchedulerConfig {
  kind: SamplerKind;
  numTrainTimesteps: number;
  betaSchedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  betaStart: number;
  betaEnd: number;
  spacing: 'linspace' | 'leading' | 'trailing';
  stepsOffset: number;
  prediction: 'epsilon' | 'v_prediction';
  clipSample: number | null;
  setAlphaToOne: boolean;
  /** LCM: the distillation schedule's length and the boundary-condition timestep scale. */
  originalSteps: number;
  timestepScaling: number;
  /** When the config's class is not one implemented here, what was used instead. */
  note?: string;
}

const CLASS_KIND: Record<string, SamplerKind> = {
  DDIMScheduler: 'ddim',
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler_ancestral',
  LCMScheduler: 'lcm',
};

/** Read a diffusers scheduler_config.json; `kind` overrides its class (every sampler shares the schedule). */
export function readSchedulerConfig(json: unknown, source = 'scheduler_config.json', kind?: SamplerKind): SchedulerConfig {
  if (typeof json !== 'object' || json === null) throw loadError('ModelLoad', `${source} is not a JSON object.`, { hint: 'Pick the scheduler_config.json of a diffusers model.' });
  const c = json as Record<string, unknown>;
  const unsupported = (what: string) => loadError('Unsupported', `${source}: ${what}.`, { hint: 'Supported: DDIM, Euler, Euler ancestral and LCM over linear, scaled_linear or squaredcos_cap_v2 betas.' });
  const schedule = String(c.beta_schedule ?? 'linear');
  if (!['linear', 'scaled_linear', 'squaredcos_cap_v2'].includes(schedule)) throw unsupported(`beta_schedule ${schedule}`);
  if (c.trained_betas !== undefined && c.trained_betas !== null) throw unsupported('trained_betas');
  if (c.rescale_betas_zero_snr === true) throw unsupported('rescale_betas_zero_snr');
  if (c.use_karras_sigmas === true) throw unsupported('use_karras_sigmas');
  const className = String(c._class_name ?? 'DDIMScheduler');
  const prediction = String(c.prediction_type ?? 'epsilon');
  if (prediction !== 'epsilon' && prediction !== 'v_prediction') throw unsupported(`prediction_type ${prediction}`);
  const defaultSpacing = className.startsWith('Euler') ? 'linspace' : 'leading';
  const spacing = String(c.timestep_spacing ?? defaultSpacing);
  if (spacing !== 'linspace' && spacing !== 'leading' && spacing !== 'trailing') throw unsupported(`timestep_spacing ${spacing}`);
  const n = Number(c.num_train_timesteps ?? 1000);
  if (!Number.isInteger(n) || n < 2) throw unsupported(`num_train_timesteps ${String(c.num_train_timesteps)}`);
  const known = CLASS_KIND[className];
  return {
    kind: kind ?? known ?? 'ddim',
    numTrainTimesteps: n,
    betaSchedule: schedule as SchedulerConfig['betaSchedule'],
    betaStart: Number(c.beta_start ?? 1e-4),
    betaEnd: Number(c.beta_end ?? 0.02),
    spacing,
    stepsOffset: Number(c.steps_offset ?? 0),
    prediction,
    clipSample: c.clip_sample === true ? Number(c.clip_sample_range ?? 1) : null,
    setAlphaToOne: c.set_alpha_to_one !== false,
    originalSteps: Number(c.original_inference_steps ?? 50),
    timestepScaling: Number(c.timestep_scaling ?? 10),
    note: !kind && !known ? `${className} is not implemented here; sampling with DDIM over the same noise schedule.` : undefined,
  };
}

export function alphasCumprod(c: SchedulerConfig): Float64Array {
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

/** Round half to even, as numpy's round (diffusers computes timesteps with numpy). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The timesteps a run visits, first (noisiest) to last. Euler "linspace" gives fractional ones. */
export function timesteps(c: SchedulerConfig, steps: number): number[] {
  const n = c.numTrainTimesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > n) throw loadError('Unsupported', `Steps must be a whole number from 1 to ${n} (got ${steps}).`);
  if (c.kind === 'lcm') {
    if (c.originalSteps > n || c.originalSteps < 1) throw loadError('Unsupported', `original_inference_steps ${c.originalSteps} must be from 1 to ${n}.`);
    if (steps > c.originalSteps) throw loadError('Unsupported', `LCM takes at most ${c.originalSteps} steps (its original_inference_steps); got ${steps}.`, { hint: 'LCM is made for 1-8 steps.' });
    const k = Math.floor(n / c.originalSteps);
    const origin = Array.from({ length: c.originalSteps }, (_, i) => (c.originalSteps - i) * k - 1);
    return Array.from({ length: steps }, (_, i) => origin[Math.floor((i * origin.length) / steps)]);
  }
  const euler = c.kind === 'euler' || c.kind === 'euler_ancestral';
  if (c.spacing === 'trailing') return Array.from({ length: steps }, (_, k) => roundHalfEven(n - (k * n) / steps) - 1);
  if (c.spacing === 'leading') return Array.from({ length: steps }, (_, k) => (steps - 1 - k) * Math.floor(n / steps) + c.stepsOffset);
  // linspace: Euler keeps the float32 fractions (the sigmas interpolate), DDIM rounds.
  return Array.from({ length: steps }, (_, k) => {
    const v = steps === 1 ? 0 : ((n - 1) * (steps - 1 - k)) / (steps - 1);
    return euler ? Math.fround(v) : roundHalfEven(v);
  });
}

/** sigma(t) = sqrt((1 - a) / a), linearly interpolated between whole timesteps. */
function sigmaAt(ab: Float64Array, t: number): number {
  const s = (i: number) => Math.sqrt((1 - ab[i]) / ab[i]);
  const lo = Math.max(0, Math.min(ab.length - 1, Math.floor(t)));
  const hi = Math.min(ab.length - 1, lo + 1);
  const f = t - lo;
  return f <= 0 ? s(lo) : s(lo) * (1 - f) + s(hi) * f;
}

/** One sampling run: the visited timesteps and the update rule. */
export interface Sampler {
  readonly kind: SamplerKind;
  readonly timesteps: number[];
  /** Multiply the unit-variance initial noise by this. */
  readonly initNoiseSigma: number;
  /** The UNet's input for step i (Euler scales by 1 / sqrt(sigma^2 + 1); others pass x as is). */
  modelInput(x: Float32Array, i: number): Float32Array;
  /**
   * Advance x in place from the model's (guided) output at step i; returns the predicted clean sample
   * (the preview). `noise(n)` draws fresh standard normal noise (ancestral and LCM steps).
   */
  step(i: number, x: Float32Array, out: Float32Array, noise: (n: number) => Float32Array): Float32Array;
}

export function makeSampler(c: SchedulerConfig, steps: number): Sampler {
  const ab = alphasCumprod(c);
  const ts = timesteps(c, steps);
  const finalAlpha = c.setAlphaToOne ? 1 : ab[0];
  const clip = (v: number) => (c.clipSample === null ? v : Math.min(c.clipSample, Math.max(-c.clipSample, v)));
  const v = c.prediction === 'v_prediction';

  if (c.kind === 'euler' || c.kind === 'euler_ancestral') {
    const sigmas = [...ts.map((t) => sigmaAt(ab, t)), 0];
    const sMax = Math.max(...sigmas);
    const ancestral = c.kind === 'euler_ancestral';
    return {
      kind: c.kind,
      timesteps: ts,
      initNoiseSigma: c.spacing === 'leading' ? Math.sqrt(sMax * sMax + 1) : sMax,
      modelInput(x, i) {
        const k = 1 / Math.sqrt(sigmas[i] ** 2 + 1);
        return Float32Array.from(x, (e) => e * k);
      },
      step(i, x, out, noise) {
        const s = sigmas[i];
        const next = sigmas[i + 1];
        const up = ancestral ? Math.sqrt((next * next * (s * s - next * next)) / (s * s)) : 0;
        const target = ancestral ? Math.sqrt(next * next - up * up) : next;
        const x0 = new Float32Array(x.length);
        const z = up > 0 ? noise(x.length) : null;
        for (let j = 0; j < x.length; j++) {
          const p = v ? out[j] * (-s / Math.sqrt(s * s + 1)) + x[j] / (s * s + 1) : x[j] - s * out[j];
          x0[j] = p;
          x[j] = x[j] + ((x[j] - p) / s) * (target - s) + (z ? z[j] * up : 0);
        }
        return x0;
      },
    };
  }

  const x0From = (x: number, o: number, a: number) => (v ? Math.sqrt(a) * x - Math.sqrt(1 - a) * o : (x - Math.sqrt(1 - a) * o) / Math.sqrt(a));
  const epsFrom = (x: number, o: number, a: number) => (v ? Math.sqrt(a) * o + Math.sqrt(1 - a) * x : o);
  const same = { kind: c.kind, timesteps: ts, initNoiseSigma: 1, modelInput: (x: Float32Array) => x };

  if (c.kind === 'lcm') {
    return {
      ...same,
      step(i, x, out, noise) {
        const t = ts[i];
        const last = i === ts.length - 1;
        const a = ab[t];
        const prevT = last ? t : ts[i + 1];
        const ap = prevT >= 0 ? ab[prevT] : finalAlpha;
        const st = t * c.timestepScaling;
        const cSkip = 0.25 / (st * st + 0.25);
        const cOut = st / Math.sqrt(st * st + 0.25);
        const z = last ? null : noise(x.length);
        const denoised = new Float32Array(x.length);
        for (let j = 0; j < x.length; j++) {
          const d = cOut * clip(x0From(x[j], out[j], a)) + cSkip * x[j];
          denoised[j] = d;
          x[j] = z ? Math.sqrt(ap) * d + Math.sqrt(1 - ap) * z[j] : d;
        }
        return denoised;
      },
    };
  }

  const ratio = Math.floor(c.numTrainTimesteps / steps);
  return {
    ...same,
    step(i, x, out) {
      const t = ts[i];
      const a = ab[t];
      const prevT = t - ratio;
      const ap = prevT >= 0 ? ab[prevT] : finalAlpha;
      const x0 = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) {
        const p = clip(x0From(x[j], out[j], a));
        // eps comes from the raw output, not the clipped x0 (diffusers' use_clipped_model_output is off).
        const eps = epsFrom(x[j], out[j], a);
        x0[j] = p;
        x[j] = Math.sqrt(ap) * p + Math.sqrt(1 - ap) * eps;
      }
      return x0;
    },
  };
}

/** eps = null + g (cond - null) over a batch-2 output laid out [null; cond]. */
export function guide(batch: Float32Array, g: number): Float32Array {
  const n = batch.length / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = batch[i] + g * (batch[n + i] - batch[i]);
  return out;
}
