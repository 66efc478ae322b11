const out = [];
setTimeout(() => { out.push('timeout'); console.log(out.join(' ')); }, 0);
Promise.resolve().then(() => out.push('then1')).then(() => out.push('then2'));
queueMicrotask(() => out.push('micro'));
(async () => { out.push('async-start'); await null; out.push('async-after'); })();
out.push('sync');
