// A tiny WGSL preprocessor so one .wgsl file serves its f32/f16 and subgroup/non-subgroup variants.
//
//   #include "lib/reduce.wgsl"   inline another file from shaders/ (each file at most once)
//   #define NAME value           define a symbol (also substituted as a whole word in code)
//   #ifdef NAME / #ifndef NAME   conditional blocks, nestable
//   #if NAME                     true when NAME is defined and not 0/false/empty
//   #else / #endif
//
// Defines passed from TypeScript come first, as if written at the top of the file. Errors name
// the file and line, because a bad directive otherwise surfaces as an unreadable compile error.
import { EngineError } from '../util/errors';

export type DefineValue = string | number | boolean;
export type Defines = Record<string, DefineValue>;

export interface PreprocessOptions {
  defines?: Defines;
  /** Resolves an include path (relative to shaders/) to its source. */
  resolve: (path: string) => string | undefined;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function preprocess(entry: string, source: string, opts: PreprocessOptions): string {
  const defines = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.defines ?? {})) {
    if (!IDENT.test(k)) throw fail(entry, 0, `bad define name "${k}"`);
    if (v === false) continue; // false means "not defined", so #ifdef sees it as absent
    defines.set(k, v === true ? '1' : String(v));
  }
  const included = new Set<string>([entry]);
  const out: string[] = [];
  expand(entry, source, defines, included, opts.resolve, out);
  return out.join('\n');
}

function fail(file: string, line: number, msg: string): EngineError {
  return new EngineError('ShaderCompile', `wgsl preprocessor: ${file}:${line}: ${msg}`);
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

function expand(
  file: string,
  source: string,
  defines: Map<string, string>,
  included: Set<string>,
  resolve: (p: string) => string | undefined,
  out: string[],
): void {
  // Each stack entry: is this branch active, has any branch of the #if been taken, was the parent active.
  const stack: { active: boolean; taken: boolean; parent: boolean; line: number; sawElse?: boolean }[] = [];
  const active = () => (stack.length === 0 ? true : stack[stack.length - 1].active);
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i];
    const m = /^\s*#(\w+)\s*(.*?)\s*$/.exec(line);
    if (!m) {
      if (active()) out.push(substitute(line, defines));
      continue;
    }
    const [, directive, rest] = m;
    switch (directive) {
      case 'ifdef':
      case 'ifndef':
      case 'if': {
        const name = rest.split(/\s+/)[0];
        if (!IDENT.test(name)) throw fail(file, lineNo, `#${directive} needs a symbol name`);
        const cond =
          directive === 'ifdef' ? defines.has(name) : directive === 'ifndef' ? !defines.has(name) : truthy(defines.get(name));
        const parent = active();
        stack.push({ active: parent && cond, taken: cond, parent, line: lineNo });
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) throw fail(file, lineNo, '#else without #if');
        if (top.sawElse) throw fail(file, lineNo, `second #else for the #if on line ${top.line}`);
        top.sawElse = true;
        top.active = top.parent && !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.pop()) throw fail(file, lineNo, '#endif without #if');
        break;
      case 'define': {
        if (!active()) break;
        const dm = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s+(.*))?$/.exec(rest);
        if (!dm) throw fail(file, lineNo, '#define needs a name');
        if (!defines.has(dm[1])) defines.set(dm[1], dm[2] ?? '1'); // TS-side defines win
        break;
      }
      case 'include': {
        if (!active()) break;
        const im = /^"([^"]+)"$/.exec(rest);
        if (!im) throw fail(file, lineNo, '#include needs a "quoted/path.wgsl"');
        const path = im[1];
        if (included.has(path)) break;
        const src = resolve(path);
        if (src === undefined) throw fail(file, lineNo, `cannot find include "${path}" under shaders/`);
        included.add(path);
        expand(path, src, defines, included, resolve, out);
        break;
      }
      default:
        throw fail(file, lineNo, `unknown directive #${directive}`);
    }
  }
  if (stack.length > 0) throw fail(file, stack[stack.length - 1].line, 'unterminated #if/#ifdef (missing #endif)');
}

function substitute(line: string, defines: Map<string, string>): string {
  if (defines.size === 0 || line.trimStart().startsWith('//')) return line;
  return line.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (w) => defines.get(w) ?? w);
}
