const web = require('stream/web');
console.log(web.ReadableStream === ReadableStream, web.TransformStream === TransformStream, typeof web.WritableStream, typeof web.TextDecoderStream);
