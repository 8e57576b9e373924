// Image share links: copy one that reproduces the last image (every setting and the seed), and, when
// the page was opened from one, whether this machine made the same image and the sharer's ms/step
// beside ours.
import { useSession } from '../store';
import { CopyLinkButton, pageBase } from './SharePanel';

export function ImageShareButton() {
  const ready = useSession((s) => s.image.gen.result !== null && !s.image.gen.running);
  const link = useSession((s) => s.imageShareLink);
  return (
    <CopyLinkButton
      make={() => link(pageBase())}
      enabled={ready}
      label="Copy image link"
      title={['Copy a link that makes this image again', 'Generate an image first']}
      testId="image-share"
    />
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
