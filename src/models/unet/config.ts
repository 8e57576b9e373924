// A diffusers UNet2DConditionModel config.json, read and checked: the block types and options the
// playground's UNet implements, and a named Unsupported error for anything else.
import { loadError } from '../../formats/errors';

export type DownBlockType = 'DownBlock2D' | 'CrossAttnDownBlock2D';
export type UpBlockType = 'UpBlock2D' | 'CrossAttnUpBlock2D';

export interface UnetConfig {
  sampleSize: number;
  inChannels: number;
  outChannels: number;
  blockOut: number[];
  down: DownBlockType[];
  up: UpBlockType[];
  layersPerBlock: number;
  groups: number;
  eps: number;
  crossDim: number;
  /** Attention heads per block (diffusers' legacy attention_head_dim is the head COUNT). */
  heads: number[];
  flipSinToCos: boolean;
  freqShift: number;
  /** SD 2.x: Linear proj_in/proj_out (the transformer reads either; kept for the description). */
  linearProjection: boolean;
}

export function readUnetConfig(json: unknown, source = 'config.json'): UnetConfig {
  const c = json as Record<string, unknown>;
  const unsupported = (what: string) =>
    loadError('Unsupported', `${source}: ${what}.`, { hint: 'The playground runs SD 1.x/2.x-style UNet2DConditionModel configs (and its own emoji UNet).' });
  const bad = (what: string) => loadError('ModelLoad', `${source}: ${what}.`, { hint: 'Pick the unet/config.json of a diffusers model.' });
  if (typeof c !== 'object' || c === null) throw bad('it is not a JSON object');
  if (c._class_name !== undefined && c._class_name !== 'UNet2DConditionModel') throw unsupported(`the model class is ${String(c._class_name)}`);
  const num = (k: string, def?: number): number => {
    const v = c[k] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`"${k}" is missing or not a number`);
    return v;
  };
  const blockOut = c.block_out_channels;
  if (!Array.isArray(blockOut) || blockOut.length === 0 || !blockOut.every((x) => Number.isInteger(x) && x > 0)) throw bad('"block_out_channels" is missing');
  const down = c.down_block_types as string[];
  const up = c.up_block_types as string[];
  if (!Array.isArray(down) || down.length !== blockOut.length) throw bad('"down_block_types" must list one type per block');
  if (!Array.isArray(up) || up.length !== blockOut.length) throw bad('"up_block_types" must list one type per block');
  for (const t of down) if (t !== 'DownBlock2D' && t !== 'CrossAttnDownBlock2D') throw unsupported(`down block type ${t}`);
  for (const t of up) if (t !== 'UpBlock2D' && t !== 'CrossAttnUpBlock2D') throw unsupported(`up block type ${t}`);
  if ((c.mid_block_type ?? 'UNetMidBlock2DCrossAttn') !== 'UNetMidBlock2DCrossAttn') throw unsupported(`mid block type ${String(c.mid_block_type)}`);
  if (c.only_cross_attention === true || (Array.isArray(c.only_cross_attention) && c.only_cross_attention.some(Boolean))) throw unsupported('only_cross_attention');
  if (c.dual_cross_attention) throw unsupported('dual_cross_attention');
  if (c.time_cond_proj_dim !== undefined && c.time_cond_proj_dim !== null) throw unsupported('time_cond_proj_dim (a guidance embedding, as LCM-distilled UNets have)');
  if ((c.time_embedding_type ?? 'positional') !== 'positional') throw unsupported(`time_embedding_type ${String(c.time_embedding_type)}`);
  if ((c.num_class_embeds ?? null) !== null) throw unsupported('num_class_embeds');
  if ((c.transformer_layers_per_block ?? 1) !== 1) throw unsupported('transformer_layers_per_block other than 1');
  if (c.class_embed_type || c.addition_embed_type) throw unsupported('class or addition embeddings (SDXL-style conditioning)');
  if ((c.resnet_time_scale_shift ?? 'default') !== 'default') throw unsupported(`resnet_time_scale_shift ${String(c.resnet_time_scale_shift)}`);
  if ((c.act_fn ?? 'silu') !== 'silu') throw unsupported(`act_fn ${String(c.act_fn)}`);
  if ((c.conv_in_kernel ?? 3) !== 3 || (c.conv_out_kernel ?? 3) !== 3) throw unsupported('conv_in/conv_out kernels other than 3');
  if (c.center_input_sample) throw unsupported('center_input_sample');
  const layers = num('layers_per_block', 2);
  if (!Number.isInteger(layers) || layers < 1) throw bad('"layers_per_block" must be a positive integer');
  const headsRaw = c.num_attention_heads ?? c.attention_head_dim ?? 8;
  const heads = Array.isArray(headsRaw) ? (headsRaw as number[]) : blockOut.map(() => headsRaw as number);
  if (heads.length !== blockOut.length || !heads.every((h, i) => Number.isInteger(h) && h > 0 && blockOut[i] % h === 0)) {
    throw bad('the attention head counts do not divide the block channels');
  }
  const groups = num('norm_num_groups', 32);
  if (!blockOut.every((ch) => ch % groups === 0)) throw bad(`norm_num_groups ${groups} does not divide every block's channels`);
  return {
    sampleSize: num('sample_size', 64),
    inChannels: num('in_channels', 4),
    outChannels: num('out_channels', 4),
    blockOut,
    down: down as DownBlockType[],
    up: up as UpBlockType[],
    layersPerBlock: layers,
    groups,
    eps: num('norm_eps', 1e-5),
    crossDim: num('cross_attention_dim', 768),
    heads,
    flipSinToCos: (c.flip_sin_to_cos ?? true) as boolean,
    freqShift: num('freq_shift', 0),
    linearProjection: c.use_linear_projection === true,
  };
}
