// Samplers against facts of diffusers' schedulers (SD's sigma range, the published timestep lists of
// DDIM/Euler/LCM at common settings) and against an oracle model that knows the clean sample: every
// sampler, for epsilon and v prediction, must land on it.
import { describe, expect, it } from 'vitest';
import { noiseStream } from './noise';
import { alphasCumprod, makeSampler, readSchedulerConfig, timesteps, type SamplerKind } from './scheduler';

// stabilityai/sd-turbo's scheduler_config.json (Stable Diffusion's noise schedule).
const SD_TURBO = {
  _class_name: 'EulerDiscreteScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  set_alpha_to_one: false,
  steps_offset: 1,
  timestep_spacing: 'trailing',
  use_karras_sigmas: false,
};

describe('schedules', () => {
  it("span Stable Diffusion's sigma range (0.0292 .. 14.6146)", () => {
    const c = readSchedulerConfig(SD_TURBO);
    const ab = alphasCumprod(c);
    expect(Math.sqrt((1 - ab[999]) / ab[999])).toBeCloseTo(14.6146, 3);
    expect(Math.sqrt((1 - ab[0]) / ab[0])).toBeCloseTo(0.0292, 4);
    const one = makeSampler(c, 1);
    expect(one.timesteps).toEqual([999]);
    expect(one.initNoiseSigma).toBeCloseTo(14.6146, 3);
  });

  it('visit the timesteps diffusers visits', () => {
    const c = readSchedulerConfig(SD_TURBO);
    expect(timesteps(c, 4)).toEqual([999, 749, 499, 249]);
    const ddim = readSchedulerConfig({ ...SD_TURBO, _class_name: 'DDIMScheduler', timestep_spacing: 'leading' });
    const t50 = timesteps(ddim, 50);
    expect([t50[0], t50[1], t50.at(-1)]).toEqual([981, 961, 1]);
    const lin = readSchedulerConfig({ ...SD_TURBO, timestep_spacing: 'linspace' });
    expect(timesteps(lin, 4)).toEqual([999, 666, 333, 0]);
    expect(timesteps({ ...lin, kind: 'ddim' }, 3)).toEqual([999, 500, 0]);
    expect(timesteps(lin, 3)).toEqual([999, 499.5, 0]);
    const lcm = readSchedulerConfig({ ...SD_TURBO, _class_name: 'LCMScheduler' });
    expect(timesteps(lcm, 4)).toEqual([999, 759, 499, 259]);
    expect(timesteps(lcm, 2)).toEqual([999, 499]);
    expect(timesteps(lcm, 1)).toEqual([999]);
  });

  it("scale the first noise as diffusers' init_noise_sigma", () => {
    const lead = makeSampler(readSchedulerConfig({ ...SD_TURBO, timestep_spacing: 'leading' }), 4);
    const s = Math.sqrt((1 - alphasCumprod(readSchedulerConfig(SD_TURBO))[751]) / alphasCumprod(readSchedulerConfig(SD_TURBO))[751]);
    expect(lead.timesteps[0]).toBe(751);
    expect(lead.initNoiseSigma).toBeCloseTo(Math.sqrt(s * s + 1), 10);
    expect(makeSampler(readSchedulerConfig({ ...SD_TURBO, _class_name: 'DDIMScheduler' }), 4).initNoiseSigma).toBe(1);
  });

  it('refuse what they cannot do, with the reason, and say when they stand in for another class', () => {
    expect(() => readSchedulerConfig({ ...SD_TURBO, beta_schedule: 'sigmoid' })).toThrow(/beta_schedule sigmoid/);
    expect(() => readSchedulerConfig({ ...SD_TURBO, prediction_type: 'sample' })).toThrow(/prediction_type sample/);
    expect(() => readSchedulerConfig({ ...SD_TURBO, use_karras_sigmas: true })).toThrow(/karras/);
    expect(() => readSchedulerConfig('nope')).toThrow(/not a JSON object/);
    expect(() => timesteps(readSchedulerConfig(SD_TURBO), 0)).toThrow(/whole number from 1 to 1000/);
    expect(() => timesteps(readSchedulerConfig({ ...SD_TURBO, _class_name: 'LCMScheduler' }), 60)).toThrow(/at most 50 steps/);
    const pndm = readSchedulerConfig({ ...SD_TURBO, _class_name: 'PNDMScheduler' });
    expect(pndm.kind).toBe('ddim');
    expect(pndm.note).toMatch(/PNDMScheduler is not implemented/);
    expect(readSchedulerConfig(SD_TURBO, 'x', 'lcm').kind).toBe('lcm');
  });
});

describe('every sampler lands on the clean sample an oracle model predicts', () => {
  const x0 = Float32Array.from({ length: 257 }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const kinds: SamplerKind[] = ['ddim', 'euler', 'euler_ancestral', 'lcm'];
  for (const prediction of ['epsilon', 'v_prediction'] as const) {
    for (const kind of kinds) {
      for (const steps of [1, 4]) {
        it(`${kind}, ${prediction}, ${steps} step(s)`, () => {
          const c = readSchedulerConfig({ ...SD_TURBO, prediction_type: prediction, set_alpha_to_one: true }, 'x', kind);
          const ab = alphasCumprod(c);
          const s = makeSampler(c, steps);
          const draw = noiseStream(3);
          const x = Float32Array.from(draw(x0.length), (v) => v * s.initNoiseSigma);
          const previews: Float32Array[] = [];
          for (let i = 0; i < s.timesteps.length; i++) {
            // The model sees an alpha-space sample sqrt(a) x0 + sqrt(1 - a) eps at timestep t.
            const a = ab[s.timesteps[i]];
            const xin = s.modelInput(x, i);
            const out = Float32Array.from(xin, (v, j) => {
              const eps = (v - Math.sqrt(a) * x0[j]) / Math.sqrt(1 - a);
              return prediction === 'epsilon' ? eps : Math.sqrt(a) * eps - Math.sqrt(1 - a) * x0[j];
            });
            previews.push(s.step(i, x, out, draw));
          }
          let err = 0;
          for (let j = 0; j < x0.length; j++) err = Math.max(err, Math.abs(x[j] - x0[j]), Math.abs(previews.at(-1)![j] - x0[j]));
          expect(err).toBeLessThan(2e-4);
          expect(previews.length).toBe(steps);
        });
      }
    }
  }
});

describe('ancestral and LCM steps draw fresh noise from the seeded stream', () => {
  it('the same seed gives the same run, another seed another', () => {
    const c = readSchedulerConfig(SD_TURBO, 'x', 'euler_ancestral');
    const run = (seed: number) => {
      const s = makeSampler(c, 3);
      const draw = noiseStream(seed);
      const x = Float32Array.from(draw(16), (v) => v * s.initNoiseSigma);
      for (let i = 0; i < 3; i++) s.step(i, x, new Float32Array(16), draw);
      return Array.from(x);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
