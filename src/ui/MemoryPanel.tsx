// GPU memory held by the engine, by category, read from the buffer pool (WebGPU itself has no
// memory API), drawn against the model's budget and the device's per-buffer limits.
import { useMetrics, useSession } from '../store';
import { fmtBytes } from './format';

const ORDER = ['weights', 'kv-cache', 'activations', 'staging', 'uniforms'] as const;

export function MemoryPanel() {
  const m = useMetrics((s) => s.memory);
  const budget = useSession((s) => s.fit?.result?.budgetBytes ?? null);
  if (!m) return null;
  const scale = Math.max(m.total, budget ?? 0, 1);
  return (
    <section className="panel" data-testid="memory-panel" aria-label="GPU memory">
      <h2>GPU memory</h2>
      <div className="stack" aria-hidden>
        {ORDER.map((k) => (
          <span key={k} className={`seg ${k}`} style={{ width: `${(100 * m.live[k]) / scale}%` }} title={`${k}: ${fmtBytes(m.live[k])}`} />
        ))}
      </div>
      <table className="limits">
        <tbody>
          {ORDER.map((k) => (
            <tr key={k} data-testid={`mem-${k}`}>
              <td>
                <span className={`dot ${k}`} /> {k}
              </td>
              <td>{fmtBytes(m.live[k])}</td>
            </tr>
          ))}
          <tr>
            <td>pooled (free)</td>
            <td>{fmtBytes(m.cached)}</td>
          </tr>
          <tr>
            <td>
              <b>total / peak</b>
            </td>
            <td data-testid="mem-total">
              {fmtBytes(m.total)} / {fmtBytes(m.peak)}
            </td>
          </tr>
          {budget !== null && (
            <tr>
              <td>budget (from the fit check)</td>
              <td>{fmtBytes(budget)}</td>
            </tr>
          )}
          <tr>
            <td>largest buffer allowed</td>
            <td>{fmtBytes(m.maxBufferSize)}</td>
          </tr>
          <tr>
            <td>largest storage binding</td>
            <td>{fmtBytes(m.maxStorageBufferBindingSize)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
