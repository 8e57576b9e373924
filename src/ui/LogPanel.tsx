// The engine's log, newest last.
import { useSession } from '../store';

export function LogPanel() {
  const log = useSession((s) => s.log);
  return (
    <details className="panel log" data-testid="log">
      <summary>Log ({log.length})</summary>
      <pre>
        {log.map((l) => `${new Date(l.time).toLocaleTimeString()} ${l.level.toUpperCase()} ${l.message}`).join('\n')}
      </pre>
    </details>
  );
}
