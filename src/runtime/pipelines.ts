// Compiled pipelines, cached by a typed variant key. Everything a model needs is compiled at load
// time with createComputePipelineAsync (a visible "compiling shaders" step), never at the first token.
import { EngineError } from '../util/errors';
import { preprocess, type Defines } from './wgsl';
import { shaderSource } from './shaders';

export interface KernelVariant {
  /** Shader file under shaders/, without extension: "rmsnorm". */
  shader: string;
  /** GPU label: the op name, then the variant ("matvec.rows-f16packed"). */
  label: string;
  entryPoint?: string;
  defines?: Defines;
}

export function variantKey(v: KernelVariant): string {
  const defs = Object.entries(v.defines ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, val]) => `${k}=${String(val)}`)
    .join(',');
  return `${v.shader}:${v.entryPoint ?? 'main'}:${defs}`;
}

export class PipelineCache {
  private readonly cache = new Map<string, Promise<GPUComputePipeline>>();
  private readonly sources = new Map<string, string>();

  private readonly resolve: (name: string) => string | undefined;

  constructor(
    private readonly device: GPUDevice,
    opts: { resolve?: (name: string) => string | undefined } = {},
  ) {
    this.resolve = opts.resolve ?? shaderSource;
  }

  get size(): number {
    return this.cache.size;
  }

  /** The preprocessed WGSL for a variant (shown in error reports and handy in tests). */
  source(v: KernelVariant): string {
    const key = variantKey(v);
    let code = this.sources.get(key);
    if (code === undefined) {
      const src = this.resolve(v.shader);
      if (src === undefined) throw new EngineError('ShaderCompile', `No shader "${v.shader}.wgsl" in shaders/ (variant ${key}).`);
      code = preprocess(v.shader, src, { defines: v.defines, resolve: this.resolve });
      this.sources.set(key, code);
    }
    return code;
  }

  get(v: KernelVariant): Promise<GPUComputePipeline> {
    const key = variantKey(v);
    let p = this.cache.get(key);
    if (!p) {
      p = this.compile(v, key);
      this.cache.set(key, p);
      p.catch(() => {
        // A failed compile may be retried after a fix: forget the preprocessed source too.
        this.cache.delete(key);
        this.sources.delete(key);
      });
    }
    return p;
  }

  private async compile(v: KernelVariant, key: string): Promise<GPUComputePipeline> {
    const code = this.source(v);
    // Pop before awaiting: error scopes are a device-wide stack, so a scope left open across an
    // await would catch (or lose) the errors of compiles running concurrently.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: v.label });
    const scope = this.device.popErrorScope();
    const info = await module.getCompilationInfo();
    const scopeErr = await scope;
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0 || scopeErr) {
      const lines = code.split('\n');
      const detail = errors
        .map((m) => `${m.lineNum}:${m.linePos} ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`)
        .join('\n');
      throw new EngineError('ShaderCompile', `Shader "${v.label}" failed to compile (variant ${key}).`, {
        hint: 'This is a bug in the playground or an unusual GPU driver; the log has the compiler messages.',
        detail: detail || scopeErr?.message,
      });
    }
    const desc: GPUComputePipelineDescriptor = {
      label: v.label,
      layout: 'auto',
      compute: { module, entryPoint: v.entryPoint ?? 'main' },
    };
    try {
      return await this.device.createComputePipelineAsync(desc);
    } catch (e) {
      throw new EngineError('ShaderCompile', `Pipeline "${v.label}" could not be created (variant ${key}): ${(e as Error).message}`, {
        hint: 'The GPU rejected the kernel, often a workgroup size or storage limit this device does not have.',
        cause: e,
      });
    }
  }
}
