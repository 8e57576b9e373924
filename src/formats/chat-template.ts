// Chat templates: the Jinja template a model ships (GGUF `tokenizer.chat_template`, HF
// tokenizer_config.json `chat_template`) turns a conversation into the exact prompt text the model was
// trained on. Rendered with @huggingface/jinja, which follows transformers' apply_chat_template
// (trim_blocks, lstrip_blocks, raise_exception).
//
// Templates run with our own globals rather than Template.render's: its strftime_now formats month
// names in the browser's locale ("26 juil. 2024" in a French browser), while transformers formats them
// the way Python does (English), which is what e.g. Llama 3.2's "Today Date: 26 Jul 2024" line expects.

import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { loadError } from './errors';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

export interface RenderChatOptions {
  /** End with the header of an assistant turn, so the model writes the reply. */
  addGenerationPrompt: boolean;
  /** The BOS / EOS token text the template may print (e.g. `<|begin_of_text|>`, `</s>`); default ''. */
  bosToken?: string;
  eosToken?: string;
  /** "Today" for templates that print the date through strftime_now; default the current time. */
  now?: Date;
  /** More template variables, e.g. `date_string`, `enable_thinking`, `tools`. */
  variables?: Record<string, unknown>;
}

/** ChatML, for GGUFs without a template (llama.cpp falls back to ChatML too). */
export const fallbackChatTemplate =
  "{%- for message in messages -%}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}" +
  "{%- endfor -%}{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}";

const MAX_CACHED = 8;
const compiled = new Map<string, Template>();

export function renderChat(template: string, messages: readonly ChatMessage[], opts: RenderChatOptions): string {
  let parsed: Template;
  try {
    parsed = compile(template);
  } catch (e) {
    throw loadError('ModelLoad', `The model's chat template could not be read: ${messageOf(e)}.`, {
      hint: 'The template uses Jinja this app does not understand; a GGUF with another template (or none) may work.',
      cause: e,
    });
  }
  const env = new Environment(globals(opts.now ?? new Date()));
  const variables: Record<string, unknown> = {
    ...opts.variables,
    messages: messages.map((m) => ({ ...m })),
    add_generation_prompt: opts.addGenerationPrompt,
    bos_token: opts.bosToken ?? '',
    eos_token: opts.eosToken ?? '',
  };
  for (const [name, value] of Object.entries(variables)) env.set(name, value);
  try {
    const out = new Interpreter(env).run(parsed.parsed).value;
    return typeof out === 'string' ? out : String(out);
  } catch (e) {
    throw loadError('ModelLoad', `The model's chat template failed on this conversation: ${messageOf(e)}`, {
      hint: 'Some templates accept only alternating user/assistant turns, or no system message.',
      cause: e,
    });
  }
}

function compile(template: string): Template {
  let t = compiled.get(template);
  if (t === undefined) {
    t = new Template(template);
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(template, t);
  }
  return t;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The names templates expect to exist (as @huggingface/jinja and transformers provide them). */
function globals(now: Date): Environment {
  const env = new Environment();
  const values: Record<string, unknown> = {
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    raise_exception: (message: unknown) => {
      throw new Error(String(message));
    },
    range,
    strftime_now: (format: unknown) => strftime(now, String(format)),
  };
  for (const [name, value] of Object.entries(values)) env.set(name, value);
  return env;
}

function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's strftime for the fields chat templates use, in the C locale, local time. */
export function strftime(date: Date, format: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%-?[a-zA-Z%]/g, (token) => {
    const noPad = token.length === 3;
    const two = (n: number) => (noPad ? String(n) : pad(n));
    switch (token.slice(-1)) {
      case 'd':
        return two(date.getDate());
      case 'm':
        return two(date.getMonth() + 1);
      case 'Y':
        return String(date.getFullYear());
      case 'y':
        return pad(date.getFullYear() % 100);
      case 'B':
        return MONTHS[date.getMonth()];
      case 'b':
        return MONTHS[date.getMonth()].slice(0, 3);
      case 'A':
        return DAYS[date.getDay()];
      case 'a':
        return DAYS[date.getDay()].slice(0, 3);
      case 'H':
        return two(date.getHours());
      case 'M':
        return two(date.getMinutes());
      case 'S':
        return two(date.getSeconds());
      case '%':
        return '%';
      default:
        return token;
    }
  });
}
