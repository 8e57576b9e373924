// Picking a model: the embedded one (offline), curated hub models, any hub path or URL, a local
// file (or drop one anywhere on the page), and the browser's model cache. A hub model's header is
// read first (one Range request) to say whether it fits before anything is downloaded.
import { useState } from 'react';
import { CATALOG, catalogRef } from '../store/catalog';
import { useSession } from '../store';
import { FitReport } from './FitReport';
import { fmtBytes, fmtDuration, fmtRate } from './format';

function LoadedModel() {
  const model = useSession((s) => s.model);
  const loading = useSession((s) => s.loading);
  if (!model) return loading ? null : <div className="muted">No model loaded.</div>;
  return (
    <div data-testid="model-info">
      <b>{model.name}</b> <span className="muted">({model.arch})</span> · {model.layers} layers · dim {model.dim} ·{' '}
      {Object.entries(model.tensorTypes).map(([t, n]) => `${n}×${t}`).join(' ')} · context {model.contextLength} · weights{' '}
      {fmtBytes(model.weightBytes)} · KV {fmtBytes(model.kvCacheBytes)} ({model.kvType}) · {model.fromCache ? 'from the browser cache · ' : ''}loaded in{' '}
      {(model.loadMs / 1000).toFixed(1)} s
    </div>
  );
}

function Loading() {
  const loading = useSession((s) => s.loading);
  const cancel = useSession((s) => s.cancelLoad);
  if (!loading) return null;
  const bytes = loading.unit === 'bytes';
  return (
    <div className="loading" data-testid="model-loading">
      <div className="row">
        <span data-testid="load-stage">{loading.stage}</span>
        <progress max={loading.total || 1} value={loading.done} />
        <button onClick={cancel} data-testid="load-cancel">Cancel</button>
      </div>
      <div className="muted" data-testid="load-bytes">
        {bytes ? `${fmtBytes(loading.done)} of ${fmtBytes(loading.total)}` : `${loading.done} of ${loading.total}`}
        {loading.stage === 'downloading' && (
          <>
            {' '}· <span data-testid="load-rate">{fmtRate(loading.rate)}</span> · <span data-testid="load-eta">{fmtDuration(loading.etaS)} left</span>
          </>
        )}
      </div>
    </div>
  );
}

function HubPicker() {
  const hubBase = useSession((s) => s.hubBase);
  const setHubBase = useSession((s) => s.setHubBase);
  const checkFit = useSession((s) => s.checkFit);
  const [input, setInput] = useState('');
  const [editBase, setEditBase] = useState(false);
  const [base, setBase] = useState(hubBase);
  return (
    <div className="hub">
      <h3>From the hub</h3>
      <ul className="catalog" data-testid="catalog">
        {CATALOG.map((e) => (
          <li key={e.id}>
            <button className="link" onClick={() => void checkFit(catalogRef(e))} data-testid={`catalog-${e.id}`} title={`Check whether ${catalogRef(e)} fits`}>
              {e.label}
            </button>{' '}
            <span className="muted">
              {e.quant} · {e.params} · ≈{fmtBytes(e.approxBytes)}
            </span>
            <div className="muted tiny">
              {e.repo} / {e.file}
            </div>
          </li>
        ))}
      </ul>
      <form
        className="row"
        onSubmit={(ev) => {
          ev.preventDefault();
          if (input.trim()) void checkFit(input);
        }}
      >
        <input
          className="grow"
          value={input}
          onChange={(ev) => setInput(ev.target.value)}
          placeholder="owner/repo/file.gguf or a URL"
          aria-label="Hub model"
          data-testid="hub-input"
        />
        <button type="submit" data-testid="hub-check">Check</button>
      </form>
      <div className="muted small">
        Hub: <code data-testid="hub-base">{hubBase}</code>{' '}
        {!editBase && (
          <button className="link" onClick={() => setEditBase(true)}>
            change
          </button>
        )}
      </div>
      {editBase && (
        <form
          className="row"
          onSubmit={(ev) => {
            ev.preventDefault();
            setHubBase(base);
            setEditBase(false);
          }}
        >
          <input className="grow" value={base} onChange={(ev) => setBase(ev.target.value)} aria-label="Hub base URL" data-testid="hub-base-input" />
          <button type="submit">Save</button>
        </form>
      )}
    </div>
  );
}

function CachedModels() {
  const cache = useSession((s) => s.cache);
  const load = useSession((s) => s.loadModel);
  const del = useSession((s) => s.deleteCached);
  const busy = useSession((s) => s.loading !== null || s.status !== 'ready');
  if (!cache) return null;
  return (
    <div className="cache" data-testid="cache-list">
      <h3>In this browser</h3>
      {cache.models.length === 0 ? (
        <div className="muted">No cached models yet: hub models are kept here after their first download.</div>
      ) : (
        <table>
          <tbody>
            {cache.models.map((m) => (
              <tr key={m.url} data-testid="cached-model">
                <td title={m.url}>{m.name}</td>
                <td>{fmtBytes(m.bytes)}</td>
                <td>
                  <button disabled={busy} onClick={() => void load({ kind: 'url', url: m.url, cache: true })} data-testid="cached-load">
                    Load
                  </button>{' '}
                  <button disabled={busy} onClick={() => void del(m.url)} data-testid="cached-delete">
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="muted small" data-testid="cache-usage">
        {cache.backend === 'memory' ? 'This browser has no persistent file storage: cached models last until the page closes. ' : ''}
        {cache.usage !== undefined && cache.quota !== undefined ? `Storage used: ${fmtBytes(cache.usage)} of ${fmtBytes(cache.quota)} allowed.` : ''}
      </div>
    </div>
  );
}

function LoadOptions() {
  const opts = useSession((s) => s.loadOptions);
  const set = useSession((s) => s.setLoadOptions);
  return (
    <div className="row small" data-testid="load-options">
      <label>
        context{' '}
        <input
          type="number"
          min={16}
          step={16}
          placeholder="auto"
          value={opts.contextLength ?? ''}
          onChange={(e) => set({ contextLength: e.target.value ? Math.max(16, Math.floor(Number(e.target.value))) : undefined })}
          aria-label="context length"
        />
      </label>
      <label>
        KV cache{' '}
        <select value={opts.kvType ?? 'f16'} onChange={(e) => set({ kvType: e.target.value as 'f32' | 'f16' })} aria-label="KV cache type" data-testid="kv-type">
          <option value="f16">f16 (half the memory)</option>
          <option value="f32">f32</option>
        </select>
      </label>
      <span className="muted">apply to the next load</span>
    </div>
  );
}

export function ModelPanel() {
  const ready = useSession((s) => s.status === 'ready');
  const loading = useSession((s) => s.loading !== null);
  const load = useSession((s) => s.loadModel);
  const loadEmbedded = useSession((s) => s.loadEmbedded);
  return (
    <section className="panel" data-testid="model-panel" aria-label="Model">
      <h2>Model</h2>
      <LoadedModel />
      <Loading />
      <div className="row">
        <button disabled={!ready || loading} onClick={() => void loadEmbedded()} data-testid="load-embedded">
          Embedded model (offline)
        </button>
        <label className="file button">
          Open a GGUF file…
          <input
            type="file"
            accept=".gguf"
            disabled={!ready || loading}
            data-testid="model-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void load({ kind: 'file', file: f });
              e.target.value = '';
            }}
          />
        </label>
      </div>
      <div className="muted small">…or drop a .gguf file anywhere on the page.</div>
      <LoadOptions />
      <HubPicker />
      <FitReport />
      <CachedModels />
    </section>
  );
}
