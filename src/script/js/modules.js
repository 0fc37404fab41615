// Small built-in modules: `assert` (browserify assert 1.x messages), `uuid`, and an XML parser
// behind `xml2Json` and `require('xml2js')`, following xml2js's object shape.
(function (g) {
    'use strict';

    var sm = g.__sm;

    // The wording of the `assert` package (Node's messages) that Postman's sandbox bundles.
    function generated(o) {
        var a = sm.inspect(o.actual, 1);
        var b = sm.inspect(o.expected, 1);
        switch (o.operator) {
            case 'strictEqual': return 'Expected values to be strictly equal:\n\n' + a + ' !== ' + b + '\n';
            case 'deepStrictEqual': return 'Expected values to be strictly deep-equal:\n\n' + a + '\n\nshould equal\n\n' + b;
            case 'deepEqual': return 'Expected values to be loosely deep-equal:\n\n' + a + '\n\nshould equal\n\n' + b;
            case 'notStrictEqual': return 'Expected "actual" to be strictly unequal to: ' + b;
            case 'notDeepStrictEqual': return 'Expected "actual" not to be strictly deep-equal to: ' + b;
            case 'notDeepEqual': return 'Expected "actual" not to be loosely deep-equal to:\n\n' + b;
            default: return a + ' ' + o.operator + ' ' + b;
        }
    }

    function AssertionError(opts) {
        this.name = 'AssertionError';
        this.actual = opts.actual;
        this.expected = opts.expected;
        this.operator = opts.operator;
        this.generatedMessage = !opts.message;
        this.message = opts.message || generated(opts);
        this.stack = new Error(this.message).stack;
    }
    AssertionError.prototype = Object.create(Error.prototype);
    AssertionError.prototype.constructor = AssertionError;

    function fail(actual, expected, message, operator) {
        if (arguments.length === 1 && typeof actual === 'string') { throw new AssertionError({ message: actual, operator: 'fail' }); }
        if (message instanceof Error) { throw message; }
        throw new AssertionError({ actual: actual, expected: expected, message: message, operator: operator });
    }

    function deepEqual(a, b, strict) {
        if (strict ? Object.is(a, b) : a == b) { return true; } // eslint-disable-line eqeqeq
        if (a instanceof Date && b instanceof Date) { return a.getTime() === b.getTime(); }
        if (a instanceof RegExp && b instanceof RegExp) { return String(a) === String(b); }
        if (!a || !b || typeof a !== 'object' || typeof b !== 'object') { return strict ? false : a == b; } // eslint-disable-line eqeqeq
        if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) { return false; }
        if (Array.isArray(a) !== Array.isArray(b)) { return false; }
        var ka = Object.keys(a), kb = Object.keys(b);
        if (ka.length !== kb.length) { return false; }
        return ka.every(function (k) { return Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k], strict); });
    }

    function build(strict) {
        var assert = function ok(value, message) { if (!value) { fail(value, true, message, '=='); } };
        assert.ok = assert;
        assert.AssertionError = AssertionError;
        assert.fail = fail;
        assert.equal = function (a, b, m) { if (a != b) { fail(a, b, m, '=='); } }; // eslint-disable-line eqeqeq
        assert.notEqual = function (a, b, m) { if (a == b) { fail(a, b, m, '!='); } }; // eslint-disable-line eqeqeq
        assert.strictEqual = function (a, b, m) { if (!Object.is(a, b)) { fail(a, b, m, 'strictEqual'); } };
        assert.notStrictEqual = function (a, b, m) { if (Object.is(a, b)) { fail(a, b, m, 'notStrictEqual'); } };
        assert.deepEqual = function (a, b, m) { if (!deepEqual(a, b, false)) { fail(a, b, m, 'deepEqual'); } };
        assert.notDeepEqual = function (a, b, m) { if (deepEqual(a, b, false)) { fail(a, b, m, 'notDeepEqual'); } };
        assert.deepStrictEqual = function (a, b, m) { if (!deepEqual(a, b, true)) { fail(a, b, m, 'deepStrictEqual'); } };
        assert.notDeepStrictEqual = function (a, b, m) { if (deepEqual(a, b, true)) { fail(a, b, m, 'notDeepStrictEqual'); } };
        assert.match = function (s, re, m) { if (!re.test(s)) { fail(s, re, m, 'match'); } };
        assert.throws = function (fn, expected, m) {
            try { fn(); } catch (e) {
                if (typeof expected === 'function' && expected.prototype !== undefined && !(e instanceof expected)) { throw e; }
                if (expected instanceof RegExp && !expected.test(String(e))) { throw e; }
                return;
            }
            fail(undefined, expected, 'Missing expected exception.' + (typeof m === 'string' ? ' ' + m : ''), 'throws');
        };
        assert.doesNotThrow = function (fn, m) {
            try { fn(); } catch (e) { fail(e, undefined, 'Got unwanted exception.' + (typeof m === 'string' ? ' ' + m : ''), 'doesNotThrow'); }
        };
        assert.ifError = function (e) { if (e) { throw e; } };
        if (strict) {
            assert.equal = assert.strictEqual;
            assert.notEqual = assert.notStrictEqual;
            assert.deepEqual = assert.deepStrictEqual;
            assert.notDeepEqual = assert.notDeepStrictEqual;
        }
        return assert;
    }
    sm.assertModule = build(false);
    sm.assertModule.strict = build(true);
    sm.assertModule.strict.strict = sm.assertModule.strict;

    function v1() {
        var hex = (Date.now() * 10000 + 122192928000000000).toString(16).padStart(15, '0');
        var rnd = sm.uuid4();
        return hex.slice(7, 15) + '-' + hex.slice(3, 7) + '-1' + hex.slice(0, 3) + rnd.slice(18);
    }
    var uuid = function () { return sm.uuid4(); };
    uuid.v4 = uuid;
    uuid.v1 = v1;
    sm.uuidModule = uuid;

    var ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };
    function decode(s) {
        return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, function (m, e) {
            if (e[0] === '#') { return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)); }
            return Object.prototype.hasOwnProperty.call(ENTITIES, e) ? ENTITIES[e] : m;
        });
    }

    // Parses XML into xml2js's shape: attributes under `$`, text under `_` (or the element is the
    // text itself when it has nothing else), children by name (always arrays with explicitArray).
    function parse(xml, opts) {
        var explicitArray = opts.explicitArray !== false;
        var trim = !!opts.trim;
        var s = String(xml);
        var pos = 0;
        var stack = [];
        var root = null;
        var rootName = null;
        function addText(text, cdata) {
            if (!stack.length) {
                if (/\S/.test(text)) { throw new Error(root === null ? 'Non-whitespace before first tag.' : 'Text data outside of root node.'); }
                return;
            }
            var t = trim && !cdata ? text.trim() : text;
            if (trim && !cdata && !t) { return; }
            var top = stack[stack.length - 1];
            top.text += t;
            top.cdata = top.cdata || cdata;
        }
        function close() {
            var node = stack.pop();
            var obj = node.obj;
            var empty = '';
            if (/^\s*$/.test(node.text) && !node.cdata) { empty = node.text; } else { obj._ = trim ? node.text.trim() : node.text; }
            var keys = Object.keys(obj);
            var value = obj;
            if (!keys.length) { value = empty; } else if (keys.length === 1 && keys[0] === '_') { value = obj._; }
            if (!stack.length) { root = value; rootName = node.name; return; }
            var parent = stack[stack.length - 1].obj;
            if (explicitArray) {
                (parent[node.name] = parent[node.name] || []).push(value);
            } else if (!Object.prototype.hasOwnProperty.call(parent, node.name)) {
                parent[node.name] = value;
            } else {
                if (!Array.isArray(parent[node.name])) { parent[node.name] = [parent[node.name]]; }
                parent[node.name].push(value);
            }
        }
        while (pos < s.length) {
            var lt = s.indexOf('<', pos);
            if (lt < 0) { addText(decode(s.slice(pos)), false); break; }
            if (lt > pos) { addText(decode(s.slice(pos, lt)), false); }
            if (s.startsWith('<!--', lt)) { pos = end(s.indexOf('-->', lt), 3); continue; }
            if (s.startsWith('<![CDATA[', lt)) {
                var ce = s.indexOf(']]>', lt);
                if (ce < 0) { throw new Error('Unclosed CDATA section'); }
                addText(s.slice(lt + 9, ce), true);
                pos = ce + 3;
                continue;
            }
            if (s.startsWith('<?', lt)) { pos = end(s.indexOf('?>', lt), 2); continue; }
            if (s.startsWith('<!', lt)) { pos = end(s.indexOf('>', lt), 1); continue; }
            var gt = s.indexOf('>', lt);
            if (gt < 0) { throw new Error('Unclosed tag at position ' + lt); }
            var tag = s.slice(lt + 1, gt);
            pos = gt + 1;
            if (tag[0] === '/') {
                var name = tag.slice(1).trim();
                if (!stack.length || stack[stack.length - 1].name !== name) { throw new Error('Unexpected close tag: ' + name); }
                close();
                continue;
            }
            var selfClosing = /\/\s*$/.test(tag);
            if (selfClosing) { tag = tag.replace(/\/\s*$/, ''); }
            var m = /^([^\s/>]+)/.exec(tag);
            if (!m) { throw new Error('Invalid tag at position ' + lt); }
            var node = { name: m[1], obj: {}, text: '', cdata: false };
            var attrRe = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
            var a;
            var attrs = null;
            var rest = tag.slice(m[1].length);
            while ((a = attrRe.exec(rest)) !== null) {
                attrs = attrs || {};
                attrs[a[1]] = decode(a[3] !== undefined ? a[3] : a[4]);
            }
            if (attrs && !opts.ignoreAttrs) { node.obj.$ = attrs; }
            stack.push(node);
            if (selfClosing) { close(); }
        }
        if (stack.length) { throw new Error('Unclosed root tag'); }
        if (rootName === null) { throw new Error('Unexpected end of input: no root element'); }
        var out = {};
        out[rootName] = root;
        return out;
        function end(at, len) {
            if (at < 0) { throw new Error('Unexpected end of input'); }
            return at + len;
        }
    }

    function parseString(xml, opts, cb) {
        if (typeof opts === 'function') { cb = opts; opts = {}; }
        var result;
        try { result = parse(xml, opts || {}); } catch (e) { cb(e); return; }
        cb(null, result);
    }
    function Parser(opts) { this.opts = opts || {}; }
    Parser.prototype.parseString = function (xml, cb) { parseString(xml, this.opts, cb); };
    Parser.prototype.parseStringPromise = function (xml) {
        var opts = this.opts;
        return new Promise(function (resolve, reject) { parseString(xml, opts, function (e, r) { if (e) { reject(e); } else { resolve(r); } }); });
    };
    sm.xml2js = {
        parseString: parseString,
        parseStringPromise: function (xml, opts) { return new Parser(opts).parseStringPromise(xml); },
        Parser: Parser
    };

    // Postman's `xml2Json`: xml2js with explicitArray off and trimming on; a parse error gives {}.
    sm.xml2Json = function xml2Json(xml) {
        var out = {};
        parseString(xml, { explicitArray: false, trim: true }, function (e, r) { if (!e) { out = r; } });
        return out;
    };
}(globalThis));
