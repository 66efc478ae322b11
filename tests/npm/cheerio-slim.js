// cheerio/slim (htmlparser2, no undici): load HTML, select, read and change text and attributes.
const cheerio = require('cheerio/slim');

const $ = cheerio.load(`
<ul id="fruits">
  <li class="apple">Apple</li>
  <li class="orange">Orange</li>
  <li class="pear" data-ripe="yes">Pear</li>
</ul>
<p>Some <b>bold</b> &amp; <i>italic</i> text.</p>`);
console.log($('.apple', '#fruits').text());
console.log($('ul .pear').attr('class'), $('li[data-ripe]').data('ripe'));
console.log($('li').map((i, el) => $(el).text()).get().join(', '));
console.log($('p').text());
$('h2.title').text('Hello there!');
$('ul').append('<li class="plum">Plum</li>');
$('.orange').addClass('citrus').removeClass('orange');
console.log($('li').length, $('.citrus').text());
console.log($.html('#fruits'));
console.log(JSON.stringify($('ul').extract({ items: ['li'] })));
