// The native-prototype extensions of Sugar 1.x that Postman's legacy sandbox installs (scripts
// such as `responseBody.has("x")` or `[1, 2].average()` depend on them). Only methods the engine
// does not already have are added, and all of them are non-enumerable, as Sugar defines them.
(function (g) {
    'use strict';

    function extend(proto, methods) {
        Object.keys(methods).forEach(function (name) {
            if (!(name in proto)) {
                Object.defineProperty(proto, name, { value: methods[name], writable: true, configurable: true, enumerable: false });
            }
        });
    }

    function escapeRegExp(s) { return String(s).replace(/([\\/'*+?|()[\]{}.^$-])/g, '\\$1'); }

    // Sugar's matching: functions are called, regexps test strings, objects compare deeply.
    function equal(a, b) {
        if (a === b) { return true; }
        if (a && b && typeof a === 'object' && typeof b === 'object') {
            if (Array.isArray(a) !== Array.isArray(b)) { return false; }
            var ka = Object.keys(a), kb = Object.keys(b);
            return ka.length === kb.length && ka.every(function (k) { return equal(a[k], b[k]); });
        }
        return false;
    }
    function matcher(f) {
        if (typeof f === 'function') { return f; }
        if (f instanceof RegExp) { return function (el) { return typeof el === 'string' ? f.test(el) : equal(el, f); }; }
        return function (el) { return equal(el, f); };
    }
    function mapper(map) {
        if (typeof map === 'function') { return map; }
        if (map === undefined) { return function (el) { return el; }; }
        return function (el) { return el == null ? el : el[map]; };
    }

    extend(String.prototype, {
        has: function (find) { return this.search(find instanceof RegExp ? find : escapeRegExp(find)) !== -1; },
        underscore: function () {
            return String(this).replace(/[-\s]+/g, '_').replace(/([A-Z\d]+)([A-Z][a-z])/g, '$1_$2')
                .replace(/([a-z\d])([A-Z])/g, '$1_$2').toLowerCase();
        },
        dasherize: function () { return this.underscore().replace(/_/g, '-'); },
        spacify: function () { return this.underscore().replace(/_/g, ' '); },
        camelize: function (first) {
            var s = this.underscore().replace(/_+(.)?/g, function (m, c) { return c ? c.toUpperCase() : ''; });
            return first === false ? s : s.charAt(0).toUpperCase() + s.slice(1);
        },
        capitalize: function (all) {
            var lower = String(this).toLowerCase();
            return all ? lower.replace(/(^|[^\w'])(\w)/g, function (m, p, c) { return p + c.toUpperCase(); })
                : lower.charAt(0).toUpperCase() + lower.slice(1);
        },
        titleize: function () { return this.spacify().capitalize(true); },
        shift: function (n) {
            return String(this).split('').map(function (c) { return String.fromCharCode(c.charCodeAt(0) + n); }).join('');
        },
        chars: function () { return String(this).split(''); },
        words: function () { return String(this).trim().split(/\s+/).filter(Boolean); },
        lines: function () { return String(this).trim().split(/\r?\n/); },
        first: function (n) { return String(this).slice(0, n === undefined ? 1 : n); },
        last: function (n) { var s = String(this); n = n === undefined ? 1 : n; return n >= s.length ? s : s.slice(s.length - n); },
        from: function (i) { return String(this).slice(i || 0); },
        to: function (i) { return String(this).slice(0, i === undefined ? this.length : i); },
        isBlank: function () { return String(this).trim().length === 0; },
        compact: function () { return String(this).trim().replace(/\s+/g, ' '); },
        reverse: function () { return String(this).split('').reverse().join(''); },
        escapeRegExp: function () { return escapeRegExp(this); },
        escapeURL: function (param) { return param ? encodeURIComponent(this) : encodeURI(this); },
        unescapeURL: function (param) { return param ? decodeURI(this) : decodeURIComponent(this); },
        stripTags: function () { return String(this).replace(/<\/?[^>]*>/g, ''); },
        toNumber: function (base) { return base ? parseInt(this, base) : parseFloat(this); },
        remove: function (f) { return String(this).replace(f instanceof RegExp ? f : escapeRegExp(f), ''); },
        add: function (s, i) { var t = String(this); i = i === undefined ? t.length : i; return t.slice(0, i) + s + t.slice(i); }
    });

    extend(Array.prototype, {
        any: function (f) { return this.some(matcher(f)); },
        none: function (f) { return !this.some(matcher(f)); },
        all: function (f) { return this.every(matcher(f)); },
        count: function (f) { return f === undefined ? this.length : this.filter(matcher(f)).length; },
        findAll: function (f) { return this.filter(matcher(f)); },
        sum: function (map) { var m = mapper(map); return this.reduce(function (a, el) { return a + m(el); }, 0); },
        average: function (map) { return this.length ? this.sum(map) / this.length : 0; },
        min: function (map) { var m = mapper(map); return this.reduce(function (a, el) { return a === undefined || m(el) < m(a) ? el : a; }, undefined); },
        max: function (map) { var m = mapper(map); return this.reduce(function (a, el) { return a === undefined || m(el) > m(a) ? el : a; }, undefined); },
        first: function (n) { return n === undefined ? this[0] : this.slice(0, n); },
        last: function (n) { return n === undefined ? this[this.length - 1] : this.slice(Math.max(this.length - n, 0)); },
        from: function (i) { return this.slice(i || 0); },
        to: function (i) { return this.slice(0, i === undefined ? this.length : i); },
        unique: function (map) {
            var m = mapper(map), seen = [];
            return this.filter(function (el) {
                var key = m(el);
                if (seen.some(function (s) { return equal(s, key); })) { return false; }
                seen.push(key);
                return true;
            });
        },
        flatten: function (limit) {
            var depth = limit === undefined ? Infinity : limit;
            var walk = function (arr, d) {
                return arr.reduce(function (a, el) { return a.concat(Array.isArray(el) && d > 0 ? walk(el, d - 1) : [el]); }, []);
            };
            return walk(this, depth);
        },
        compact: function (all) { return this.filter(function (el) { return all ? !!el : el != null && !(typeof el === 'number' && isNaN(el)); }); },
        include: function (f) { return this.some(matcher(f)); },
        exclude: function (f) { var m = matcher(f); return this.filter(function (el) { return !m(el); }); },
        remove: function (f) {
            var m = matcher(f);
            for (var i = this.length - 1; i >= 0; i--) { if (m(this[i])) { this.splice(i, 1); } }
            return this;
        },
        clone: function () { return this.slice(); },
        isEmpty: function () { return this.compact().length === 0; },
        sortBy: function (map, desc) {
            var m = mapper(map);
            return this.slice().sort(function (a, b) { var x = m(a), y = m(b); var r = x < y ? -1 : x > y ? 1 : 0; return desc ? -r : r; });
        },
        groupBy: function (map) {
            var m = mapper(map), out = {};
            this.forEach(function (el) { var k = m(el); (out[k] = out[k] || []).push(el); });
            return out;
        },
        union: function () { return Array.prototype.concat.apply(this, arguments).unique(); },
        intersect: function (other) { var o = [].concat(other); return this.unique().filter(function (el) { return o.any(el); }); },
        subtract: function (other) { var o = [].concat(other); return this.filter(function (el) { return !o.any(el); }); }
    });

    extend(Number.prototype, {
        hex: function (pad) { var s = this.toString(16); return pad ? s.padStart(pad, '0') : s; },
        isEven: function () { return this % 2 === 0; },
        isOdd: function () { return Math.abs(this % 2) === 1; },
        isMultipleOf: function (n) { return this % n === 0; },
        ordinalize: function () {
            var n = Math.abs(Math.floor(this)), last = n % 100, suffix = 'th';
            if (last < 11 || last > 13) { suffix = ['th', 'st', 'nd', 'rd'][n % 10] || 'th'; }
            return String(this) + suffix;
        },
        format: function (place, thousands, decimal) {
            var n = place === undefined ? Math.abs(this) : Math.abs(Math.round(this * Math.pow(10, place)) / Math.pow(10, place));
            var parts = (place === undefined ? String(n) : n.toFixed(Math.max(place, 0))).split('.');
            var int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, thousands === undefined ? ',' : thousands);
            return (this < 0 ? '-' : '') + int + (parts[1] ? (decimal === undefined ? '.' : decimal) + parts[1] : '');
        },
        pad: function (place, sign, base) {
            var s = Math.abs(this).toString(base || 10).padStart(place || 0, '0');
            return (this < 0 ? '-' : sign ? '+' : '') + s;
        },
        times: function (fn) { for (var i = 0; i < this; i++) { fn.call(this, i); } return Number(this); },
        upto: function (n, fn) { var out = []; for (var i = Number(this); i <= n; i++) { out.push(fn ? fn(i) : i); } return out; },
        downto: function (n, fn) { var out = []; for (var i = Number(this); i >= n; i--) { out.push(fn ? fn(i) : i); } return out; },
        chr: function () { return String.fromCharCode(this); },
        abs: function () { return Math.abs(this); },
        round: function (p) { var f = Math.pow(10, p || 0); return Math.round(this * f) / f; },
        ceil: function (p) { var f = Math.pow(10, p || 0); return Math.ceil(this * f) / f; },
        floor: function (p) { var f = Math.pow(10, p || 0); return Math.floor(this * f) / f; }
    });

    extend(Function.prototype, {
        once: function () {
            var fn = this, done = false, result;
            return function () {
                if (!done) { done = true; result = fn.apply(this, arguments); }
                return result;
            };
        },
        after: function (n) {
            var fn = this, calls = 0;
            return function () { calls += 1; return calls >= n ? fn.apply(this, arguments) : undefined; };
        }
    });

    ['Array', 'Boolean', 'Date', 'Function', 'Number', 'RegExp', 'String'].forEach(function (type) {
        extend(Object, (function () {
            var o = {};
            o['is' + type] = function (v) { return Object.prototype.toString.call(v) === '[object ' + type + ']'; };
            return o;
        }()));
    });
    extend(Object, {
        isObject: function (v) { return Object.prototype.toString.call(v) === '[object Object]'; },
        has: function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
    });
}(globalThis));
