// Image share links: copy one that reproduces the last image (every setting and the seed), and, when
// the page was opened from one, whether this machine made the same image and the sharer's ms/step
// beside ours.
import { useState } from 'react';
import { useSession } from '../store';

export function ImageShareButton() {
  const ready = useSession((s) => s.image.gen.result !== null && !s.image.gen.running);
  const link = useSession((s) => s.imageShareLink);
  const [value, setValue] = useState<string | null>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <div className="share" data-testid="image-share">
      <button
        disabled={!ready}
        title={ready ? 'Copy a link that makes this image again' : 'Generate an image first'}
        data-testid="image-share-copy"
        onClick={async () => {
          const l = link(location.href.split('#')[0]);
          setValue(l);
          if (!l) return;
          try {
            await navigator.clipboard.writeText(l);
            setCopied('yes');
          } catch {
            setCopied('no');
          }
        }}
      >
        Copy image link
      </button>
      {value && (
        <>
          <input className="grow" readOnly value={value} onFocus={(e) => e.target.select()} aria-label="Image share link" data-testid="image-share-link" />
          <span className="muted small">{copied === 'yes' ? 'copied' : copied === 'no' ? 'select and copy it' : ''}</span>
        </>
      )}
    </div>
  );
}

export function SharedImage() {
  const sh = useSession((s) => s.imageShare);
  const stepMs = useSession((s) => s.image.gen.result?.stepMs ?? null);
  if (!sh) return null;
  const w = sh.payload.sharer;
  const mine = stepMs && stepMs.length ? stepMs.reduce((a, b) => a + b, 0) / stepMs.length : null;
  const status = {
    pending: 'Starting the engine…',
    running: 'Making the shared image…',
    done: sh.match ? 'Same image as the sharer’s ✓' : 'The image differs from the sharer’s (another adapter can round differently)',
    failed: 'The shared image could not be made; see the error above.',
  }[sh.status];
  return (
    <div className={`hint ${sh.status === 'done' ? (sh.match ? 'good' : 'warn') : ''}`} data-testid="shared-image">
      <strong>Shared image</strong>: <span data-testid="shared-image-status">{status}</span>
      <div className="muted small">
        {sh.payload.settings.source === 'emoji' ? 'the embedded emoji model' : sh.payload.settings.sdRepo} · seed {sh.payload.settings.seed} · sharer: {w.device}
        {w.software ? ' (software adapter)' : ''}, {w.msPerStep.toFixed(0)} ms/step{mine !== null && sh.status === 'done' ? ` · you: ${mine.toFixed(0)} ms/step` : ''}
      </div>
    </div>
  );
}
