// `pm.request`: the Postman SDK's Request, Url, HeaderList, RequestBody and RequestAuth shapes,
// built from the request JSON and serialised back when a script changed them.
(function (g) {
    'use strict';

    var sm = g.__sm;

    // A PropertyList of `{key, value, disabled}` members; header lists match keys case-insensitively.
    function PList(items, caseless) {
        this._items = (items || []).filter(function (i) { return i && typeof i === 'object'; })
            .map(function (i) { return Object.assign({}, i); });
        this._caseless = !!caseless;
    }
    PList.prototype = {
        _same: function (a, b) {
            return this._caseless ? String(a).toLowerCase() === String(b).toLowerCase() : String(a) === String(b);
        },
        _norm: function (item, value) {
            if (typeof item === 'string') {
                if (value !== undefined) { return { key: item, value: value }; }
                var at = item.indexOf(':');
                return at < 0 ? { key: item.trim(), value: '' } : { key: item.slice(0, at).trim(), value: item.slice(at + 1).trim() };
            }
            return Object.assign({}, item);
        },
        one: function (key) {
            for (var i = this._items.length - 1; i >= 0; i--) {
                if (this._same(this._items[i].key, key)) { return this._items[i]; }
            }
            return undefined;
        },
        get: function (key) {
            var m = this.one(key);
            return m === undefined ? undefined : m.value;
        },
        has: function (key, value) {
            var self = this;
            if (key && typeof key === 'object') { value = key.value; key = key.key; }
            return this._items.some(function (i) { return self._same(i.key, key) && (value === undefined || i.value === value); });
        },
        add: function (item, value) { this._items.push(this._norm(item, value)); },
        append: function (item) { this.add(item); },
        prepend: function (item) { this._items.unshift(this._norm(item)); },
        upsert: function (item, value) {
            var n = this._norm(item, value);
            var existing = this.one(n.key);
            if (existing) { Object.assign(existing, n); } else { this._items.push(n); }
        },
        remove: function (predicate, ctx) {
            var self = this;
            var test = typeof predicate === 'function' ? function (i) { return predicate.call(ctx, i); } :
                function (i) { return self._same(i.key, predicate && typeof predicate === 'object' ? predicate.key : predicate); };
            this._items = this._items.filter(function (i) { return !test(i); });
        },
        clear: function () { this._items = []; },
        populate: function (items) { var self = this; (items || []).forEach(function (i) { self.add(i); }); },
        repopulate: function (items) { this.clear(); this.populate(items); },
        all: function () { return this._items.slice(); },
        count: function () { return this._items.length; },
        idx: function (i) { return this._items[i]; },
        indexOf: function (item) { return this._items.indexOf(item); },
        each: function (fn, ctx) { this._items.forEach(fn, ctx); },
        map: function (fn, ctx) { return this._items.map(fn, ctx); },
        filter: function (fn, ctx) { return this._items.filter(fn, ctx); },
        find: function (fn, ctx) { return this._items.find(fn, ctx); },
        reduce: function (fn, acc) { return this._items.reduce(fn, acc); },
        toObject: function (excludeDisabled, caseSensitive, multiValue) {
            var o = {};
            var self = this;
            this._items.forEach(function (i) {
                if (excludeDisabled && i.disabled) { return; }
                var k = self._caseless && !caseSensitive ? String(i.key).toLowerCase() : i.key;
                if (multiValue && Object.prototype.hasOwnProperty.call(o, k)) {
                    o[k] = [].concat(o[k], i.value);
                } else { o[k] = i.value; }
            });
            return o;
        },
        toString: function () {
            return this._items.filter(function (i) { return !i.disabled; })
                .map(function (i) { return i.key + ': ' + i.value; }).join('\n');
        },
        toJSON: function () { return this._items.map(function (i) { return Object.assign({}, i); }); }
    };
    Object.defineProperty(PList.prototype, 'members', { get: function () { return this._items; } });
    sm.PList = PList;

    function parseQuery(text) {
        if (!text) { return []; }
        return text.split('&').map(function (pair) {
            var at = pair.indexOf('=');
            return at < 0 ? { key: pair, value: null } : { key: pair.slice(0, at), value: pair.slice(at + 1) };
        });
    }

    function Url(input) { this.update(input); }
    Url.prototype = {
        update: function (input) {
            var o = input;
            if (typeof input === 'string' || !input) { o = Url.parse(typeof input === 'string' ? input : ''); }
            else if (input.host === undefined && input.path === undefined && typeof input.raw === 'string') {
                o = Object.assign(Url.parse(input.raw), { variable: input.variable });
            }
            this.protocol = o.protocol;
            this.auth = o.auth;
            this.host = typeof o.host === 'string' ? o.host.split('.') : o.host;
            this.port = o.port;
            this.path = typeof o.path === 'string' ? o.path.replace(/^\//, '').split('/') :
                (o.path || []).map(function (p) { return p && typeof p === 'object' ? p.value : p; });
            if (!o.path && this.host === undefined) { this.path = undefined; }
            this.hash = o.hash;
            this.query = new PList(o.query || []);
            this.variables = new PList(o.variable || []);
        },
        getHost: function () { return (this.host || []).join('.'); },
        // Path segments with `:name` variables replaced by their (string) values, as the SDK's
        // `getPath()` and `toString()` do; `unresolved` keeps them as written.
        _segments: function (unresolved) {
            var vars = this.variables;
            return (this.path || []).map(function (seg) {
                if (unresolved || typeof seg !== 'string' || seg.length < 2 || seg[0] !== ':') { return seg; }
                var v = vars.one(seg.slice(1));
                return v && typeof v.value === 'string' ? v.value : seg;
            });
        },
        getPath: function (unresolved) { return '/' + this._segments(unresolved).join('/'); },
        getQueryString: function () {
            return this.query.filter(function (q) { return !q.disabled; }).map(function (q) {
                return q.value === null || q.value === undefined ? q.key : q.key + '=' + q.value;
            }).join('&');
        },
        getPathWithQuery: function () {
            var q = this.getQueryString();
            return this.getPath() + (q ? '?' + q : '');
        },
        getRemote: function () { return this.getHost() + (this.port ? ':' + this.port : ''); },
        addQueryParams: function (params) {
            var self = this;
            (typeof params === 'string' ? parseQuery(params) : [].concat(params)).forEach(function (p) { self.query.add(p); });
        },
        removeQueryParams: function (keys) {
            var self = this;
            [].concat(keys).forEach(function (k) { self.query.remove(k && typeof k === 'object' ? k.key : k); });
        },
        toString: function () { return this._unparse(false); },
        _unparse: function (unresolved) {
            var s = '';
            if (this.protocol) { s += this.protocol + '://'; }
            if (this.auth && (this.auth.user || this.auth.password)) {
                s += (this.auth.user || '') + (this.auth.password ? ':' + this.auth.password : '') + '@';
            }
            s += this.getHost();
            if (this.port) { s += ':' + this.port; }
            if (this.path && this.path.length) { s += '/' + this._segments(unresolved).join('/'); }
            var q = this.getQueryString();
            if (q) { s += '?' + q; }
            if (this.hash) { s += '#' + this.hash; }
            return s;
        },
        toJSON: function () {
            var o = { raw: this._unparse(true) };
            if (this.protocol) { o.protocol = this.protocol; }
            if (this.auth) { o.auth = this.auth; }
            if (this.host) { o.host = this.host.slice(); }
            if (this.port) { o.port = this.port; }
            if (this.path) { o.path = this.path.slice(); }
            if (this.query.count()) { o.query = this.query.toJSON(); }
            if (this.hash) { o.hash = this.hash; }
            if (this.variables.count()) { o.variable = this.variables.toJSON(); }
            return o;
        }
    };
    Url.parse = function (raw) {
        var s = String(raw).trim();
        var o = {};
        var at = s.indexOf('#');
        if (at >= 0) { o.hash = s.slice(at + 1); s = s.slice(0, at); }
        at = s.indexOf('?');
        if (at >= 0) { o.query = parseQuery(s.slice(at + 1)); s = s.slice(0, at); }
        var m = /^([^:/?#]+):\/\//.exec(s);
        if (m) { o.protocol = m[1]; s = s.slice(m[0].length); }
        var slash = s.indexOf('/');
        var authority = slash < 0 ? s : s.slice(0, slash);
        var rest = slash < 0 ? undefined : s.slice(slash + 1);
        at = authority.lastIndexOf('@');
        if (at >= 0) {
            var cred = authority.slice(0, at);
            var colon = cred.indexOf(':');
            o.auth = colon < 0 ? { user: cred } : { user: cred.slice(0, colon), password: cred.slice(colon + 1) };
            authority = authority.slice(at + 1);
        }
        var port = /:(\d+|\{\{[^}]*\}\})$/.exec(authority);
        if (port) { o.port = port[1]; authority = authority.slice(0, port.index); }
        o.host = authority ? authority.split('.') : [];
        if (rest !== undefined) { o.path = rest.split('/'); }
        return o;
    };
    sm.Url = Url;

    function Body(o) { this.update(o || {}); }
    Body.prototype = {
        update: function (o) {
            if (typeof o === 'string') { o = { mode: 'raw', raw: o }; }
            var self = this;
            ['mode', 'raw', 'file', 'graphql', 'options', 'disabled'].forEach(function (k) {
                if (o[k] !== undefined) { self[k] = o[k]; } else { delete self[k]; }
            });
            this.urlencoded = o.urlencoded ? new PList(o.urlencoded) : undefined;
            this.formdata = o.formdata ? new PList(o.formdata) : undefined;
        },
        isEmpty: function () {
            var v = this.mode && this[this.mode];
            return !v || (typeof v === 'string' ? !v.length : v instanceof PList ? !v.count() : false);
        },
        toString: function () {
            if (this.mode === 'raw') { return this.raw || ''; }
            if (this.mode === 'urlencoded' && this.urlencoded) {
                return this.urlencoded.filter(function (p) { return !p.disabled; })
                    .map(function (p) { return p.key + '=' + (p.value === undefined ? '' : p.value); }).join('&');
            }
            return '';
        },
        toJSON: function () {
            var o = {};
            var self = this;
            ['mode', 'raw', 'file', 'graphql', 'options', 'disabled'].forEach(function (k) {
                if (self[k] !== undefined) { o[k] = self[k]; }
            });
            if (this.urlencoded) { o.urlencoded = this.urlencoded.toJSON(); }
            if (this.formdata) { o.formdata = this.formdata.toJSON(); }
            return o;
        }
    };

    // Auth parameters of one type, kept in the shape they came in (v2.1 list or v2.0 object).
    function Params(value) {
        this._asObject = value && !Array.isArray(value) && typeof value === 'object';
        var list = this._asObject ? Object.keys(value).map(function (k) { return { key: k, value: value[k] }; }) : (value || []);
        PList.call(this, list, false);
    }
    Params.prototype = Object.create(PList.prototype);
    Params.prototype.set = function (key, value) {
        if (key && typeof key === 'object') {
            var self = this;
            Object.keys(key).forEach(function (k) { self.set(k, key[k]); });
            return;
        }
        this.upsert({ key: key, value: value, type: 'string' });
    };
    Params.prototype.unset = function (key) { this.remove(key); };
    Params.prototype.toJSON = function () {
        if (this._asObject) { return this.toObject(); }
        return PList.prototype.toJSON.call(this);
    };

    function Auth(o) {
        var self = this;
        this.type = o.type;
        Object.keys(o).forEach(function (k) { if (k !== 'type') { self[k] = new Params(o[k]); } });
    }
    Auth.prototype = {
        parameters: function () { return this[this.type] || (this[this.type] = new Params([])); },
        use: function (type, options) {
            this.type = type;
            var p = this.parameters();
            if (options) { (Array.isArray(options) ? options : Object.keys(options).map(function (k) { return { key: k, value: options[k] }; })).forEach(function (i) { p.set(i.key, i.value); }); }
        },
        current: function () { return this.type; },
        toJSON: function () {
            var o = { type: this.type };
            var self = this;
            Object.keys(this).forEach(function (k) { if (self[k] instanceof Params) { o[k] = self[k].toJSON(); } });
            return o;
        }
    };

    function Request(o) {
        var src = o && typeof o === 'object' ? o : { url: typeof o === 'string' ? o : '' };
        this._src = src;
        this.url = new Url(src.url);
        this.method = String(src.method || 'GET').toUpperCase();
        this.headers = new PList(Array.isArray(src.header) ? src.header : parseHeaderString(src.header), true);
        this.body = src.body ? new Body(src.body) : undefined;
        this.auth = src.auth && typeof src.auth === 'object' ? new Auth(src.auth) : undefined;
        this._before = JSON.stringify(this._core());
    }
    function parseHeaderString(s) {
        if (typeof s !== 'string') { return []; }
        return s.split(/\r?\n/).filter(Boolean).map(function (line) { return PList.prototype._norm(line); });
    }
    Request.prototype = {
        addHeader: function (h, v) { this.headers.add(h, v); },
        upsertHeader: function (h, v) { this.headers.upsert(h, v); },
        removeHeader: function (h) { this.headers.remove(h && typeof h === 'object' ? h.key : h); },
        getHeaders: function (opts) {
            var o = {};
            this.headers.each(function (h) {
                if (opts && opts.enabled && h.disabled) { return; }
                var k = opts && opts.ignoreCase ? String(h.key).toLowerCase() : h.key;
                o[k] = Object.prototype.hasOwnProperty.call(o, k) ? [].concat(o[k], h.value) : h.value;
            });
            return o;
        },
        addQueryParams: function (p) { this.url.addQueryParams(p); },
        removeQueryParams: function (p) { this.url.removeQueryParams(p); },
        authorizeUsing: function (type, options) {
            if (type === null) { this.auth = undefined; return; }
            if (type && typeof type === 'object') { options = type[type.type]; type = type.type; }
            this.auth = this.auth || new Auth({ type: type });
            this.auth.use(type, options);
        },
        _core: function () {
            var o = { method: this.method, header: this.headers.toJSON(), url: this.url.toJSON() };
            if (this.body) { o.body = this.body.toJSON(); }
            if (this.auth) { o.auth = this.auth.toJSON(); }
            return o;
        },
        toJSON: function () { return Object.assign({}, this._src, this._core()); },
        // The serialised request when a script changed it, else null (the caller keeps its own).
        changed: function () {
            var core = this._core();
            return JSON.stringify(core) === this._before ? null : Object.assign({}, this._src, core);
        }
    };
    Object.defineProperty(Request.prototype, 'to', { get: function () { return sm.expect(this).to; } });
    sm.Request = Request;
}(globalThis));
