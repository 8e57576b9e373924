// The playground shell: boots the engine, then shows the device, memory and self-test panels.
// Without WebGPU it shows an explanation page instead of a blank screen.
import { useEffect } from 'react';
import { useSession } from '../store';
import { DevicePanel } from './DevicePanel';
import { ErrorBanner } from './ErrorBanner';
import { LogPanel } from './LogPanel';
import { MemoryPanel } from './MemoryPanel';
import { NoWebGPU } from './NoWebGPU';
import { SelfTest } from './SelfTest';
import { TextPanel } from './TextPanel';

export function App() {
  const status = useSession((s) => s.status);
  const device = useSession((s) => s.device);
  const fatal = useSession((s) => s.fatal);
  const boot = useSession((s) => s.boot);
  const restart = useSession((s) => s.restartEngine);

  useEffect(() => {
    void boot();
  }, [boot]);

  if (status === 'no-webgpu' && fatal) return <NoWebGPU error={fatal} />;

  return (
    <div className="app">
      <header>
        <h1>WebGPU playground</h1>
        <span className={`status ${status}`} data-testid="engine-status">
          {status === 'starting' && 'Starting engine…'}
          {status === 'ready' && 'Engine ready'}
          {status === 'lost' && 'GPU device lost'}
          {status === 'failed' && 'Engine failed to start'}
          {status === 'idle' && 'Idle'}
        </span>
        {(status === 'lost' || status === 'failed') && <button onClick={() => void restart()}>Restart engine</button>}
      </header>
      <ErrorBanner />
      {status === 'failed' && fatal && (
        <p className="bad" data-testid="fatal">
          {fatal.message} {fatal.hint}
        </p>
      )}
      <div className="grid">
        <div className="col">
          {device && <DevicePanel device={device} />}
          <MemoryPanel />
        </div>
        <div className="col wide">
          <TextPanel />
          <SelfTest />
        </div>
      </div>
      <LogPanel />
    </div>
  );
}
