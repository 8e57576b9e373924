// Real WebGPU for Node tests: Dawn from the `webgpu` package on two software Vulkan drivers.
//   - SwiftShader (ships with Debian's chromium): the same adapter headless Chrome gets here.
//   - Mesa 25 lavapipe (unpacked by `npm run setup` into .cache/lavapipe): the only substrate on
//     these machines with shader-f16, so the native f16 kernel paths are tested on it.
// Both drivers are listed in VK_ICD_FILENAMES before Dawn starts; an adapter toggle picks one.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { acquireDevice, adapterName, type WantedFeature } from '../runtime/device';
import { GpuRuntime } from '../runtime/runtime';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
export const LAVAPIPE_ICD = resolve(import.meta.dirname, '../../.cache/lavapipe/lvp_icd.json');

export interface Substrate {
  name: 'swiftshader' | 'lavapipe';
  /** A fresh runtime on this substrate (cached per test file). */
  runtime(): Promise<GpuRuntime>;
}

type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };
let dawn: DawnModule | null = null;

async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  const icds = [SWIFTSHADER_ICD, LAVAPIPE_ICD].filter((p) => existsSync(p));
  process.env.VK_ICD_FILENAMES = icds.join(':');
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const mod = (await import('webgpu')) as unknown as DawnModule;
  Object.assign(globalThis, mod.globals);
  dawn = mod;
  return mod;
}

// dawn.node destroys its instance when the GPU object is garbage collected, even while devices
// made from it are alive; that crashed the process at random (SIGSEGV, futex errors). Every GPU
// object made here is therefore kept alive for the life of the process.
const instances: GPU[] = [];

const ADAPTER_TOGGLE: Record<Substrate['name'], string> = { swiftshader: 'SwiftShader', lavapipe: 'llvmpipe' };

/** A Dawn GPU entry point (the navigator.gpu of Node) that picks one substrate's adapter. */
export async function nodeGpu(name: Substrate['name']): Promise<GPU> {
  const { create } = await loadDawn();
  const gpu = create([`adapter=${ADAPTER_TOGGLE[name]}`]);
  instances.push(gpu);
  return gpu;
}

function substrate(name: Substrate['name'], disable: readonly WantedFeature[] = []): Substrate {
  let rt: Promise<GpuRuntime> | null = null;
  return {
    name,
    runtime() {
      rt ??= (async () => {
        const gpu = await nodeGpu(name);
        const ctx = await acquireDevice(gpu, {
          disableFeatures: disable,
          onUncapturedError: (m) => console.error(`[${name}] uncaptured WebGPU error: ${m}`),
        });
        const r = new GpuRuntime(ctx, { profiling: true });
        console.log(`[webgpu] ${name}: ${adapterName(ctx.report.adapter)} features=${ctx.report.features.join(',')}`);
        return r;
      })();
      return rt;
    },
  };
}

/**
 * The substrates available here. SwiftShader is required. Lavapipe is required in CI (where
 * `npm run setup` installs it) and optional elsewhere, with a loud note when it is missing.
 * WEBGPU_SUBSTRATES=swiftshader (comma list) narrows a local run to some of them.
 */
export function nodeSubstrates(): Substrate[] {
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new Error(`No SwiftShader Vulkan driver at ${SWIFTSHADER_ICD}: run \`npm run setup\` (installs Debian's chromium).`);
  }
  const list = [substrate('swiftshader')];
  if (existsSync(LAVAPIPE_ICD)) list.push(substrate('lavapipe'));
  else if (process.env.CI) throw new Error(`CI needs Mesa lavapipe at ${LAVAPIPE_ICD}: run \`npm run setup\`.`);
  else console.warn(`[webgpu] lavapipe not found at ${LAVAPIPE_ICD}: f16-native kernels are not tested. Run \`npm run setup\`.`);
  const only = process.env.WEBGPU_SUBSTRATES?.split(',').map((x) => x.trim());
  return only ? list.filter((s) => only.includes(s.name)) : list;
}
