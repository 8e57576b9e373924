// The config.json of the two image decoders an SD pipeline can use, read and checked:
//   AutoencoderKL   (diffusers `vae/` of SD 1.x / 2.x / SD-Turbo / SDXL): the full VAE decoder.
//   AutoencoderTiny (madebyollin/taesd): TAESD, the fast decoder and per-step previewer.
// Defaults are diffusers' constructor defaults, so an old config without `scaling_factor` decodes as
// diffusers would. Anything the decoders do not implement is a named Unsupported error; a field of
// the wrong type is a ModelLoad error naming it.
import { loadError } from '../../formats/errors';

export interface VaeConfig {
  kind: 'AutoencoderKL';
  latentChannels: number;
  outChannels: number;
  /** Encoder order; the decoder walks it reversed (widest first). */
  blockOut: number[];
  layersPerBlock: number;
  groups: number;
  /** Pipelines decode latents / scalingFactor (0.18215 for SD 1.x/2.x, 0.13025 for SDXL). */
  scalingFactor: number;
  postQuantConv: boolean;
  midAttention: boolean;
}

export interface TaesdConfig {
  kind: 'AutoencoderTiny';
  latentChannels: number;
  outChannels: number;
  /** decoder_block_out_channels: every stage's width (DecoderTiny keeps one width throughout). */
  channels: number[];
  /** num_decoder_blocks: AutoencoderTinyBlocks per stage. */
  blocks: number[];
  /** upsampling_scaling_factor: nearest upsampling between stages. */
  upscale: number;
  /** 1.0 for TAESD: SD latents go in as they are. */
  scalingFactor: number;
}

type Json = Record<string, unknown>;

function reader(json: unknown, source: string, family: string, hint: string) {
  const bad = (what: string) => loadError('ModelLoad', `${source}: ${what}.`, { hint });
  const unsupported = (what: string) => loadError('Unsupported', `${source}: ${what}.`, { hint: `The playground runs ${family}.` });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('it is not a JSON object');
  const c = json as Json;
  const num = (k: string, def: number, check: (v: number) => boolean = (v) => Number.isInteger(v) && v > 0, what = 'a positive integer'): number => {
    const v = c[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw bad(`"${k}" must be ${what} (got ${JSON.stringify(c[k])})`);
    return v;
  };
  const ints = (k: string, def: number[]): number[] => {
    const v = c[k] ?? def;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) throw bad(`"${k}" must be a non-empty list of positive integers (got ${JSON.stringify(c[k])})`);
    return v as number[];
  };
  const bool = (k: string, def: boolean): boolean => {
    const v = c[k] ?? def;
    if (typeof v !== 'boolean') throw bad(`"${k}" must be true or false (got ${JSON.stringify(c[k])})`);
    return v;
  };
  const str = (k: string, def: string): string => {
    const v = c[k] ?? def;
    if (typeof v !== 'string') throw bad(`"${k}" must be a string (got ${JSON.stringify(c[k])})`);
    return v;
  };
  const scaling = (def: number) => num('scaling_factor', def, (v) => v > 0, 'a positive number');
  const noShift = () => {
    // SD3/Flux VAEs shift latents (and some normalise by per-channel mean/std) before decoding:
    // the SD 1.x/2.x pipeline does neither, so those configs are refused rather than mis-decoded.
    if (c.shift_factor !== undefined && c.shift_factor !== null && c.shift_factor !== 0) throw unsupported(`shift_factor ${JSON.stringify(c.shift_factor)} (SD3/Flux-style latents)`);
    if (c.latents_mean != null || c.latents_std != null) throw unsupported('latents_mean/latents_std normalisation');
  };
  return { c, bad, unsupported, num, ints, bool, str, scaling, noShift };
}

