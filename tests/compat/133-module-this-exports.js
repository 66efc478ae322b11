console.log(this === module.exports);
(function () { console.log(typeof this); })();
(() => console.log(this === exports))();
