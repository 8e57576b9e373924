// Model references to Hugging Face-shaped URLs. A person may paste a full URL (…/blob/main/x.gguf
// or …/resolve/main/x.gguf), or write `owner/repo/file.gguf` (optionally `owner/repo@rev/path`).
// The hub base is configurable, so tests (and mirrors) serve the same URL shape from elsewhere.
import { loadError } from './errors';

export const DEFAULT_HUB = 'https://huggingface.co';

export interface HubRef {
  repo: string;
  revision: string;
  path: string;
}

/** The download URL of a file on a hub: <base>/<repo>/resolve/<revision>/<path>. */
export function resolveUrl(ref: HubRef, base = DEFAULT_HUB): string {
  const enc = ref.path.split('/').map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${enc}`;
}

/**
 * Parse what a person typed into a hub reference, or return a plain URL unchanged (any http(s)
 * URL that is not on the hub is fetched as is). Throws ModelLoad with an example when it is neither.
 */
export function parseModelRef(input: string, base = DEFAULT_HUB): { url: string; ref?: HubRef } {
  const s = input.trim();
  const hub = base.replace(/\/+$/, '');
  if (/^https?:\/\//i.test(s)) {
    if (s.startsWith(hub + '/')) {
      const m = /^([^/]+\/[^/]+)\/(?:resolve|blob)\/([^/]+)\/(.+?)(?:\?.*)?$/.exec(s.slice(hub.length + 1));
      if (m) {
        const ref = { repo: m[1], revision: decodeURIComponent(m[2]), path: decodeURIComponent(m[3]) };
        return { url: resolveUrl(ref, hub), ref };
      }
    }
    return { url: s };
  }
  const m = /^([\w.-]+\/[\w.-]+)(?:@([\w./-]+?))?\/(.+\.gguf)$/i.exec(s);
  if (!m) {
    throw loadError('ModelLoad', `"${s}" is not a model URL or hub path.`, {
      hint: 'Use a URL, or owner/repo/file.gguf, e.g. HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/smollm2-135m-instruct-q8_0.gguf.',
    });
  }
  const ref = { repo: m[1], revision: m[2] ?? 'main', path: m[3] };
  return { url: resolveUrl(ref, hub), ref };
}