/** A diffusers AutoencoderKL config.json (the decode half is what is used). */
export function readVaeConfig(json: unknown, source = 'vae/config.json'): VaeConfig {
  const r = reader(json, source, 'AutoencoderKL and AutoencoderTiny (TAESD) decoders', 'Pick the vae/config.json of a diffusers Stable Diffusion model.');
  const { c } = r;
  if (c._class_name !== undefined && c._class_name !== 'AutoencoderKL') throw r.unsupported(`the model class is ${String(c._class_name)}, not AutoencoderKL`);
  const blockOut = r.ints('block_out_channels', [64]);
  const up = c.up_block_types ?? blockOut.map(() => 'UpDecoderBlock2D');
  if (!Array.isArray(up) || up.length !== blockOut.length) throw r.bad('"up_block_types" must list one type per entry of block_out_channels');
  for (const t of up) if (t !== 'UpDecoderBlock2D') throw r.unsupported(`up block type ${String(t)}`);
  const act = r.str('act_fn', 'silu');
  if (act !== 'silu') throw r.unsupported(`act_fn ${act}`);
  const groups = r.num('norm_num_groups', 32);
  for (const ch of blockOut) if (ch % groups !== 0) throw r.bad(`norm_num_groups ${groups} does not divide block channels ${ch}`);
  r.noShift();
  return {
    kind: 'AutoencoderKL',
    latentChannels: r.num('latent_channels', 4),
    outChannels: r.num('out_channels', 3),
    blockOut,
    layersPerBlock: r.num('layers_per_block', 1),
    groups,
    scalingFactor: r.scaling(0.18215),
    postQuantConv: r.bool('use_post_quant_conv', true),
    midAttention: r.bool('mid_block_add_attention', true),
  };
}

/** A diffusers AutoencoderTiny config.json (madebyollin/taesd and its relatives). */
export function readTaesdConfig(json: unknown, source = 'taesd/config.json'): TaesdConfig {
  const r = reader(json, source, 'AutoencoderKL and AutoencoderTiny (TAESD) decoders', 'Pick the config.json of a diffusers AutoencoderTiny (e.g. madebyollin/taesd).');
  const { c } = r;
  if (c._class_name !== undefined && c._class_name !== 'AutoencoderTiny') throw r.unsupported(`the model class is ${String(c._class_name)}, not AutoencoderTiny`);
  const channels = r.ints('decoder_block_out_channels', [64, 64, 64, 64]);
  const blocks = c.num_decoder_blocks ?? [3, 3, 3, 1];
  if (!Array.isArray(blocks) || blocks.length !== channels.length || !blocks.every((b) => Number.isInteger(b) && b >= 0)) {
    throw r.bad(`"num_decoder_blocks" must list a block count per entry of decoder_block_out_channels (got ${JSON.stringify(c.num_decoder_blocks)})`);
  }
  // DecoderTiny builds every stage's blocks and its closing conv at that stage's width, so a width
  // change between stages would not even run in diffusers.
  if (!channels.every((ch) => ch === channels[0])) throw r.unsupported(`decoder_block_out_channels that change width (${channels.join(', ')})`);
  const act = r.str('act_fn', 'relu');
  if (act !== 'relu') throw r.unsupported(`act_fn ${act}`);
  const upFn = r.str('upsample_fn', 'nearest');
  if (upFn !== 'nearest') throw r.unsupported(`upsample_fn ${upFn}`);
  const upscale = r.num('upsampling_scaling_factor', 2);
  if (upscale > 16) throw r.unsupported(`upsampling_scaling_factor ${upscale}`);
  r.noShift();
  return {
    kind: 'AutoencoderTiny',
    latentChannels: r.num('latent_channels', 4),
    outChannels: r.num('out_channels', 3),
    channels,
    blocks: blocks as number[],
    upscale,
    scalingFactor: r.scaling(1),
  };
}

/** The tensors of a full vae/ safetensors file that decoding needs (the encoder is left on disk). */
export function isVaeDecoderTensor(name: string): boolean {
  return name.startsWith('decoder.') || name.startsWith('post_quant_conv.');
}

/** The tensors of an AutoencoderTiny safetensors file that decoding needs. */
export function isTaesdDecoderTensor(name: string): boolean {
  return name.startsWith('decoder.');
}
