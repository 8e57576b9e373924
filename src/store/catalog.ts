// Curated hub models the picker offers: small chat models whose GGUF files hold only the
// architectures and tensor types the engine runs. Sizes are approximate (shown with ≈); the
// "will it fit" check reads the real size and shapes from the file's header before any download.
export interface CatalogEntry {
  id: string;
  label: string;
  repo: string;
  file: string;
  quant: string;
  /** Approximate download size in bytes. */
  approxBytes: number;
  params: string;
}

const MB = 1e6;

export const CATALOG: readonly CatalogEntry[] = [
  { id: 'smollm2-135m-q8', label: 'SmolLM2 135M Instruct', repo: 'HuggingFaceTB/SmolLM2-135M-Instruct-GGUF', file: 'smollm2-135m-instruct-q8_0.gguf', quant: 'Q8_0', approxBytes: 145 * MB, params: '135M' },
  { id: 'smollm2-360m-q8', label: 'SmolLM2 360M Instruct', repo: 'HuggingFaceTB/SmolLM2-360M-Instruct-GGUF', file: 'smollm2-360m-instruct-q8_0.gguf', quant: 'Q8_0', approxBytes: 386 * MB, params: '360M' },
  { id: 'qwen2.5-0.5b-q4km', label: 'Qwen2.5 0.5B Instruct', repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', file: 'qwen2.5-0.5b-instruct-q4_k_m.gguf', quant: 'Q4_K_M', approxBytes: 491 * MB, params: '494M' },
  { id: 'qwen2.5-0.5b-q8', label: 'Qwen2.5 0.5B Instruct', repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', file: 'qwen2.5-0.5b-instruct-q8_0.gguf', quant: 'Q8_0', approxBytes: 676 * MB, params: '494M' },
  { id: 'llama3.2-1b-q4km', label: 'Llama 3.2 1B Instruct', repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF', file: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf', quant: 'Q4_K_M', approxBytes: 808 * MB, params: '1.24B' },
  { id: 'tinyllama-1.1b-q4km', label: 'TinyLlama 1.1B Chat', repo: 'TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF', file: 'tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf', quant: 'Q4_K_M', approxBytes: 669 * MB, params: '1.1B' },
];

/** `owner/repo/file.gguf`, the form the hub box accepts. */
export function catalogRef(e: CatalogEntry): string {
  return `${e.repo}/${e.file}`;
}
