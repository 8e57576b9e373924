// Share links in the session: build one from the last finished run, and open one: load the same
// model, set every setting, run it, and compare the text with the sharer's by hash.
import type { ModelSource } from '../engine/protocol';
import type { KernelPlan } from '../engine/protocol';
import { decodeShare, fnv1a, shareFromHash, shareUrl, type KernelLabel, type SharePayload, type SharedModel } from '../share/link';
import { EngineError } from '../util/errors';
import type { StoreCtx } from './context';
import type { FinishedRun, SessionState } from './types';

function sharedModel(ctx: StoreCtx): SharedModel | null {
  const { source, model } = ctx.get();
  if (!source || !model) return null;
  if (source.kind === 'url') {
    return source.url === ctx.embeddedUrl() ? { kind: 'embedded', bytes: model.fileBytes } : { kind: 'url', url: source.url, bytes: model.fileBytes };
  }
  if (source.kind === 'file') return { kind: 'file', name: source.file.name, bytes: model.fileBytes };
  return { kind: 'file', name: source.name, bytes: model.fileBytes };
}

/** A plan as share-link labels: { q4_0: 'rows', q8_0: 'coop-sg' }. */
export function kernelLabels(plan: KernelPlan): Record<string, KernelLabel> {
  return Object.fromEntries(Object.entries(plan.qmatvec).map(([t, c]) => [t, c!.variant === 'rows' ? 'rows' : c!.subgroups ? 'coop-sg' : 'coop']));
}

export function planFromLabels(labels: Record<string, KernelLabel>, adapter: string): KernelPlan {
  const qmatvec = Object.fromEntries(Object.entries(labels).map(([t, l]) => [t, { variant: l === 'rows' ? 'rows' : 'coop', subgroups: l === 'coop-sg' } as const]));
  return { qmatvec, source: 'link', adapter };
}

export function buildPayload(ctx: StoreCtx, run: FinishedRun): SharePayload | null {
  const model = sharedModel(ctx);
  if (!model) return null;
  const a = ctx.get().device?.adapter;
  return {
    v: 1,
    model,
    mode: run.mode,
    system: run.system,
    history: run.history,
    prompt: run.prompt,
    sampling: run.sampling,
    load: {
      kvType: ctx.get().model?.kvType ?? 'f32',
      ...(ctx.get().model ? { contextLength: ctx.get().model?.contextLength } : {}),
      ...(ctx.get().model ? { kernels: kernelLabels(ctx.get().model!.kernelPlan) } : {}),
    },
    sharer: {
      device: a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter' : 'unknown adapter',
      software: a?.isSoftware ?? false,
      ttftMs: run.stats.timeToFirstTokenMs,
      prefillTokS: run.stats.prefillTokensPerS,
      decodeTokS: run.stats.decodeTokensPerS,
      tokens: run.stats.generatedTokens,
      textHash: fnv1a(run.text),
    },
  };
}

export function shareActions(ctx: StoreCtx, runGeneration: () => Promise<FinishedRun | null>) {
  const { set, get } = ctx;

  /** The source a shared model loads from, or null when the person must pick a local file. */
  const sourceFor = (m: SharedModel): ModelSource | null =>
    m.kind === 'embedded' ? { kind: 'url', url: ctx.embeddedUrl() } : m.kind === 'url' ? { kind: 'url', url: m.url, cache: true } : null;

  /** Apply a shared demo's settings, load its model, and run it once. */
  const play = async () => {
    const sh = get().share;
    if (!sh) return;
    const p = sh.payload;
    const { kernels, ...load } = p.load ?? { kvType: get().loadOptions.kvType ?? 'f16' };
    const kernelPlan = kernels ? planFromLabels(kernels, p.sharer?.device ?? 'the sharer') : undefined;
    set((s) => ({
      sampling: { ...p.sampling },
      loadOptions: p.load ? { ...s.loadOptions, ...load, kernelPlan } : s.loadOptions,
      gen: { ...s.gen, mode: p.mode, system: p.system, messages: p.history, prompt: p.prompt, output: '', stats: null, finish: null },
    }));
    const source = sourceFor(p.model);
    if (!source) {
      set({ share: { ...sh, status: 'needs-file', note: `The sharer used a local file, ${p.model.kind === 'file' ? p.model.name : ''} (${p.model.bytes} bytes): open the same file to reproduce it.` } });
      await get().loadEmbedded();
      return;
    }
    await get().loadModel(source);
    // The link's kernels were for its model: later loads tune (or use the cache) as usual.
    set((s) => ({ loadOptions: { ...s.loadOptions, kernelPlan: undefined } }));
    await runIfModelMatches();
  };

  const runIfModelMatches = async () => {
    const sh = get().share;
    const model = get().model;
    if (!sh || !model || (sh.status !== 'loading' && sh.status !== 'needs-file')) return;
    if (sh.status === 'needs-file' && get().source?.kind !== 'file') return;
    const p = sh.payload;
    const note = model.fileBytes !== p.model.bytes ? `This model file is ${model.fileBytes} bytes but the sharer's was ${p.model.bytes}: the tokens may differ.` : undefined;
    set({ share: { ...sh, status: 'running', note } });
    const r = await runGeneration();
    if (!r) {
      set((s) => ({ share: s.share && { ...s.share, status: 'failed' } }));
      return;
    }
    set((s) => ({
      share: s.share && { ...s.share, status: 'done', viewerText: r.text, match: p.sharer ? fnv1a(r.text) === p.sharer.textHash : undefined },
    }));
  };

  const actions: Pick<SessionState, 'openShare' | 'shareLink'> = {
    openShare(hash) {
      const value = shareFromHash(hash);
      if (value === null) return;
      const d = decodeShare(value);
      if (!d.ok) {
        ctx.pushError(new EngineError('Unsupported', d.error, { hint: 'The playground opened normally with the embedded model. Ask for the link again.' }));
        return;
      }
      set({ share: { payload: d.payload, status: 'loading' } });
    },

    shareLink(base) {
      const last = get().gen.last;
      const payload = last && buildPayload(ctx, last);
      return payload ? shareUrl(base, payload) : null;
    },
  };
  return { actions, play, runIfModelMatches };
}
