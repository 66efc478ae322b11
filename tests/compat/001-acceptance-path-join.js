console.log(require('path').join('a', '..', 'b'));
