// snapman: postman-collection uses iconv-lite only to decode non-UTF-8 response bodies; UTF-8
// and latin1 are decoded with Buffer, other charsets are not bundled.
var Buffer = require('buffer').Buffer;
module.exports = {
    encodingExists: function (enc) { return /^(utf-?8|latin1|iso-8859-1|binary|ascii)$/i.test(String(enc)); },
    decode: function (buf, enc) { return Buffer.from(buf).toString(/^utf-?8$/i.test(String(enc)) ? 'utf8' : 'latin1'); }
};
