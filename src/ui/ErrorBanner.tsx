// Errors from the engine, each with what to do; a lost device offers a restart.
import { useSession } from '../store';

export function ErrorBanner() {
  const errors = useSession((s) => s.errors);
  const dismiss = useSession((s) => s.dismissError);
  const restart = useSession((s) => s.restartEngine);
  if (errors.length === 0) return null;
  return (
    <div className="errors" role="alert" data-testid="errors">
      {errors.map((e) => (
        <div key={e.id} className={`error ${e.name}`} data-testid="error">
          <b>{e.name === 'Cancelled' ? 'Stopped' : e.name}</b>: {e.message}
          {e.hint && <div className="hint">{e.hint}</div>}
          {e.detail && (
            <details>
              <summary>Details</summary>
              <pre>{e.detail}</pre>
            </details>
          )}
          <div className="row">
            {e.name === 'DeviceLost' && (
              <button onClick={() => void restart()} data-testid="error-restart">
                Restart engine (keeps the conversation)
              </button>
            )}
            <button onClick={() => dismiss(e.id)}>Dismiss</button>
          </div>
        </div>
      ))}
    </div>
  );
}
