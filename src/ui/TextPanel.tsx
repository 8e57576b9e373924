// Text generation: chat (with a system prompt) or raw completion, sampling controls, streamed
// output, Stop and Regenerate, the headline numbers, and the share button.
import { useSession } from '../store';
import type { SamplingSettings } from '../engine/protocol';
import { ShareButton } from './SharePanel';

const CONTROLS: { key: keyof SamplingSettings; label: string; min: number; max: number; step: number }[] = [
  { key: 'temperature', label: 'temperature', min: 0, max: 2, step: 0.05 },
  { key: 'topK', label: 'top-k', min: 0, max: 200, step: 1 },
  { key: 'topP', label: 'top-p', min: 0, max: 1, step: 0.01 },
  { key: 'minP', label: 'min-p', min: 0, max: 1, step: 0.01 },
  { key: 'repetitionPenalty', label: 'repetition penalty', min: 1, max: 2, step: 0.01 },
  { key: 'maxTokens', label: 'max tokens', min: 1, max: 2048, step: 1 },
  { key: 'seed', label: 'seed', min: 0, max: 2 ** 31 - 1, step: 1 },
];

export function TextPanel() {
  const gen = useSession((s) => s.gen);
  const model = useSession((s) => s.model);
  const sampling = useSession((s) => s.sampling);
  const setPrompt = useSession((s) => s.setPrompt);
  const setSampling = useSession((s) => s.setSampling);
  const generate = useSession((s) => s.generate);
  const stop = useSession((s) => s.stopGeneration);
  const setMode = useSession((s) => s.setMode);
  const setSystem = useSession((s) => s.setSystem);
  const newChat = useSession((s) => s.newChat);
  const regenerate = useSession((s) => s.regenerate);
  const st = gen.stats;
  const chat = gen.mode === 'chat';
  return (
    <section className="panel" data-testid="text-panel" aria-label="Text generation">
      <h2>Text</h2>
      <div className="row" role="radiogroup" aria-label="Mode">
        {(['chat', 'raw'] as const).map((m) => (
          <label key={m}>
            <input type="radio" name="mode" checked={gen.mode === m} disabled={gen.running} onChange={() => setMode(m)} data-testid={`mode-${m}`} />{' '}
            {m === 'chat' ? 'Chat (the model’s chat template)' : 'Raw completion'}
          </label>
        ))}
        {chat && (
          <button onClick={() => void newChat()} disabled={gen.running} data-testid="new-chat">
            New chat
          </button>
        )}
      </div>
      {chat && (
        <>
          <input
            className="system"
            placeholder="System prompt (optional)"
            value={gen.system}
            onChange={(e) => setSystem(e.target.value)}
            aria-label="System prompt"
            data-testid="system"
          />
          <div className="chat" data-testid="chat" aria-live="polite">
            {gen.messages.map((m, i) => (
              <div key={i} className={`turn ${m.role}`} data-testid={`turn-${m.role}`}>
                <b>{m.role === 'user' ? 'You' : 'Model'}</b> {m.content}
              </div>
            ))}
            {gen.running && (
              <div className="turn assistant pending" data-testid="turn-pending">
                <b>Model</b> {gen.output}
              </div>
            )}
          </div>
        </>
      )}
      <textarea
        className="prompt"
        rows={3}
        value={gen.prompt}
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => {
          if (chat && e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            void generate();
          }
        }}
        placeholder={chat ? 'Message (Enter sends, Shift+Enter for a new line)' : 'Prompt to continue'}
        data-testid="prompt"
        aria-label="Prompt"
      />
      <div className="controls">
        {CONTROLS.map((c) => (
          <label key={c.key}>
            {c.label}
            <input
              type="number"
              min={c.min}
              max={c.max}
              step={c.step}
              value={sampling[c.key] as number}
              onChange={(e) => {
                const v = Number(e.target.value);
                if (Number.isFinite(v)) setSampling({ [c.key]: v });
              }}
            />
          </label>
        ))}
      </div>
      <div className="row">
        {gen.running ? (
          <button onClick={stop} data-testid="stop">Stop</button>
        ) : (
          <>
            <button onClick={() => void generate()} disabled={!model || gen.prompt.length === 0} data-testid="generate">
              {chat ? 'Send' : 'Generate'}
            </button>
            <button onClick={() => void regenerate()} disabled={!model || !gen.last} data-testid="regenerate" title="Run the last turn again (the next seed when sampling)">
              Regenerate
            </button>
          </>
        )}
        {st && (
          <span className="muted" data-testid="gen-stats">
            {st.generatedTokens} tokens ({gen.finish}) · prompt {st.promptTokens} ({st.reusedTokens} reused from the KV cache) · TTFT{' '}
            {st.timeToFirstTokenMs.toFixed(0)} ms · prefill{' '}
            {st.prefillTokensPerS.toFixed(1)} tok/s · decode {st.decodeTokensPerS.toFixed(1)} tok/s
          </span>
        )}
      </div>
      <ShareButton />
      {!chat && (
        <pre className="output" data-testid="output" aria-live="polite">
          <span className="muted">{gen.output ? gen.prompt : ''}</span>
          {gen.output}
        </pre>
      )}
    </section>
  );
}
