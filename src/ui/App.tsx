// The playground: the model picker, the chat, and the live gauges and memory side by side; the
// device and the self-test below. Boots the engine (after reading a share link, if the page was opened
// from one); a .gguf dropped anywhere loads; without WebGPU an explanation page replaces it all.
import { imageShareFromHash } from '../share/image-link';
import { useEffect, useState } from 'react';
import { useSession } from '../store';
import { DevicePanel } from './DevicePanel';
import { ErrorBanner } from './ErrorBanner';
import { GaugesPanel } from './GaugesPanel';
import { ImageGenPanel } from './ImageGenPanel';
import { ImagePanel } from './ImagePanel';
import { LogPanel } from './LogPanel';
import { MemoryPanel } from './MemoryPanel';
import { ModelPanel } from './ModelPanel';
import { NoWebGPU } from './NoWebGPU';
import { SelfTest } from './SelfTest';
import { SharedDemo } from './SharePanel';
import { TextPanel } from './TextPanel';

function useFileDrop(): boolean {
  const load = useSession((s) => s.loadModel);
  const [over, setOver] = useState(false);
  useEffect(() => {
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setOver(true);
    };
    const onLeave = (e: DragEvent) => {
      if (e.relatedTarget === null) setOver(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setOver(false);
      const f = e.dataTransfer?.files[0];
      const s = useSession.getState();
      if (f && s.status === 'ready' && !s.loading) void load({ kind: 'file', file: f });
    };
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [load]);
  return over;
}

export function App() {
  const status = useSession((s) => s.status);
  const device = useSession((s) => s.device);
  const kernelPlan = useSession((s) => s.model?.kernelPlan ?? null);
  const fatal = useSession((s) => s.fatal);
  const boot = useSession((s) => s.boot);
  const openShare = useSession((s) => s.openShare);
  const openImageShare = useSession((s) => s.openImageShare);
  const restart = useSession((s) => s.restartEngine);
  const loseDevice = useSession((s) => s.simulateDeviceLoss);
  const dropping = useFileDrop();
  const [tab, setTab] = useState<'text' | 'image'>(() => (imageShareFromHash(location.hash) !== null ? 'image' : 'text'));

  useEffect(() => {
    openShare(location.hash);
    openImageShare(location.hash);
    void boot();
  }, [boot, openShare, openImageShare]);

  if (status === 'no-webgpu' && fatal) return <NoWebGPU error={fatal} />;

  return (
    <div className={`app${dropping ? ' dropping' : ''}`}>
      <header>
        <h1>WebGPU playground</h1>
        <span className={`status ${status}`} data-testid="engine-status">
          {status === 'starting' && 'Starting engine…'}
          {status === 'ready' && 'Engine ready'}
          {status === 'lost' && 'GPU device lost'}
          {status === 'failed' && 'Engine failed to start'}
          {status === 'idle' && 'Idle'}
        </span>
        {(status === 'lost' || status === 'failed') && (
          <button onClick={() => void restart()} data-testid="restart">
            Restart engine
          </button>
        )}
      </header>
      {dropping && <div className="dropzone">Drop a .gguf file to load it</div>}
      <ErrorBanner />
      {status === 'failed' && fatal && (
        <p className="bad" data-testid="fatal">
          {fatal.message} {fatal.hint}
        </p>
      )}
      <SharedDemo />
      <nav className="tabs" role="tablist">
        {(['text', 'image'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === 'text' ? 'Text' : 'Image'}
          </button>
        ))}
      </nav>
      {tab === 'text' ? (
        <div className="grid main">
          <div className="col">
            <ModelPanel />
          </div>
          <div className="col wide">
            <TextPanel />
          </div>
          <div className="col">
            <GaugesPanel />
            <MemoryPanel />
          </div>
        </div>
      ) : (
        <div className="grid">
          <div className="col wide">
            <ImageGenPanel />
            <ImagePanel />
          </div>
          <div className="col">
            <MemoryPanel />
          </div>
        </div>
      )}
      <div className="grid lower">
        <div className="col">
          {device && <DevicePanel device={device} plan={kernelPlan} />}
          {status === 'ready' && (
            <details className="panel debug">
              <summary>Debug</summary>
              <p className="muted small">Make the engine lose its GPU device, as a driver reset would, to see how the playground recovers.</p>
              <button onClick={() => void loseDevice()} data-testid="simulate-loss">
                Simulate device loss
              </button>
            </details>
          )}
        </div>
        <div className="col wide">
          <SelfTest />
        </div>
      </div>
      <LogPanel />
    </div>
  );
}
