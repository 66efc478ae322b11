for (const u of ['ws://h:80/a', 'wss://h:443', 'ftp://h:21/f', 'file:///etc/hosts', 'blob:https://a.com/1', 'mailto:x@y.z', 'data:text/plain,x', 'custom://host/path?q#f']) {
  const p = new URL(u);
  console.log(p.protocol, JSON.stringify(p.host), p.pathname, p.origin);
}
