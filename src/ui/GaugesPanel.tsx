// Live latency gauges, read from the metrics store (updated once per frame while tokens stream,
// without re-rendering the chat): time to first token, prefill and rolling decode tokens/s, a
// per-token latency sparkline, per-kernel time of the last profiled step, and a roofline gauge:
// the weight bandwidth decode achieves against a plain copy kernel measured on this device.
import { useMetrics, useSession } from '../store';
import { ROLLING_STEPS } from '../store/metrics';
import { fmtNum } from './format';

function Sparkline({ values }: { values: number[] }) {
  const w = 240;
  const h = 40;
  if (values.length < 2) return <svg className="spark" width={w} height={h} data-testid="sparkline" />;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const pts = values.map((v, i) => `${((i / (values.length - 1)) * w).toFixed(1)},${(h - 2 - ((v - min) / span) * (h - 4)).toFixed(1)}`).join(' ');
  return (
    <svg className="spark" width={w} height={h} data-testid="sparkline" data-points={values.length} aria-label={`per-token latency, ${min.toFixed(1)} to ${max.toFixed(1)} ms`}>
      <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

function Kernels() {
  const kernels = useMetrics((s) => s.live.kernels);
  const timing = useMetrics((s) => s.live.kernelTiming);
  const profile = useSession((s) => s.gen.profile);
  const setProfile = useSession((s) => s.setProfile);
  const rows = kernels ? Object.entries(kernels).sort((a, b) => b[1] - a[1]) : [];
  const total = rows.reduce((s, [, v]) => s + v, 0);
  return (
    <div className="kernels" data-testid="kernel-gauge">
      <label>
        <input type="checkbox" checked={profile} onChange={(e) => setProfile(e.target.checked)} data-testid="profile" /> time each kernel (slower)
      </label>
      {rows.length > 0 && (
        <>
          <div className="muted small" data-testid="kernel-timing">
            {timing === 'timestamp' ? 'GPU time per kernel, last token (timestamp queries)' : 'CPU-timed: this device has no timestamp queries, so the whole step is timed on the CPU'}
          </div>
          <table className="bars">
            <tbody>
              {rows.slice(0, 10).map(([k, v]) => (
                <tr key={k}>
                  <td className="label" title={k}>{k}</td>
                  <td className="bar">
                    <span style={{ width: `${(100 * v) / (rows[0][1] || 1)}%` }} />
                  </td>
                  <td>{v.toFixed(2)} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="muted small">total {total.toFixed(2)} ms in {rows.length} kernel labels</div>
        </>
      )}
    </div>
  );
}

function Roofline() {
  const bw = useMetrics((s) => s.bandwidth);
  const decode = useMetrics((s) => s.live.decodeTokS);
  const perToken = useSession((s) => s.model?.decodeBytesPerToken ?? null);
  if (!bw) return <div className="muted small" data-testid="roofline">Measuring this device's copy bandwidth…</div>;
  const achieved = perToken !== null && decode !== null ? (perToken * decode) / 1e9 : null;
  const share = achieved !== null ? achieved / bw.gbps : null;
  return (
    <div data-testid="roofline">
      <div>
        Weights stream at <b data-testid="achieved-gbps">{fmtNum(achieved, 2)}</b> GB/s
        {share !== null && (
          <>
            {' '}= <b data-testid="roofline-share">{(100 * share).toFixed(1)}%</b>
          </>
        )}{' '}
        of the copy kernel's {bw.gbps.toFixed(2)} GB/s
      </div>
      <div className="meter">
        <span style={{ width: `${Math.min(100, 100 * (share ?? 0))}%` }} />
      </div>
      <div className="muted small">
        {perToken !== null ? `${(perToken / 1e6).toFixed(1)} MB of weights read per token; ` : ''}copy timed by {bw.timing === 'timestamp' ? 'GPU timestamps' : 'the CPU'} over {(bw.bytes / 2 ** 20).toFixed(0)} MiB.
      </div>
    </div>
  );
}

export function GaugesPanel() {
  const live = useMetrics((s) => s.live);
  return (
    <section className="panel" data-testid="gauges" aria-label="Latency gauges">
      <h2>Latency {live.running && <span className="pulse" data-testid="gauges-live">live</span>}</h2>
      <div className="gauges">
        <div className="gauge">
          <div className="value" data-testid="gauge-ttft">{fmtNum(live.ttftMs, 0)}</div>
          <div className="label">ms to first token</div>
        </div>
        <div className="gauge">
          <div className="value" data-testid="gauge-prefill">{fmtNum(live.prefillTokS)}</div>
          <div className="label">prefill tok/s ({live.prefillTokens} tokens)</div>
        </div>
        <div className="gauge">
          <div className="value" data-testid="gauge-decode">{fmtNum(live.decodeTokS)}</div>
          <div className="label">decode tok/s (last {ROLLING_STEPS})</div>
        </div>
        <div className="gauge">
          <div className="value" data-testid="gauge-tokens">{live.tokens}</div>
          <div className="label">tokens</div>
        </div>
      </div>
      <div className="row">
        <Sparkline values={live.steps} />
        <span className="muted small">
          ms per token{live.steps.length ? `: last ${live.steps[live.steps.length - 1].toFixed(1)}` : ''}
        </span>
      </div>
      <Roofline />
      <Kernels />
    </section>
  );
}
