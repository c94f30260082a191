"""Expected renders of the chat templates in tests/fixtures/chat-templates/ (tests/transformer/chat-template.test.ts).

Renders each template with Python's jinja2 as Hugging Face's apply_chat_template(tokenize=False) does
(transformers' chat_template_utils._compile_jinja_template): an ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and the loopcontrols extension, a tojson filter with ensure_ascii=False,
and the globals raise_exception and strftime_now; the special tokens of the model's tokenizer_config.json.

Needs a Python with jinja2 (Debian's python3-jinja2, or pip's Jinja2): python3 tools/make_chat_fixtures.py
"""
import json
from datetime import datetime
from pathlib import Path

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "chat-templates"

# Special tokens as each model's tokenizer_config.json sets them.
MODELS = {
    "smollm2-instruct": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>"},
    "qwen2.5-instruct": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "tinyllama-chat": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "</s>"},
    "llama3-instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-instruct-v0.3": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
}

# system + user + assistant + user; the assistant's reply has spaces around it (templates that trim show it).
MESSAGES = [
    {"role": "system", "content": "You are a terse assistant. Answer in one word."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "  Paris. \n"},
    {"role": "user", "content": "And of Italy? Ünïcödé «quotes» \"double\" 'single'"},
]
# Without a system message: the templates that add a default one show it.
NO_SYSTEM = MESSAGES[1:]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    env = environment()
    out = {"messages": MESSAGES, "noSystem": NO_SYSTEM, "models": {}}
    for name, tokens in MODELS.items():
        template = env.from_string((HERE / f"{name}.jinja").read_text())
        renders = {}
        for key, messages in (("full", MESSAGES), ("noSystem", NO_SYSTEM)):
            for prompt in (False, True):
                renders[f"{key}{'+prompt' if prompt else ''}"] = template.render(messages=messages, add_generation_prompt=prompt, **tokens)
        out["models"][name] = {"specialTokens": tokens, "renders": renders}
    (HERE / "expected.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {HERE / 'expected.json'} (jinja2 {jinja2.__version__})")


if __name__ == "__main__":
    main()
