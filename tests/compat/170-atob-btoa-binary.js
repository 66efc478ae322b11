const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
const b64 = btoa(bytes);
console.log(b64.length, b64.slice(0, 20), atob(b64) === bytes);
console.log(btoa(123), atob('MTIz'), btoa(null), btoa(true));
