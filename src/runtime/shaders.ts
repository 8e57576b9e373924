// Every .wgsl file under shaders/, imported as text at build time. Kernels name their shader by
// path relative to shaders/ without the extension ("rmsnorm", "lib/reduce").
const files = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

const byName = new Map<string, string>();
for (const [path, src] of Object.entries(files)) {
  byName.set(path.replace(/^.*\/shaders\//, '').replace(/\.wgsl$/, ''), src);
}

export function shaderSource(name: string): string | undefined {
  return byName.get(name.replace(/\.wgsl$/, ''));
}

export function shaderNames(): string[] {
  return [...byName.keys()].sort();
}
