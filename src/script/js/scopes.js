// Variable scopes (`pm.environment`, `pm.collectionVariables`, `pm.globals`, `pm.iterationData`,
// `pm.variables`) and Postman's `{{name}}` substitution.
(function (g) {
    'use strict';

    var sm = g.__sm;

    function uuid4() {
        var h = '0123456789abcdef';
        var s = '';
        for (var i = 0; i < 36; i++) {
            if (i === 8 || i === 13 || i === 18 || i === 23) { s += '-'; } else if (i === 14) { s += '4'; } else if (i === 19) { s += h[8 + Math.floor(Math.random() * 4)]; } else { s += h[Math.floor(Math.random() * 16)]; }
        }
        return s;
    }
    sm.uuid4 = uuid4;

    var dynamic = {
        $guid: uuid4,
        $randomUUID: uuid4,
        $timestamp: function () { return String(Math.floor(Date.now() / 1000)); },
        $isoTimestamp: function () { return new Date().toISOString(); },
        $randomInt: function () { return String(Math.floor(Math.random() * 1001)); }
    };

    // Replaces `{{name}}` with `lookup(name)` until nothing changes (Postman allows nesting up to
    // 19 levels); unknown names stay as written.
    function substitute(text, lookup) {
        if (typeof text !== 'string') { return text; }
        var out = text;
        for (var depth = 0; depth < 19; depth++) {
            var changed = false;
            out = out.replace(/\{\{([^{}]*?)\}\}/g, function (m, name) {
                var v = lookup(name);
                if (v === undefined && Object.prototype.hasOwnProperty.call(dynamic, name)) { v = dynamic[name](); }
                if (v === undefined) { return m; }
                changed = true;
                return v === null ? 'null' : (typeof v === 'object' ? JSON.stringify(v) : String(v));
            });
            if (!changed) { break; }
        }
        return out;
    }
    sm.substitute = substitute;

    // A read-only list of `{key, value, type}` with the PropertyList methods collections use.
    function VarList(scope) { this._scope = scope; }
    VarList.prototype = {
        all: function () {
            var out = [];
            this._scope._map.forEach(function (value, key) { out.push({ key: key, value: value, type: 'any' }); });
            return out;
        },
        map: function (fn, ctx) { return this.all().map(fn, ctx); },
        each: function (fn, ctx) { this.all().forEach(fn, ctx); },
        filter: function (fn, ctx) { return this.all().filter(fn, ctx); },
        find: function (fn, ctx) { return this.all().find(fn, ctx); },
        reduce: function (fn, acc) { return this.all().reduce(fn, acc); },
        count: function () { return this._scope._map.size; },
        idx: function (i) { return this.all()[i]; },
        one: function (key) { return this.all().find(function (v) { return v.key === key; }); },
        get: function (key) { return this._scope.get(key); },
        has: function (key) { return this._scope.has(key); },
        toObject: function () { return this._scope.toObject(); },
        toJSON: function () { return this.all(); }
    };
    Object.defineProperty(VarList.prototype, 'length', { get: function () { return this._scope._map.size; } });

    // One variable scope backed by an insertion-ordered Map; `set` on an existing key keeps its place.
    function Scope(entries, name) {
        this._map = new Map(entries);
        if (name !== undefined) { this.name = name; }
    }
    Scope.prototype = {
        get: function (key) { return this._map.get(key); },
        set: function (key, value) {
            if (key !== null && typeof key === 'object') {
                var self = this;
                Object.keys(key).forEach(function (k) { self._map.set(k, key[k]); self._log(['s', k, key[k]]); });
                this._dirty = true;
                return;
            }
            this._map.set(String(key), value);
            this._log(['s', String(key), value]);
            this._dirty = true;
        },
        has: function (key) { return this._map.has(key); },
        unset: function (key) {
            if (this._map.delete(key)) {
                this._log(['u', key]);
                this._dirty = true;
            }
        },
        clear: function () {
            if (this._map.size > 0) {
                this._log(['c']);
                this._dirty = true;
            }
            this._map.clear();
        },
        // Records a change, until there are more changes than entries (then `changed` sends all).
        _log: function (op) {
            if (!this._ops) { this._ops = []; }
            if (this._ops === 'all') { return; }
            this._ops.push(op);
            if (this._ops.length > 32 && this._ops.length > this._map.size) { this._ops = 'all'; }
        },
        toObject: function () {
            var o = {};
            this._map.forEach(function (v, k) { o[k] = v; });
            return o;
        },
        replaceIn: function (text) {
            var self = this;
            return substitute(text, function (k) { return self._map.get(k); });
        },
        toJSON: function () { return { values: this.values.all() }; },
        // What a script changed, else null (the caller keeps its own copy): the changes in order
        // (`['s', key, value]`, `['u', key]`, `['c']`), or every entry after many changes.
        changed: function () {
            if (!this._dirty) { return null; }
            if (this._ops === 'all') { return { entries: this.entries() }; }
            return {
                ops: this._ops.map(function (op) { return op.length === 3 && op[2] === undefined ? [op[0], op[1], null] : op; })
            };
        },
        entries: function () {
            var out = [];
            this._map.forEach(function (v, k) { out.push([k, v === undefined ? null : v]); });
            return out;
        }
    };
    Object.defineProperty(Scope.prototype, 'values', { get: function () { return new VarList(this); } });
    sm.Scope = Scope;

    // `pm.variables`: reads through every layer (local > data > environment > collection > globals),
    // writes to the local layer.
    function Variables(layers) { this._layers = layers; }
    Variables.prototype = {
        get: function (key) {
            for (var i = 0; i < this._layers.length; i++) {
                if (this._layers[i].has(key)) { return this._layers[i].get(key); }
            }
            return undefined;
        },
        set: function (key, value) { this._layers[0].set(key, value); },
        has: function (key) { return this._layers.some(function (l) { return l.has(key); }); },
        unset: function (key) { this._layers[0].unset(key); },
        clear: function () { this._layers[0].clear(); },
        toObject: function () {
            var o = {};
            for (var i = this._layers.length - 1; i >= 0; i--) { Object.assign(o, this._layers[i].toObject()); }
            return o;
        },
        replaceIn: function (text) {
            var self = this;
            return substitute(text, function (k) { return self.get(k); });
        }
    };
    sm.Variables = Variables;
}(globalThis));
