// Share links: copy one that reproduces the last run (model, prompt, every setting, seed, and this
// device's numbers), and, when the page was opened from one, the sharer's numbers beside ours.
import { useState } from 'react';
import { useSession } from '../store';
import { fmtNum } from './format';

export function pageBase(): string {
  return location.href.split('#')[0];
}

/** A button that makes a link, copies it, and shows it (selectable where the clipboard is refused). */
export function CopyLinkButton({ make, enabled, label, title, testId }: { make: () => string | null; enabled: boolean; label: string; title: [string, string]; testId: string }) {
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <div className="share" data-testid={testId}>
      <button
        disabled={!enabled}
        title={enabled ? title[0] : title[1]}
        data-testid={`${testId}-copy`}
        onClick={async () => {
          const l = make();
          setLink(l);
          if (!l) return;
          try {
            await navigator.clipboard.writeText(l);
            setCopied('yes');
          } catch {
            setCopied('no');
          }
        }}
      >
        {label}
      </button>
      {link && (
        <>
          <input className="grow" readOnly value={link} onFocus={(e) => e.target.select()} aria-label={label.replace(/^Copy /, '')} data-testid={`${testId}-link`} />
          <span className="muted small">{copied === 'yes' ? 'copied' : copied === 'no' ? 'select and copy it' : ''}</span>
        </>
      )}
    </div>
  );
}

export function ShareButton() {
  const last = useSession((s) => s.gen.last);
  const shareLink = useSession((s) => s.shareLink);
  return (
    <CopyLinkButton
      make={() => shareLink(pageBase())}
      enabled={!!last}
      label="Copy share link"
      title={['Copy a link that reproduces this run', 'Generate something first']}
      testId="share"
    />
  );
}

export function SharedDemo() {
  const share = useSession((s) => s.share);
  const stats = useSession((s) => s.gen.last?.stats ?? null);
  const device = useSession((s) => s.device?.adapter ?? null);
  if (!share) return null;
  const p = share.payload;
  const who = p.sharer;
  const status = {
    loading: 'Loading the shared model…',
    running: 'Running the shared prompt…',
    done: share.match === undefined ? 'Done.' : share.match ? 'Same text as the sharer ✓' : 'The text differs from the sharer’s',
    'needs-file': share.note ?? '',
    failed: 'The shared run failed; see the error above.',
  }[share.status];
  const mine = share.status === 'done' ? stats : null;
  return (
    <section className="panel shared" data-testid="shared-demo" aria-label="Shared demo">
      <h2>Shared demo</h2>
      <div data-testid="shared-status" className={share.status === 'done' ? (share.match === false ? 'warn' : 'good') : ''}>
        {status}
      </div>
      {share.note && share.status !== 'needs-file' && <div className="hint">{share.note}</div>}
      <div className="muted small">
        {p.model.kind === 'embedded' ? 'the embedded model' : p.model.kind === 'url' ? p.model.url : p.model.name} · {p.mode} · temperature {p.sampling.temperature} · seed {p.sampling.seed}
      </div>
      {who && (
        <table className="compare" data-testid="shared-compare">
          <thead>
            <tr>
              <th />
              <th>sharer</th>
              <th>you</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>device</td>
              <td>{who.device}{who.software ? ' (software)' : ''}</td>
              <td>{device ? [device.vendor, device.architecture, device.description].filter(Boolean).join(' ') + (device.isSoftware ? ' (software)' : '') : '—'}</td>
            </tr>
            <tr>
              <td>time to first token</td>
              <td>{fmtNum(who.ttftMs, 0)} ms</td>
              <td>{mine ? `${fmtNum(mine.timeToFirstTokenMs, 0)} ms` : '—'}</td>
            </tr>
            <tr>
              <td>prefill</td>
              <td>{fmtNum(who.prefillTokS)} tok/s</td>
              <td>{mine ? `${fmtNum(mine.prefillTokensPerS)} tok/s` : '—'}</td>
            </tr>
            <tr>
              <td>decode</td>
              <td>{fmtNum(who.decodeTokS)} tok/s</td>
              <td>{mine ? `${fmtNum(mine.decodeTokensPerS)} tok/s` : '—'}</td>
            </tr>
            <tr>
              <td>tokens</td>
              <td>{who.tokens}</td>
              <td>{mine ? mine.generatedTokens : '—'}</td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
