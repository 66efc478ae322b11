// axios with its Node adapter (http/https, not fetch) and node-fetch 2
// (http.request underneath), against the test's local server
// (process.env.OPENAI_BASE_URL): a GET, a JSON POST whose answer streams as
// server-sent events read from the response stream, and a refused request
// (no internet here, and the host is not on corral's allowlist: both fail).
const axios = require('axios');
const nodeFetch = require('node-fetch');

const base = process.env.OPENAI_BASE_URL;
const chat = { model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] };

function contents(sse) {
  return sse.split('\n\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)))
    .map((o) => (o.choices[0] && o.choices[0].delta.content) || '').join('');
}

async function main() {
  const r = await axios.get(base + '/release', { adapter: 'http' });
  console.log('axios get:', r.status, r.headers['content-type'], r.data);
  const s = await axios.post(base + '/v1/chat/completions', chat, { adapter: 'http', responseType: 'stream' });
  let text = '';
  for await (const chunk of s.data) text += chunk.toString('utf8');
  console.log('axios stream:', s.status, s.headers['content-type'], JSON.stringify(contents(text).replace(/ \((streamed|buffered)\)/, '')));
  try {
    await axios.get(base + '/missing', { adapter: 'http' });
  } catch (e) {
    console.log('axios 404:', e.name, e.response && e.response.status, e.response && e.response.data);
  }

  const f = await nodeFetch(base + '/release');
  console.log('node-fetch get:', f.status, f.ok, f.headers.get('content-length'), await f.text());
  const p = await nodeFetch(base + '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: { 'content-type': 'application/json' } });
  const parts = [];
  for await (const chunk of p.body) parts.push(chunk);
  console.log('node-fetch stream:', p.status, JSON.stringify(contents(Buffer.concat(parts).toString()).replace(/ \((streamed|buffered)\)/, '')));
  try {
    await nodeFetch('http://corral-test.invalid/', { timeout: 2000 });
    console.log('refused: no');
  } catch (e) {
    console.log('refused:', e.name);
  }
}
main().catch((e) => console.log('failed:', e && e.name, e && e.message));
