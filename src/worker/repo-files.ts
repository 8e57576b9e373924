// A hub repository's files for a multi-file model (a diffusers pipeline): each file is fetched whole
// into the model store once and read from there after, so a reload needs no network. JSON and text
// files go through the same cache (a pipeline needs all of them to load offline).
import { loadError } from '../formats/errors';
import { resolveUrl } from '../formats/hub';
import { blobSource, type ByteSource } from '../formats/source';
import type { RepoFiles } from '../models/sd/repo';
import { downloadIfPresent, type ModelStore } from './model-store';

export interface HubRepoOptions {
  hub: string;
  repo: string;
  revision?: string;
  signal?: AbortSignal;
  /** Bytes of the file being downloaded (once per file; cached files report nothing). */
  onDownload?: (path: string, done: number, total: number) => void;
}

const REPO_NAME = /^[\w.-]+\/[\w.-]+$/;

export function hubRepoFiles(store: ModelStore, o: HubRepoOptions): RepoFiles {
  const repo = o.repo.trim();
  if (!REPO_NAME.test(repo)) {
    throw loadError('ModelLoad', `"${o.repo}" is not a hub repository name.`, { hint: 'Write it as owner/name, e.g. stabilityai/sd-turbo.' });
  }
  const blobs = new Map<string, Promise<Blob | null>>();
  const get = (path: string): Promise<Blob | null> => {
    let p = blobs.get(path);
    if (!p) {
      const url = resolveUrl({ repo, revision: o.revision ?? 'main', path }, o.hub);
      p = (async () =>
        (await store.get(url)) ??
        downloadIfPresent(store, url, { signal: o.signal, onProgress: (d) => o.onDownload?.(path, d.done, d.total) }))();
      blobs.set(path, p);
      p.catch(() => blobs.delete(path));
    }
    return p;
  };
  const need = async (path: string): Promise<Blob> => {
    const b = await get(path);
    if (!b) throw loadError('ModelLoad', `${repo} has no ${path} (404).`, { hint: 'Check the repository name and revision; it must be a diffusers-format pipeline.' });
    return b;
  };
  return {
    label: repo,
    async json(path) {
      const text = await (await need(path)).text();
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw loadError('ModelLoad', `${repo}/${path} is not valid JSON: ${(e as Error).message}.`, { cause: e });
      }
    },
    async text(path) {
      return (await need(path)).text();
    },
    async source(path): Promise<ByteSource | null> {
      const b = await get(path);
      return b ? blobSource(b, `${repo}/${path}`) : null;
    },
  };
}
