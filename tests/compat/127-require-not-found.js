try { require('./does-not-exist'); } catch (e) { console.log(e.code, e.message.split('\n')[0]); }
try { require('no-such-package-xyz'); } catch (e) { console.log(e.code, e.message.split('\n')[0]); }
try { require(''); } catch (e) { console.log(e.code); }
try { require(42); } catch (e) { console.log(e.code); }
