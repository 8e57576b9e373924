// GPU memory held by the engine, by category, read from the buffer pool (WebGPU itself has no
// memory API). Subscribes to the metrics store only.
import { useMetrics } from '../store';
import { fmtBytes } from './format';

const ORDER = ['weights', 'kv-cache', 'activations', 'staging', 'uniforms'] as const;

export function MemoryPanel() {
  const m = useMetrics((s) => s.memory);
  if (!m) return null;
  return (
    <section className="panel" data-testid="memory-panel" aria-label="GPU memory">
      <h2>GPU memory</h2>
      <table className="limits">
        <tbody>
          {ORDER.map((k) => (
            <tr key={k}>
              <td>{k}</td>
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
            <td>
              {fmtBytes(m.total)} / {fmtBytes(m.peak)}
            </td>
          </tr>
          <tr>
            <td>largest buffer allowed</td>
            <td>{fmtBytes(m.maxBufferSize)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
