// The AI SDK: streamText with @ai-sdk/openai pointed at a local
// OpenAI-compatible SSE server (the test starts it; its base URL is
// process.env.OPENAI_BASE_URL). The server holds back its last chunk until
// this program has fetched /release, which it does when the first token
// arrives: the last token says whether the release came while the stream was
// still open ("streamed") or only after the server gave up waiting
// ("buffered": the body was not delivered as it was sent).
const { streamText } = require('ai');
const { createOpenAI } = require('@ai-sdk/openai');

const base = process.env.OPENAI_BASE_URL;
const openai = createOpenAI({ baseURL: base + '/v1', apiKey: 'sk-test' });

async function main() {
  const result = streamText({ model: openai.chat('gpt-test'), prompt: 'Say hello.' });
  let released = false;
  let n = 0;
  for await (const token of result.textStream) {
    n += 1;
    console.log(`token ${n}: ${JSON.stringify(token)}`);
    if (!released) {
      released = true;
      const r = await fetch(base + '/release');
      console.log('release:', r.status, await r.text());
    }
  }
  console.log('text:', JSON.stringify(await result.text));
  console.log('finishReason:', await result.finishReason);
  const usage = await result.usage;
  console.log('usage:', usage.inputTokens, usage.outputTokens, usage.totalTokens);
}
main().catch((e) => console.log('failed:', e && e.name, e && e.message));
