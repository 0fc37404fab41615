// Web platform APIs of the Postman app's sandbox, loaded on first use: TextEncoder and
// TextDecoder (UTF-8), and `crypto` with getRandomValues, randomUUID and the Web Crypto subset
// collections sign with (`subtle.digest`, `importKey`, `sign`, `verify` for SHA digests, HMAC, Ed25519 and
// RSASSA-PKCS1-v1_5). The cryptography itself runs in Rust (`__snapman_crypto`).
'use strict';

var native = global.__snapman_crypto;

function domError(name, message) {
    var e = new Error(message);
    e.name = name;
    return e;
}

// Encodes a string as UTF-8; lone surrogates become U+FFFD, as the Encoding Standard says.
function utf8(str) {
    var out = [];
    for (var i = 0; i < str.length; i++) {
        var c = str.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
            var d = str.charCodeAt(i + 1);
            if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
        }
        if (c >= 0xd800 && c <= 0xdfff) { c = 0xfffd; }
        if (c < 0x80) { out.push(c); } else if (c < 0x800) { out.push(0xc0 | (c >> 6), 0x80 | (c & 63)); } else if (c < 0x10000) {
            out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        } else { out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)); }
    }
    return new Uint8Array(out);
}

function TextEncoder() {}
TextEncoder.prototype = {
    encoding: 'utf-8',
    encode: function (input) { return utf8(input === undefined ? '' : String(input)); },
    encodeInto: function (input, dest) {
        var bytes = utf8(String(input));
        var n = Math.min(bytes.length, dest.length);
        // Never split a character: back off to the start of the last whole one.
        while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) { n--; }
        dest.set(bytes.subarray(0, n));
        var read = 0;
        var s = String(input);
        var w = 0;
        for (var i = 0; i < s.length && w < n; i++) {
            var c = s.codePointAt(i);
            w += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
            read += c >= 0x10000 ? 2 : 1;
            if (c >= 0x10000) { i++; }
        }
        return { read: read, written: n };
    }
};

// The bytes of any BufferSource, copied into a Uint8Array of their own.
function bytesOf(data, what) {
    if (data instanceof ArrayBuffer) { return new Uint8Array(data.slice(0)); }
    if (ArrayBuffer.isView(data)) { return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)); }
    throw new TypeError((what || 'data') + ' must be an ArrayBuffer or a typed array');
}

var UTF8_LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];

function TextDecoder(label, options) {
    var name = label === undefined ? 'utf-8' : String(label).trim().toLowerCase();
    if (UTF8_LABELS.indexOf(name) < 0) { throw new RangeError('The "' + label + '" encoding is not supported'); }
    this.encoding = 'utf-8';
    this.fatal = !!(options && options.fatal);
    this.ignoreBOM = !!(options && options.ignoreBOM);
}
TextDecoder.prototype.decode = function (input) {
    if (input === undefined) { return ''; }
    var b = bytesOf(input, 'input');
    var out = '';
    var i = 0;
    if (!this.ignoreBOM && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) { i = 3; }
    var fatal = this.fatal;
    function bad() {
        if (fatal) { throw new TypeError('The encoded data was not valid for encoding utf-8'); }
        return 0xfffd;
    }
    while (i < b.length) {
        var c = b[i];
        var need = c < 0x80 ? 0 : (c & 0xe0) === 0xc0 ? 1 : (c & 0xf0) === 0xe0 ? 2 : (c & 0xf8) === 0xf0 ? 3 : -1;
        var cp;
        if (need < 0) {
            cp = bad();
            i++;
        } else if (need === 0) {
            cp = c;
            i++;
        } else {
            cp = c & (0x3f >> need);
            var k = 1;
            for (; k <= need; k++) {
                if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) { break; }
                cp = (cp << 6) | (b[i + k] & 63);
            }
            var min = [0, 0x80, 0x800, 0x10000][need];
            if (k <= need) {
                // A truncated sequence: one replacement for the bytes read so far.
                cp = bad();
                i += k;
            } else if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                cp = bad();
                i += need + 1;
            } else { i += need + 1; }
        }
        out += String.fromCodePoint(cp);
    }
    return out;
};

function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
        throw domError('TypeMismatchError', 'getRandomValues needs an integer typed array');
    }
    var random = new Uint8Array(native.random(array.byteLength));
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random);
    return array;
}

