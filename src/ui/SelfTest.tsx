// The self-test: every kernel case run in the worker on this GPU and held against its CPU
// reference. Shows pass/fail, max error and GPU time per case as results stream in.
import { useSession } from '../store';
import { fmtErr, fmtMs } from './format';

export function SelfTest() {
  const st = useSession((s) => s.selfTest);
  const ready = useSession((s) => s.status === 'ready');
  const run = useSession((s) => s.runSelfTest);
  const cancel = useSession((s) => s.cancelSelfTest);
  const failed = st.results.filter((r) => !r.pass).length;
  const timing = st.results.find((r) => r.timing !== 'none')?.timing;
  return (
    <section className="panel" data-testid="self-test" aria-label="Kernel self-test">
      <h2>Kernel self-test</h2>
      <p className="muted">
        Runs every WGSL kernel variant this device supports on odd shapes and outliers, and compares it with a
        plain-TypeScript reference.
      </p>
      <div className="row">
        {st.running ? (
          <button onClick={cancel} data-testid="self-test-cancel">Cancel</button>
        ) : (
          <button onClick={() => void run()} disabled={!ready} data-testid="self-test-run">
            Run self-test
          </button>
        )}
        <span data-testid="self-test-status" aria-live="polite">
          {st.running && `Running ${st.results.length}/${st.total || '…'}`}
          {!st.running && st.summary && (
            <b className={st.summary.failed ? 'bad' : 'good'}>
              {st.summary.failed ? `${st.summary.failed} failed` : 'All passed'}: {st.summary.passed}/{st.summary.total} cases
              in {(st.summary.wallMs / 1000).toFixed(1)} s
            </b>
          )}
          {!st.running && !st.summary && st.results.length > 0 && `Stopped after ${st.results.length} cases`}
        </span>
      </div>
      {timing && <p className="muted">GPU time: {timing === 'timestamp' ? 'timestamp queries' : 'whole submit, CPU-timed'}</p>}
      {st.summary && st.summary.notApplicable.length > 0 && (
        <p className="muted">Not applicable on this device: {st.summary.notApplicable.length} cases (e.g. native f16 without shader-f16).</p>
      )}
      {st.results.length > 0 && (
        <table className="results" data-testid="self-test-results">
          <thead>
            <tr>
              <th>kernel</th>
              <th>case</th>
              <th>variant</th>
              <th>result</th>
              <th>max abs err</th>
              <th>GPU time</th>
            </tr>
          </thead>
          <tbody>
            {st.results.map((r, i) => (
              <tr key={i} className={r.pass ? 'pass' : 'fail'} title={r.error ?? r.summary}>
                <td>{r.kernel}</td>
                <td>{r.name}</td>
                <td>{r.variant}</td>
                <td>{r.pass ? 'pass' : 'FAIL'}</td>
                <td>{fmtErr(r.maxAbsErr)}</td>
                <td>{fmtMs(r.gpuMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {failed > 0 && <p className="bad">{failed} case(s) disagree with the reference; hover a row for the mismatch.</p>}
    </section>
  );
}
