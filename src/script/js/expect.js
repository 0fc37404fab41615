// `pm.expect` and the `to` of `pm.response` / `pm.request`: the commonest chains, decided without
// chai. A chain's words are followed by light objects; an assertion it knows (`eql`, `a('string')`,
// `empty`, `have.property('id')`, `have.status(200)`, ...) is decided here when the answer is
// certain and it passes. Anything else (an unknown word, a flag such as `own`, an argument of an
// unusual kind) and every assertion that fails is replayed through chai 4.3.8 itself, with
// chai-postman's plugin, from the start of the chain: messages, errors and chai's check of
// misspelt words (`to.be.tru`) are chai's own. Measured per chain in QuickJS: `pm.expect('a').to
// .be.a('string').and.not.empty` 78 us with chai, under 3 us here; a run whose assertions all
// pass this way never loads chai.
(function (g) {
    'use strict';

    var sm = g.__sm;

    // chai's language chains: they only read well.
    var WORDS = Object.create(null);
    ['to', 'be', 'been', 'is', 'and', 'has', 'have', 'with', 'that', 'which', 'at', 'of', 'same', 'but',
        'does', 'still', 'also'].forEach(function (w) { WORDS[w] = true; });

    // chai's `_.type(v).toLowerCase()` (type-detect) where it is certain, else undefined.
    function typeOf(v) {
        var t = typeof v;
        if (t !== 'object') { return t; }
        if (v === null) { return 'null'; }
        if (v === g || Symbol.toStringTag in v) { return undefined; }
        if (Array.isArray(v)) { return 'array'; }
        return Object.getPrototypeOf(v) === Object.prototype ? 'object' : undefined;
    }

    // Enumerable keys as deep-eql reads them (for..in), or undefined when symbols are involved.
    function keysOf(o) {
        if (Object.getOwnPropertySymbols(o).length) { return undefined; }
        var keys = [];
        for (var k in o) { keys.push(k); }
        return keys;
    }

    // deep-eql on arrays, plain objects and primitives; undefined for anything else.
    function eql(a, b, depth) {
        if (a === b) { return a !== 0 || 1 / a === 1 / b; }
        if (a !== a && b !== b) { return true; }
        if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') { return false; }
        if (depth > 64) { return undefined; }
        var ta = typeOf(a), tb = typeOf(b), i, r;
        if (ta === undefined || tb === undefined) { return undefined; }
        if (ta !== tb) { return false; }
        if (ta === 'array') {
            if (a.length !== b.length) { return false; }
            for (i = 0; i < a.length; i++) {
                r = eql(a[i], b[i], depth + 1);
                if (r !== true) { return r; }
            }
            return true;
        }
        var ka = keysOf(a), kb = keysOf(b);
        if (ka === undefined || kb === undefined) { return undefined; }
        if (ka.length !== kb.length) { return false; }
        ka.sort();
        kb.sort();
        for (i = 0; i < ka.length; i++) {
            if (ka[i] !== kb[i]) { return false; }
        }
        for (i = 0; i < ka.length; i++) {
            r = eql(a[ka[i]], b[ka[i]], depth + 1);
            if (r !== true) { return r; }
        }
        return true;
    }

    function isPrimitive(v) { return v === null || (typeof v !== 'object' && typeof v !== 'function'); }
    function isResponse(v) { return v instanceof sm.Response; }

    // A chain's flags, as bits of its `$flags`.
    var NEGATE = 1, DEEP = 2, CONTAINS = 4, LENGTH = 8;

    // Flags, as chai sets them.
    var FLAGS = {
        not: function (c) { c.$flags |= NEGATE; },
        deep: function (c) { c.$flags |= DEEP; }
    };

    // Property assertions: true or false when certain, else undefined.
    var PROPERTIES = {
        ok: function (c) { return isResponse(c.$obj) ? undefined : !!c.$obj; },
        true: function (c) { return c.$obj === true; },
        false: function (c) { return c.$obj === false; },
        null: function (c) { return c.$obj === null; },
        undefined: function (c) { return c.$obj === undefined; },
        exist: function (c) { return c.$obj !== null && c.$obj !== undefined; },
        exists: function (c) { return c.$obj !== null && c.$obj !== undefined; },
        empty: function (c) {
            var t = typeOf(c.$obj);
            if (t === 'array' || t === 'string') { return c.$obj.length === 0; }
            return t === 'object' ? Object.keys(c.$obj).length === 0 : undefined;
        }
    };

    function compare(test) {
        return function (c, args) {
            var n = args[0];
            return !flagged(c, LENGTH) && typeof c.$obj === 'number' && typeof n === 'number' ? test(c.$obj, n) : undefined;
        };
    }
    function same(c, args) { return flagged(c, DEEP) ? eql(args[0], c.$obj, 0) : args[0] === c.$obj; }
    function deepSame(c, args) { return eql(args[0], c.$obj, 0); }
    function match(c, args) {
        var re = args[0];
        return re instanceof RegExp && !re.global && !re.sticky && typeof c.$obj === 'string' ? re.exec(c.$obj) !== null : undefined;
    }
    var above = compare(function (a, n) { return a > n; });
    var least = compare(function (a, n) { return a >= n; });
    var below = compare(function (a, n) { return a < n; });
    var most = compare(function (a, n) { return a <= n; });

    // Method assertions: the verdict, and what a passing one changes in the chain.
    var METHODS = {
        eql: deepSame, eqls: deepSame, equal: same, equals: same, eq: same,
        above: above, gt: above, greaterThan: above,
        least: least, gte: least, greaterThanOrEqual: least,
        below: below, lt: below, lessThan: below,
        most: most, lte: most, lessThanOrEqual: most,
        match: match, matches: match,
        oneOf: function (c, args) {
            var list = args[0];
            return !flagged(c, DEEP) && !flagged(c, CONTAINS) && typeOf(list) === 'array' ? list.indexOf(c.$obj) > -1 : undefined;
        },
        property: function (c, args) {
            var o = c.$obj, name = args[0];
            if (typeof name !== 'string' || o === null || typeof o !== 'object') { return undefined; }
            var has = name in o;
            if (args.length < 2) { return has; }
            if (!has) { return false; }
            return flagged(c, DEEP) ? eql(args[1], o[name], 0) : args[1] === o[name];
        },
        // chai-postman's, on a response.
        status: function (c, args) {
            return isResponse(c.$obj) && typeof args[0] === 'number' ? c.$obj.code === args[0] : undefined;
        },
        header: function (c, args) {
            var o = c.$obj;
            if (!isResponse(o) || (flagged(c, NEGATE) && args.length > 1)) { return undefined; }
            var has = o.headers.has(args[0]);
            return args.length < 2 ? has : has && o.headers.one(args[0]).value === args[1];
        }
    };
    var CHANGES = {
        property: function (c, args) { c.$obj = c.$obj[args[0]]; }
    };

    function a(c, args) {
        var t = typeOf(c.$obj);
        return typeof args[0] === 'string' && t !== undefined ? args[0].toLowerCase() === t : undefined;
    }
    function include(c, args) {
        var o = c.$obj, v = args[0];
        if (flagged(c, DEEP)) { return undefined; }
        if (typeof o === 'string' && typeof v === 'string') { return o.indexOf(v) !== -1; }
        return typeOf(o) === 'array' && isPrimitive(v) ? o.indexOf(v) !== -1 : undefined;
    }
    function length(c, args) {
        var o = c.$obj, t = typeOf(o);
        return (t === 'array' || t === 'string') && typeof args[0] === 'number' ? o.length === args[0] : undefined;
    }
    function contains(c) { c.$flags |= CONTAINS; }
    function counts(c) { c.$flags |= LENGTH; }

    // Chainable methods (`a('string')`, or `include.members(...)`), with their chaining flags.
    var CHAINABLE = {
        a: [a], an: [a],
        include: [include, contains], includes: [include, contains],
        contain: [include, contains], contains: [include, contains],
        length: [length, counts], lengthOf: [length, counts]
    };

    // One assertion of a chain, as chai's `Assertion` with its flags. chai applies a flag or a
    // method to the assertion it is read from and then hands on a copy; so does this, and the
    // steps that changed it are kept to replay on chai.
    function chainFrom(from) {
        // A literal defines its fields without looking them up along the prototype chain, which
        // ends in a proxy (below): assignments to new fields would each go through it.
        return { __proto__: CHAIN, $root: from.$root, $obj: from.$obj, $flags: from.$flags, $steps: from.$steps };
    }
    function flagged(c, flag) { return (c.$flags & flag) !== 0; }

    function record(c, step) { c.$steps = { prev: c.$steps, step: step }; }

    // chai's assertion for the chain so far, replayed from its start.
    function real(c) {
        var list = [];
        for (var s = c.$steps; s; s = s.prev) { list.push(s.step); }
        var assertion = sm.chai().expect(c.$root.origin, c.$root.message);
        for (var i = list.length - 1; i >= 0; i--) {
            var st = list[i];
            if (st.args) {
                assertion = assertion[st.name].apply(assertion, st.args);
            } else if (st.touch) {
                // Reading a chainable sets its flag on the assertion it is read from.
                void assertion[st.name];
            } else {
                assertion = assertion[st.name];
            }
        }
        return assertion;
    }

    // A method of the chain: decided here when it passes for certain, else by chai.
    function method(c, name, decide, change) {
        return function () {
            var args = [];
            for (var i = 0; i < arguments.length; i++) { args.push(arguments[i]); }
            var verdict = this === c ? decide(c, args) : undefined;
            if (verdict === undefined || verdict === flagged(c, NEGATE)) {
                var assertion = real(c);
                return assertion[name].apply(this === c ? assertion : this, args);
            }
            record(c, { name: name, args: args });
            if (change) { change(c, args); }
            return chainFrom(c);
        };
    }

    // A chain's known words are getters of its prototype `CHAIN`; anything else (a misspelt word,
    // chai's own members, a symbol) falls through to a proxy behind it, which asks chai. Getters
    // cost a fraction of a proxy's trap for every word, and of a proxy for every chain.
    var CHAIN = Object.create(new Proxy({}, {
        get: function (target, name, chain) { return real(chain)[name]; }
    }));
    function getter(name, get) {
        Object.defineProperty(CHAIN, name, { get: get, configurable: true });
    }
    Object.keys(WORDS).forEach(function (name) {
        getter(name, function () { return chainFrom(this); });
    });
    Object.keys(FLAGS).forEach(function (name) {
        getter(name, function () {
            record(this, { name: name });
            FLAGS[name](this);
            return chainFrom(this);
        });
    });
    Object.keys(PROPERTIES).forEach(function (name) {
        getter(name, function () {
            var verdict = PROPERTIES[name](this);
            if (verdict === undefined || verdict === flagged(this, NEGATE)) { return real(this)[name]; }
            return chainFrom(this);
        });
    });
    Object.keys(METHODS).forEach(function (name) {
        getter(name, function () { return method(this, name, METHODS[name], CHANGES[name]); });
    });
    Object.keys(CHAINABLE).forEach(function (name) {
        var chainable = CHAINABLE[name];
        getter(name, function () {
            var c = this;
            if (chainable[1]) {
                record(c, { name: name, touch: true });
                chainable[1](c);
            }
            // Anything read from the chainable itself (`include.members`) is chai's.
            return new Proxy(method(c, name, chainable[0], null), {
                get: function (f, key) { return real(c)[name][key]; }
            });
        });
    });

    // Set when a script takes chai itself (`require('chai')`): it may add plugins or change chai's
    // configuration, which only chai can honour from then on.
    sm.chaiTaken = false;

    // `pm.expect`.
    function expect(value, message) {
        if (sm.chaiTaken) {
            return sm.chai().expect(value, message);
        }
        return chainFrom({ $root: { origin: value, message: message }, $obj: value, $flags: 0, $steps: null });
    }
    expect.fail = function () {
        var e = sm.chai().expect;
        return e.fail.apply(e, arguments);
    };
    sm.expect = expect;
}(globalThis));
