// Adapter, features and limits of the GPU the engine got, with a plain warning on software adapters.
import type { DeviceInfo } from '../engine/protocol';
import { fmtBytes } from './format';

const SHOWN_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'subgroup-size-control'];
const BYTE_LIMITS = new Set(['maxBufferSize', 'maxStorageBufferBindingSize', 'maxUniformBufferBindingSize', 'maxComputeWorkgroupStorageSize']);

export function DevicePanel({ device }: { device: DeviceInfo }) {
  const a = device.adapter;
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' · ') || 'unknown adapter';
  return (
    <section className="panel" data-testid="device-panel" aria-label="GPU device">
      <h2>GPU</h2>
      <p className="adapter" data-testid="adapter-name">{name}</p>
      {a.isSoftware && (
        <p className="warning" role="note" data-testid="software-warning">
          This is a software adapter{a.isFallback ? ' (fallback)' : ''}: the GPU is emulated on the CPU. Everything
          works and results are correct, but expect speeds 10-1000x below a real GPU. Numbers measured here say little
          about GPU performance.
        </p>
      )}
      <ul className="features" data-testid="features">
        {SHOWN_FEATURES.map((f) => (
          <li key={f} className={device.features.includes(f) ? 'on' : 'off'}>
            {device.features.includes(f) ? '✓' : '✗'} {f}
          </li>
        ))}
      </ul>
      <details>
        <summary>Limits</summary>
        <table className="limits">
          <tbody>
            {Object.entries(device.limits).map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>{BYTE_LIMITS.has(k) ? fmtBytes(v) : v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
