// Adapter, features and limits of the GPU the engine got, with a plain warning on software adapters,
// and the kernel variants the loaded model runs (tuned on this device, cached, or from a share link).
import type { DeviceInfo, KernelPlan } from '../engine/protocol';
import { fmtBytes } from './format';

const SHOWN_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'subgroup-size-control'];
const BYTE_LIMITS = new Set(['maxBufferSize', 'maxStorageBufferBindingSize', 'maxUniformBufferBindingSize', 'maxComputeWorkgroupStorageSize']);

const PLAN_SOURCE: Record<KernelPlan['source'], string> = {
  tuned: 'tuned on this device just now',
  cache: 'tuned on this device earlier (cached)',
  link: 'from the share link',
  default: 'the device guess (not tuned)',
};

function KernelPlanView({ plan }: { plan: KernelPlan }) {
  return (
    <div className="small" data-testid="kernel-plan">
      <strong>Decode matvec kernels</strong> — {PLAN_SOURCE[plan.source]}
      <ul>
        {Object.entries(plan.qmatvec).map(([type, c]) => {
          const trial = plan.trials?.[type];
          return (
            <li key={type} data-testid={`kernel-plan-${type}`}>
              {type}: {c!.variant}
              {c!.subgroups ? ' + subgroups' : ''}
              {trial && (
                <span className="muted">
                  {' '}
                  ({trial.shape[0]}×{trial.shape[1]}: {Object.entries(trial.ms).map(([k, ms]) => `${k} ${ms.toFixed(3)} ms`).join(', ')})
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function DevicePanel({ device, plan }: { device: DeviceInfo; plan?: KernelPlan | null }) {
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
      {plan && <KernelPlanView plan={plan} />}
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