function randomUUID() {
    var b = getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

var HASHES = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
function hashName(h) {
    var name = String(h && typeof h === 'object' ? h.name : h).toUpperCase();
    if (HASHES.indexOf(name) < 0) { throw domError('NotSupportedError', 'Unsupported hash: ' + name); }
    return name;
}

// `{name, hash}` with Web Crypto's canonical spelling, or NotSupportedError.
function algorithmOf(alg, needHash) {
    var name = String(alg && typeof alg === 'object' ? alg.name : alg);
    var upper = name.toUpperCase();
    var out;
    if (upper === 'HMAC') { out = { name: 'HMAC' }; } else if (upper === 'RSASSA-PKCS1-V1_5') { out = { name: 'RSASSA-PKCS1-v1_5' }; } else if (upper === 'ED25519') {
        return { name: 'Ed25519' };
    } else {
        throw domError('NotSupportedError', 'Unsupported algorithm: ' + name + ' (snapman supports HMAC, RSASSA-PKCS1-v1_5 and Ed25519)');
    }
    if (needHash) { out.hash = { name: hashName(alg.hash) }; }
    return out;
}

function base64url(text) {
    var s = String(text).replace(/-/g, '+').replace(/_/g, '/');
    var bin = global.atob(s + '==='.slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
}

function CryptoKey(type, algorithm, extractable, usages, bytes) {
    this.type = type;
    this.extractable = !!extractable;
    this.algorithm = algorithm;
    this.usages = Array.prototype.slice.call(usages || []);
    Object.defineProperty(this, '_bytes', { value: bytes });
}

function importKey(format, keyData, algorithm, extractable, usages) {
    var alg = algorithmOf(algorithm, true);
    if (alg.name === 'HMAC') {
        var raw;
        if (format === 'raw') { raw = bytesOf(keyData, 'keyData'); } else if (format === 'jwk' && keyData && keyData.kty === 'oct') { raw = base64url(keyData.k); } else {
            throw domError('NotSupportedError', 'HMAC keys import from raw or jwk (oct), not ' + format);
        }
        alg.length = raw.length * 8;
        return new CryptoKey('secret', alg, extractable, usages, raw);
    }
    if (alg.name === 'Ed25519') { return importEd25519(format, keyData, alg, extractable, usages); }
    if (format === 'pkcs8') { return new CryptoKey('private', alg, extractable, usages, bytesOf(keyData, 'keyData')); }
    if (format === 'spki') { return new CryptoKey('public', alg, extractable, usages, bytesOf(keyData, 'keyData')); }
    throw domError('NotSupportedError', 'RSA keys import from pkcs8 or spki, not ' + format);
}

// Ed25519 keys: private from pkcs8 or a jwk with `d` (its seed); public from raw, spki or a jwk
// with `x`. `_format` tells the native side how to read a private key.
function importEd25519(format, keyData, alg, extractable, usages) {
    var key;
    if (format === 'pkcs8') {
        key = new CryptoKey('private', alg, extractable, usages, bytesOf(keyData, 'keyData'));
        Object.defineProperty(key, '_format', { value: 'pkcs8' });
    } else if (format === 'jwk' && keyData && keyData.kty === 'OKP' && keyData.d) {
        key = new CryptoKey('private', alg, extractable, usages, base64url(keyData.d));
        Object.defineProperty(key, '_format', { value: 'seed' });
    } else if (format === 'jwk' && keyData && keyData.kty === 'OKP' && keyData.x) {
        key = new CryptoKey('public', alg, extractable, usages, base64url(keyData.x));
    } else if (format === 'raw' || format === 'spki') {
        key = new CryptoKey('public', alg, extractable, usages, bytesOf(keyData, 'keyData'));
    } else {
        throw domError('NotSupportedError', 'Ed25519 keys import from pkcs8, raw, spki or jwk (OKP), not ' + format);
    }
    return key;
}

function checkKey(key, alg, type) {
    if (!(key instanceof CryptoKey)) { throw new TypeError('key is not a CryptoKey'); }
    if (key.algorithm.name !== alg.name) { throw domError('InvalidAccessError', 'The key is for ' + key.algorithm.name + ', not ' + alg.name); }
    if (key.type !== type) { throw domError('InvalidAccessError', 'A ' + key.type + ' key cannot do this'); }
}

function sign(algorithm, key, data) {
    var alg = algorithmOf(algorithm, false);
    if (alg.name === 'HMAC') {
        checkKey(key, alg, 'secret');
        return native.hmac(key.algorithm.hash.name, key._bytes, bytesOf(data));
    }
    checkKey(key, alg, 'private');
    if (alg.name === 'Ed25519') { return native.ed25519Sign(key._format, key._bytes, bytesOf(data)); }
    return native.rsaSign(key.algorithm.hash.name, key._bytes, bytesOf(data));
}

function verify(algorithm, key, signature, data) {
    var alg = algorithmOf(algorithm, false);
    var sig = bytesOf(signature, 'signature');
    if (alg.name === 'HMAC') {
        checkKey(key, alg, 'secret');
        var mac = new Uint8Array(native.hmac(key.algorithm.hash.name, key._bytes, bytesOf(data)));
        var diff = mac.length ^ sig.length;
        for (var i = 0; i < mac.length; i++) { diff |= mac[i] ^ (sig[i] | 0); }
        return diff === 0;
    }
    checkKey(key, alg, 'public');
    if (alg.name === 'Ed25519') { return native.ed25519Verify(key._bytes, sig, bytesOf(data)); }
    return native.rsaVerify(key.algorithm.hash.name, key._bytes, sig, bytesOf(data));
}

// Web Crypto answers with promises; errors become rejections.
function promised(fn) {
    return function () {
        var args = arguments;
        return new Promise(function (resolve) { resolve(fn.apply(null, args)); });
    };
}

var subtle = {
    digest: promised(function (algorithm, data) { return native.digest(hashName(algorithm), bytesOf(data)); }),
    importKey: promised(importKey),
    sign: promised(sign),
    verify: promised(verify)
};

module.exports = {
    TextEncoder: TextEncoder,
    TextDecoder: TextDecoder,
    crypto: { getRandomValues: getRandomValues, randomUUID: randomUUID, subtle: subtle },
    CryptoKey: CryptoKey
};
