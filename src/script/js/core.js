// Sandbox core: the library loader and `require`, console capture, timers, atob/btoa and the
// bridge functions (`__sm.begin/end/...`) the Rust side calls around each script.
(function (g) {
    'use strict';

    var sm = g.__sm = {};
    var libs = {};
    var loading = {};

    // Evaluates a vendored UMD/CommonJS build once, on first use, so a run that never needs chai or
    // moment never pays for parsing them.
    function loadLib(name) {
        if (Object.prototype.hasOwnProperty.call(libs, name)) { return libs[name]; }
        var src = g.__snapman_source(name);
        loading[name] = true;
        var module = { exports: {} };
        // Loading a library is snapman's cost, not the script's: the time limit pauses meanwhile.
        g.__snapman_clock(false);
        try {
            var fn = new Function('module', 'exports', 'define', 'global', 'self', 'window', 'require', 'process', src);
            fn.call(g, module, module.exports, undefined, g, g, undefined, g.require, processShim);
        } finally {
            g.__snapman_clock(true);
            delete loading[name];
        }
        libs[name] = module.exports;
        if (sm.onLibLoaded) { sm.onLibLoaded(name, module.exports); }
        return module.exports;
    }
    sm.loadLib = loadLib;

    // The `process` browserify gives the modules it bundles (never a global of the sandbox).
    var processShim = {
        env: {}, argv: [], version: '', versions: {}, platform: 'browser', browser: true, title: 'browser',
        cwd: function () { return '/'; },
        nextTick: function (fn) {
            var args = Array.prototype.slice.call(arguments, 1);
            Promise.resolve().then(function () { fn.apply(null, args); });
        }
    };

    var compiled = new Map();
    sm.compiledScript = function (source) { return compiled.get(source); };
    sm.saveScript = function (source, fn) { compiled.set(source, fn); };

    var modules = {
        lodash: function () { return loadLib('lodash'); },
        chai: function () { sm.chaiTaken = true; return sm.chai(); },
        moment: function () { return loadLib('moment'); },
        'crypto-js': function () { return loadLib('crypto-js'); },
        tv4: function () { return loadLib('tv4'); },
        ajv: function () { return loadLib('ajv'); },
        assert: function () { return sm.assertModule; },
        uuid: function () { return sm.uuidModule; },
        xml2js: function () { return sm.xml2js; },
        atob: function () { return g.atob; },
        btoa: function () { return g.btoa; },
        // Newman's sandbox answers `fs` with an empty object (browserify's stand-in).
        fs: function () { return emptyModule; }
    };
    var emptyModule = {};
    ['buffer', 'events', 'os', 'path', 'punycode', 'querystring', 'stream', 'string_decoder', 'timers', 'url', 'util',
        'cheerio', 'csv-parse/lib/sync', 'postman-collection'].forEach(function (name) {
        modules[name] = function () { return loadLib(name); };
    });

    g.require = function require(name) {
        // `require('string_decoder/')` (as readable-stream writes it) is the module itself.
        var key = String(name).replace(/^([a-z_]+)\/$/, '$1');
        if (!Object.prototype.hasOwnProperty.call(modules, key)) {
            throw new Error('Cannot find module \'' + key + '\'');
        }
        return modules[key]();
    };

    // Globals materialised on first access, so a script that never touches one never pays for it.
    function lazyGlobal(name, make) {
        function settle(value) {
            Object.defineProperty(g, name, { value: value, writable: true, configurable: true });
            return value;
        }
        Object.defineProperty(g, name, {
            configurable: true,
            enumerable: false,
            get: function () {
                var value = make();
                return value === undefined ? value : settle(value);
            },
            set: settle
        });
    }
    // Postman's legacy pre-loaded libraries (lodash reads `root._` while it initialises itself).
    [['_', 'lodash'], ['CryptoJS', 'crypto-js'], ['tv4', 'tv4']].forEach(function (pair) {
        lazyGlobal(pair[0], function () { return loading[pair[1]] ? undefined : loadLib(pair[1]); });
    });
    lazyGlobal('Buffer', function () { return loadLib('buffer').Buffer; });
    lazyGlobal('cheerio', function () { return loadLib('cheerio'); });

    // A one-line rendering close to Node's util.inspect, which Newman's console output uses.
    function inspect(value, depth, seen) {
        var t = typeof value;
        if (value === null) { return 'null'; }
        if (t === 'undefined') { return 'undefined'; }
        if (t === 'string') { return depth === 0 ? value : '\'' + value.replace(/'/g, '\\\'') + '\''; }
        if (t === 'number' || t === 'boolean' || t === 'bigint') { return String(value); }
        if (t === 'symbol') { return value.toString(); }
        if (t === 'function') { return '[Function: ' + (value.name || 'anonymous') + ']'; }
        if (value instanceof Error) { return value.stack ? value.name + ': ' + value.message : String(value); }
        if (value instanceof Date) { return isNaN(value) ? 'Invalid Date' : value.toISOString(); }
        if (value instanceof RegExp) { return String(value); }
        seen = seen || [];
        if (seen.indexOf(value) >= 0) { return '[Circular]'; }
        if (depth > 2) { return Array.isArray(value) ? '[Array]' : '[Object]'; }
        seen.push(value);
        var parts;
        if (Array.isArray(value)) {
            parts = value.map(function (v) { return inspect(v, depth + 1, seen); });
            seen.pop();
            return parts.length ? '[ ' + parts.join(', ') + ' ]' : '[]';
        }
        parts = Object.keys(value).map(function (k) {
            var key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : '\'' + k + '\'';
            return key + ': ' + inspect(value[k], depth + 1, seen);
        });
        seen.pop();
        return parts.length ? '{ ' + parts.join(', ') + ' }' : '{}';
    }
    sm.inspect = inspect;

    // Newman's CLI prints each console argument inspected (strings quoted) and joins them with ', '.
    function format(args) {
        return args.map(function (a) { return inspect(a, 1); }).join(', ');
    }

    var consoleLines = [];
    function logger(level) {
        return function () { consoleLines.push({ level: level, text: format(Array.prototype.slice.call(arguments)) }); };
    }
    g.console = {
        log: logger('log'), info: logger('info'), warn: logger('warn'), error: logger('error'),
        debug: logger('debug'), trace: logger('trace')
    };
    sm.takeConsole = function () { return consoleLines.splice(0); };

    // Timers keep real delays (collections use setTimeout as a sleep between polls); Rust sleeps
    // until the next one is due.
    var timers = [];
    var timerSeq = 0;
    function addTimer(fn, delay, args, repeat) {
        var id = ++timerSeq;
        var ms = Math.max(0, Number(delay) || 0);
        timers.push({ id: id, due: Date.now() + ms, fn: fn, args: args, every: repeat ? ms : -1 });
        return id;
    }
    function clearTimer(id) { timers = timers.filter(function (t) { return t.id !== id; }); }
    g.setTimeout = function (fn, delay) { return addTimer(fn, delay, Array.prototype.slice.call(arguments, 2), false); };
    g.setInterval = function (fn, delay) { return addTimer(fn, delay, Array.prototype.slice.call(arguments, 2), true); };
    g.setImmediate = function (fn) { return addTimer(fn, 0, Array.prototype.slice.call(arguments, 1), false); };
    g.clearTimeout = clearTimer;
    g.clearInterval = clearTimer;
    g.clearImmediate = clearTimer;

    sm.nextTimer = function () {
        if (!timers.length) { return -1; }
        var due = timers.reduce(function (m, t) { return Math.min(m, t.due); }, Infinity);
        return Math.max(0, due - Date.now());
    };
    sm.fireTimer = function () {
        if (!timers.length) { return; }
        var first = timers.reduce(function (m, t) { return t.due < m.due || (t.due === m.due && t.id < m.id) ? t : m; });
        if (first.every >= 0) { first.due = Date.now() + first.every; } else { clearTimer(first.id); }
        sm.guard(function () { if (typeof first.fn === 'function') { first.fn.apply(g, first.args); } });
    };
    sm.clearTimers = function () { timers = []; };

    // The promise a script with top-level `await` returns: its rejection fails the script.
    var rejection;
    sm.watch = function (result) {
        rejection = undefined;
        if (result instanceof Promise) {
            result.then(null, function (e) { rejection = e === undefined || e === null ? new Error(String(e)) : e; });
        }
    };
    sm.takeRejection = function () {
        var e = rejection;
        rejection = undefined;
        return e;
    };

    // An exception thrown from a timer or `pm.sendRequest` callback is dropped, as in Newman:
    // the script body has finished by then, and the run goes on without an error.
    sm.guard = function (fn) {
        try { fn(); } catch (e) { /* dropped, as Newman does */ }
    };

    // Postman's sandbox parses JSON with a parser whose errors say where the text went wrong:
    // "Unexpected token '<' at 1:1\n<html>\n^", with the name JSONError.
    function jsonErrorAt(text) {
        var i = 0;
        var n = text.length;
        function ws() { while (i < n && ' \t\n\r'.indexOf(text[i]) >= 0) { i++; } }
        var key = null;
        function fail() { throw i; }
        function str() {
            i++;
            while (i < n) {
                var ch = text[i];
                if (ch === '"') { i++; return; }
                if (ch === '\\') { i += 2; continue; }
                if (ch < ' ') { fail(); }
                i++;
            }
            fail();
        }
        function lit(word) { if (text.substr(i, word.length) !== word) { fail(); } i += word.length; }
        function value() {
            ws();
            var c = text[i];
            if (c === '{' || c === '[') {
                var close = c === '{' ? '}' : ']';
                i++;
                ws();
                if (text[i] === close) { i++; return; }
                for (;;) {
                    ws();
                    if (c === '{') {
                        if (text[i] !== '"') { fail(); }
                        var from = i;
                        str();
                        key = text.slice(from + 1, i - 1);
                        ws();
                        if (text[i] !== ':') { fail(); }
                        i++;
                        ws();
                        if (i < n && '{["tfn-0123456789'.indexOf(text[i]) < 0) { throw { at: i, key: key }; }
                    }
                    value();
                    ws();
                    if (text[i] === ',') { i++; continue; }
                    if (text[i] === close) { i++; return; }
                    fail();
                }
            }
            if (c === '"') { str(); return; }
            if (c === 't') { lit('true'); return; }
            if (c === 'f') { lit('false'); return; }
            if (c === 'n') { lit('null'); return; }
            var m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 512));
            if (!m || !m[0].length || m[0] === '-') { fail(); }
            i += m[0].length;
        }
        try {
            value();
            ws();
            if (i < n) { fail(); }
            return -1;
        } catch (e) {
            if (typeof e === 'number') { return { at: e }; }
            if (e && typeof e.at === 'number') { return e; }
            throw e;
        }
    }
    var nativeParse = JSON.parse;
    JSON.parse = function parse(text, reviver) {
        try { return nativeParse(text, reviver); } catch (e) {
            var s = String(text);
            var found = jsonErrorAt(s);
            if (found === -1) { throw e; }
            var at = found.at;
            var before = s.slice(0, at).split('\n');
            var line = before.length;
            var col = before[before.length - 1].length + 1;
            var lineText = s.split('\n')[line - 1];
            var what = found.key !== undefined ? 'No value found for key ' + found.key :
                (at >= s.length ? 'Unexpected end of input' : 'Unexpected token \'' + s[at] + '\'');
            var err = new SyntaxError(what + ' at ' + line + ':' + col + '\n' + lineText + '\n' + ' '.repeat(col - 1) + '^');
            err.name = 'JSONError';
            throw err;
        }
    };

    var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    g.btoa = function btoa(input) {
        var s = String(input);
        var out = '';
        for (var i = 0; i < s.length; i += 3) {
            var a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
            if (a > 255 || b > 255 || c > 255) { throw new Error('Invalid character'); }
            var n = (a << 16) | ((b || 0) << 8) | (c || 0);
            out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
                (i + 1 < s.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < s.length ? B64[n & 63] : '=');
        }
        return out;
    };
    g.atob = function atob(input) {
        var s = String(input).replace(/[\s=]+/g, '');
        if (/[^A-Za-z0-9+/]/.test(s) || s.length % 4 === 1) { throw new Error('The string to be decoded is not correctly encoded.'); }
        var out = '';
        var bits = 0, acc = 0;
        for (var i = 0; i < s.length; i++) {
            acc = (acc << 6) | B64.indexOf(s[i]);
            bits += 6;
            if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
        }
        return out;
    };

    // Web APIs (js/web.js).
    ['TextEncoder', 'TextDecoder', 'crypto'].forEach(function (name) {
        lazyGlobal(name, function () { return loadLib('web')[name]; });
    });
}(globalThis));
