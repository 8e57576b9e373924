// "Will it fit?": what a hub model needs (weights, KV cache, activations) against this device's
// budget and limits, read from its header before any download, with the button that fetches it.
import { useSession } from '../store';
import { fmtBytes } from './format';

const VERDICT = { fits: 'It fits', tight: 'It should fit, but tightly', 'too-big': 'It will not fit' } as const;

export function FitReport() {
  const fit = useSession((s) => s.fit);
  const clear = useSession((s) => s.clearFit);
  const load = useSession((s) => s.loadModel);
  const busy = useSession((s) => s.loading !== null || s.status !== 'ready');
  if (!fit) return null;
  if (fit.status === 'checking') {
    return (
      <div className="fit" data-testid="fit-report">
        Reading the header of <code>{fit.target}</code>…
      </div>
    );
  }
  if (fit.status === 'error' || !fit.result) {
    return (
      <div className="fit bad" data-testid="fit-report">
        <b>{fit.error?.name}</b>: {fit.error?.message}
        {fit.error?.hint && <div className="hint">{fit.error.hint}</div>}
        <button className="link" onClick={clear}>close</button>
      </div>
    );
  }
  const r = fit.result;
  const cls = r.verdict === 'fits' ? 'good' : r.verdict === 'tight' ? 'warn' : 'bad';
  return (
    <div className="fit" data-testid="fit-report">
      <div>
        <b>{r.name}</b> <span className="muted">({r.arch}, {(r.params / 1e6).toFixed(0)}M parameters, {Object.keys(r.tensorTypes).join('/')})</span>
      </div>
      <div className={cls} data-testid="fit-verdict">
        {VERDICT[r.verdict]}: needs {fmtBytes(r.totalBytes)} of GPU memory (weights {fmtBytes(r.weightBytes)}, KV cache {fmtBytes(r.kvCacheBytes)} for{' '}
        {r.contextLength} positions, activations {fmtBytes(r.activationBytes)}) against a budget of {fmtBytes(r.budgetBytes)}.
      </div>
      {r.reasons.map((x, i) => (
        <div key={i} className="hint">
          {x}
        </div>
      ))}
      <div className="row">
        <button disabled={busy} onClick={() => void load({ kind: 'url', url: fit.target, cache: true })} data-testid="fit-load">
          {r.cached ? 'Load from the browser cache' : `Download ${fmtBytes(r.fileBytes)} and load`}
          {r.verdict === 'too-big' ? ' anyway' : ''}
        </button>
        <button className="link" onClick={clear}>close</button>
      </div>
    </div>
  );
}
