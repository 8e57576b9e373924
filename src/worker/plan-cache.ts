// Tuned kernel plans kept between visits: one small JSON file in the Origin Private File System,
// keyed by adapter identity and the weight types a plan covers. Without OPFS, plans live for the
// session only.
import { serialized } from '../util/serial';
import { memoryPlanCache, type KernelPlan, type PlanCache } from '../perf/autotune';

type PlanFile = Record<string, KernelPlan>;

export async function opfsPlanCache(): Promise<PlanCache> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  const dir = storage?.getDirectory ? await storage.getDirectory().catch(() => null) : null;
  if (!dir) return memoryPlanCache();
  const root = dir;
  const read = async (): Promise<PlanFile> => {
    try {
      const parsed = JSON.parse(await (await (await root.getFileHandle('kernel-plans.json')).getFile()).text()) as PlanFile;
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      return {};
    }
  };
  const exclusive = serialized();
  return {
    async get(adapter, key) {
      return (await read())[`${adapter}\n${key}`] ?? null;
    },
    set(adapter, key, plan) {
      return exclusive(async () => {
        const all = await read();
        all[`${adapter}\n${key}`] = plan;
        const w = await (await root.getFileHandle('kernel-plans.json', { create: true })).createWritable();
        await w.write(JSON.stringify(all));
        await w.close();
      });
    },
  };
}
