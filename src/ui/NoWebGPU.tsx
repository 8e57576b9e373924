// Shown instead of the playground when there is no usable WebGPU: says why, and what to do.
import type { UiError } from '../store';

export function NoWebGPU({ error }: { error: UiError }) {
  const hasApi = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const secure = typeof window !== 'undefined' && window.isSecureContext;
  return (
    <main className="no-webgpu" data-testid="no-webgpu">
      <h1>WebGPU is not available here</h1>
      <p className="lead">{error.message}</p>
      {error.hint && <p>{error.hint}</p>}
      <h2>What to do</h2>
      <ul>
        <li>Use Chrome or Edge 113 or newer (desktop), Chrome 121+ on Android, or Safari 26+ / Firefox 141+ where WebGPU is enabled.</li>
        <li>
          Check <code>chrome://gpu</code>: “WebGPU” should say “Hardware accelerated”. If it is disabled or blocklisted,
          update the GPU driver, or enable <code>chrome://flags/#enable-unsafe-webgpu</code>.
        </li>
        <li>On Linux, Chrome needs <code>--enable-unsafe-webgpu</code> (and often <code>--enable-features=Vulkan</code>).</li>
        {!secure && <li>This page is not a secure context: open it over https:// or from localhost.</li>}
      </ul>
      <p className="muted">
        Detected: navigator.gpu {hasApi ? 'present (no adapter returned)' : 'missing'}; secure context {secure ? 'yes' : 'no'};{' '}
        {navigator.userAgent}
      </p>
    </main>
  );
}
