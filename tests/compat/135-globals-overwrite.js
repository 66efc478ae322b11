globalThis.URL = 'mine';
console.log(URL);
var Blob = 5; console.log(Blob, typeof TextEncoder);
const savedFetch = fetch; globalThis.fetch = () => 'stub'; console.log(fetch(), typeof savedFetch);
