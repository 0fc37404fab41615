// The `pm` object and the legacy globals, set up by `__sm.begin(input)` before each script and
// collected by `__sm.end()` after it.
(function (g) {
    'use strict';

    var sm = g.__sm;
    var st;

    // QuickJS words some TypeErrors differently from V8 (Node), whose wording Newman reports.
    var V8_WORDING = [
        [/^cannot read property '(.*)' of (undefined|null)$/, 'Cannot read properties of $2 (reading \'$1\')'],
        [/^cannot set property '(.*)' of (undefined|null)$/, 'Cannot set properties of $2 (setting \'$1\')'],
        [/^unexpected token in expression: '(.*)'$/, 'Unexpected token \'$1\'']
    ];
    function v8Message(message) {
        for (var i = 0; i < V8_WORDING.length; i++) {
            if (V8_WORDING[i][0].test(message)) { return message.replace(V8_WORDING[i][0], V8_WORDING[i][1]); }
        }
        return message;
    }

    function errorOf(e) {
        if (e && typeof e === 'object') {
            return { name: String(e.name || 'Error'), message: v8Message(String(e.message === undefined ? e : e.message)) };
        }
        return { name: 'Error', message: String(e) };
    }
    // Name, message and stack of a thrown value, for script errors reported by Rust.
    sm.describe = function (e) {
        var d = errorOf(e);
        d.stack = e && typeof e === 'object' && typeof e.stack === 'string' ? e.stack : '';
        return JSON.stringify(d);
    };

    function record(name, skipped, err) {
        // [name, skipped, error]: positional, as `sm.end` hands everything back (see there).
        var e = err ? errorOf(err) : null;
        st.assertions.push([name, skipped, e && [e.name, e.message]]);
    }

    function test(name, fn) {
        var title = String(name);
        st.testCount++;
        if (typeof fn !== 'function') { record(title, false, null); return st.pm; }
        if (fn.length > 0) {
            var settled = false;
            var done = function (err) {
                if (settled) { return; }
                settled = true;
                record(title, false, err || null);
            };
            try { fn(done); } catch (e) { done(e); }
            return st.pm;
        }
        var result;
        try { result = fn(); } catch (e) { record(title, false, e); return st.pm; }
        if (result && typeof result.then === 'function') {
            result.then(function () { record(title, false, null); }, function (e) { record(title, false, e || new Error('rejected')); });
        } else { record(title, false, null); }
        return st.pm;
    }
    test.skip = function (name) {
        st.testCount++;
        record(String(name), true, null);
        return st.pm;
    };
    test.index = function () { return st.testCount; };

    function setNext(value) { st.next = { value: value === null || value === undefined ? null : String(value) }; }

    // Calls for the runner (`pm.sendRequest`, the cookie jar), answered through `deliver`.
    var calls = [];
    var callSeq = 0;
    var callbacks = {};
    function sendRequest(req, cb) {
        var id = ++callSeq;
        var json = typeof req === 'string' ? { url: req, method: 'GET' } :
            (req instanceof sm.Request ? req.toJSON() : Object.assign({}, req));
        if (json.header && !Array.isArray(json.header) && typeof json.header === 'object') {
            json.header = Object.keys(json.header).map(function (k) { return { key: k, value: json.header[k] }; });
        }
        if (json.url && typeof json.url === 'object' && json.url instanceof sm.Url) { json.url = json.url.toString(); }
        calls.push({ id: id, request: json });
        if (typeof cb === 'function') { callbacks[id] = cb; return undefined; }
        return new Promise(function (resolve, reject) {
            callbacks[id] = function (err, res) { if (err) { reject(err); } else { resolve(res); } };
        });
    }
    sm.takeCalls = function () { return JSON.stringify(calls.splice(0)); };
    sm.deliver = function (id, json) {
        var cb = callbacks[id];
        delete callbacks[id];
        if (!cb) { return; }
        var r = JSON.parse(json);
        sm.guard(function () {
            if (r.error !== undefined) { cb(new Error(r.error), undefined); }
            else if (r.response !== undefined) { cb(null, new sm.Response(Object.assign({ cookies: [] }, r.response))); }
            else { cb(null, r.value); }
        });
    };

    // `pm.cookies.jar()`: Postman's cookie jar API over the run's jar. As in Newman 6, every
    // method needs a callback, called later with `(null, result)` or `(error)`.
    function jarMethod(method, arity, toCall) {
        return function () {
            var args = Array.prototype.slice.call(arguments);
            var cb = args[args.length - 1];
            if (typeof cb !== 'function' || args.length < arity) {
                throw new TypeError('CookieJar.' + method + '() requires a callback function');
            }
            var url = args[0];
            if (url && typeof url === 'object' && typeof url.toString === 'function') { url = url.toString(); }
            var call = toCall(args.slice(1, -1));
            call.url = String(url);
            var id = ++callSeq;
            callbacks[id] = cb;
            calls.push({ id: id, jar: call });
            return undefined;
        };
    }
    function newCookie(args) {
        var c = args[0];
        if (c && typeof c === 'object') {
            return {
                name: String(c.name !== undefined ? c.name : c.key), value: c.value === undefined ? '' : String(c.value),
                domain: c.domain, path: c.path, secure: !!c.secure, httpOnly: !!c.httpOnly,
                expires: c.expires instanceof Date ? c.expires.toISOString() : (c.expires ? String(c.expires) : undefined),
                maxAge: typeof c.maxAge === 'number' && isFinite(c.maxAge) ? Math.floor(c.maxAge) : undefined
            };
        }
        return { name: String(c), value: args[1] === undefined ? '' : String(args[1]) };
    }
    var jar = {
        get: jarMethod('get', 3, function (a) { return { op: 'get', name: String(a[0]) }; }),
        getAll: jarMethod('getAll', 2, function () { return { op: 'getAll' }; }),
        set: jarMethod('set', 3, function (a) { return { op: 'set', cookie: newCookie(a) }; }),
        unset: jarMethod('unset', 3, function (a) { return { op: 'unset', name: String(a[0]) }; }),
        clear: jarMethod('clear', 2, function () { return { op: 'clear' }; })
    };

    // `pm.require`: packages from `--package-dir` or node_modules (src/script/packages.rs), each
    // evaluated once per script, with `require` for the sandbox's modules and its own files.
    var packageCache = {};
    function located(answer) {
        var r = JSON.parse(answer);
        if (r.error !== undefined) { throw new Error(r.error); }
        return r.path;
    }
    function loadPackageFile(path, name) {
        if (packageCache[path]) { return packageCache[path].exports; }
        var source = g.__snapman_packages.read(path);
        var module = { id: path, exports: {} };
        packageCache[path] = module;
        if (/\.json$/.test(path)) {
            module.exports = JSON.parse(source);
            return module.exports;
        }
        var localRequire = function (request) {
            var req = String(request);
            if (!/^\.\.?\//.test(req)) {
                try { return g.require(req); } catch (e) { /* not a sandbox module: look on disk */ }
            }
            return loadPackageFile(located(g.__snapman_packages.resolveFrom(path, req)), name);
        };
        try {
            new Function('module', 'exports', 'require', source).call(module.exports, module, module.exports, localRequire);
        } catch (e) {
            delete packageCache[path];
            var err = new Error('Error in package \'' + name + '\': ' + (e && e.message !== undefined ? e.message : e));
            err.name = e && e.name ? e.name : 'Error';
            throw err;
        }
        return module.exports;
    }
    function pmRequire(name) {
        var id = String(name);
        return loadPackageFile(located(g.__snapman_packages.resolve(id)), id);
    }

    function Pm(input) { this._in = input; }
    Pm.prototype = {
        test: test,
        sendRequest: sendRequest,
        require: pmRequire,
        visualizer: { set: function () {}, clear: function () {} }
    };
    function lazy(name, make) {
        Object.defineProperty(Pm.prototype, name, {
            configurable: true,
            get: function () {
                var v = make.call(this, this._in);
                Object.defineProperty(this, name, { value: v, writable: true, configurable: true });
                return v;
            }
        });
    }
    lazy('expect', function () { return sm.expect; });
    lazy('environment', function () { return st.scopes.environment; });
    lazy('collectionVariables', function () { return st.scopes.collection; });
    lazy('globals', function () { return st.scopes.globals; });
    lazy('iterationData', function () { return st.scopes.data; });
    lazy('variables', function () {
        var s = st.scopes;
        return new sm.Variables([s.local, s.data, s.environment, s.collection, s.globals]);
    });
    lazy('info', function (i) {
        return { eventName: i.listen, iteration: i.iteration, iterationCount: i.iterationCount, requestName: i.itemName, requestId: i.itemId };
    });
    lazy('request', function () { return st.request(); });
    lazy('response', function () { return st.response(); });
    lazy('cookies', function (i) {
        var list = new sm.PList(i.cookies.map(function (c) { return { name: c[0], key: c[0], value: c[1] }; }), false);
        list.jar = function () { return jar; };
        return list;
    });
    lazy('execution', function (i) {
        var location = i.itemPath.slice();
        location.current = i.itemName;
        return {
            setNextRequest: setNext,
            skipRequest: function () { st.skip = true; },
            location: location
        };
    });

    // Postman's legacy globals. They are defined once as getters over the current script's state,
    // so a script that never touches them costs nothing; a script may still assign over them.
    var postman = {
        setNextRequest: function (v) { setNext(v); },
        setEnvironmentVariable: function (k, v) { v = legacyValue(v); g.environment[k] = v; st.scopes.environment.set(k, v); },
        getEnvironmentVariable: function (k) { return st.scopes.environment.get(k); },
        clearEnvironmentVariable: function (k) { delete g.environment[k]; st.scopes.environment.unset(k); },
        clearEnvironmentVariables: function () { clearObject(g.environment); st.scopes.environment.clear(); },
        setGlobalVariable: function (k, v) { v = legacyValue(v); g.globals[k] = v; st.scopes.globals.set(k, v); },
        getGlobalVariable: function (k) { return st.scopes.globals.get(k); },
        clearGlobalVariable: function (k) { delete g.globals[k]; st.scopes.globals.unset(k); },
        clearGlobalVariables: function () { clearObject(g.globals); st.scopes.globals.clear(); },
        getResponseHeader: function (name) {
            var r = st.input.response;
            if (!r) { return undefined; }
            var lower = String(name).toLowerCase();
            var h = r.headers.find(function (p) { return p[0].toLowerCase() === lower; });
            return h ? h[1] : undefined;
        },
        getResponseCookie: function (name) {
            var c = st.input.cookies.find(function (p) { return p[0] === name; });
            return c ? { name: c[0], value: c[1] } : undefined;
        }
    };
    // postman-sandbox's legacy setters stringify truthy values (and `false`) only, so `0` stays a
    // number; they also update the script's `environment` / `globals` objects.
    function legacyValue(v) {
        return (v === false || v) && typeof (v && v.toString) === 'function' ? v.toString() : v;
    }
    function clearObject(o) {
        if (o && typeof o === 'object') { Object.keys(o).forEach(function (k) { delete o[k]; }); }
    }
    // Legacy `request.data`: the raw text, or the enabled form fields (repeated keys become arrays).
    function legacyData(body) {
        if (!body) { return {}; }
        if (body.mode === 'raw') { return body.raw; }
        var fields = body.mode === 'urlencoded' || body.mode === 'formdata' ? body[body.mode] : null;
        if (!Array.isArray(fields)) { return {}; }
        return fields.reduce(function (o, f) {
            if (!f || f.disabled) { return o; }
            var v = f.type === 'file' ? f.src : f.value;
            if (!Object.prototype.hasOwnProperty.call(o, f.key)) { o[f.key] = v; } else if (Array.isArray(o[f.key])) { o[f.key].push(v); } else { o[f.key] = [o[f.key], v]; }
            return o;
        }, {});
    }
    function pairsToObject(pairs) {
        var o = {};
        pairs.forEach(function (p) { o[p[0]] = p[1]; });
        return o;
    }
    var legacyGlobals = {
        postman: function () { return postman; },
        xml2Json: function () { return sm.xml2Json; },
        // Snapshots of the scopes as they were when the script started.
        environment: function (i) { return pairsToObject(i.variables.environment); },
        globals: function (i) { return pairsToObject(i.variables.globals); },
        data: function (i) { return Object.assign({}, i.variables.data); },
        iteration: function (i) { return i.iteration; },
        request: function (i) {
            var req = i.request || {};
            return {
                id: i.itemId, name: i.itemName, description: req.description, method: String(req.method || 'GET').toUpperCase(),
                url: typeof req.url === 'string' ? req.url : (req.url && req.url.raw) || '',
                headers: (Array.isArray(req.header) ? req.header : []).reduce(function (o, h) { if (!h.disabled) { o[h.key] = h.value; } return o; }, {}),
                data: legacyData(req.body)
            };
        },
        responseBody: function (i) { return i.response ? i.response.body : undefined; },
        // After a request error, test scripts see empty objects here, as in Newman.
        responseCode: function (i) {
            if (!i.response) { return i.listen === 'test' ? {} : undefined; }
            return { code: i.response.code, name: i.response.status, detail: i.response.status };
        },
        responseHeaders: function (i) {
            if (!i.response) { return i.listen === 'test' ? {} : undefined; }
            return i.response.headers.reduce(function (o, h) { o[h[0]] = h[1]; return o; }, {});
        },
        responseTime: function (i) { return i.response ? i.response.responseTime : undefined; },
        responseCookies: function (i) { return i.response ? i.cookies.map(function (c) { return { name: c[0], value: c[1] }; }) : undefined; }
    };
    function defineLegacy(name) {
        Object.defineProperty(g, name, {
            configurable: true,
            enumerable: false,
            get: function () {
                if (!Object.prototype.hasOwnProperty.call(st.legacy, name)) { st.legacy[name] = legacyGlobals[name](st.input); }
                return st.legacy[name];
            },
            set: function (v) { st.legacy[name] = v; }
        });
    }
    Object.keys(legacyGlobals).forEach(defineLegacy);

    // The input's request and scopes, each parsed from its JSON text when first read.
    function LazyInput(requestJson, scopeJson) {
        this._requestJson = requestJson;
        this._scopeJson = scopeJson;
        this._parsed = {};
    }
    function parsedOnce(name, index) {
        return function () {
            var p = this._parsed;
            if (!Object.prototype.hasOwnProperty.call(p, name)) {
                p[name] = JSON.parse(index < 0 ? this._requestJson : this._scopeJson[index]);
            }
            return p[name];
        };
    }
    ['globals', 'collection', 'environment', 'data', 'local'].forEach(function (name, index) {
        Object.defineProperty(LazyInput.prototype, name, { get: parsedOnce(name, index), enumerable: true });
    });
    Object.defineProperty(LazyInput.prototype, 'request', {
        get: parsedOnce('request', -1),
        set: function (v) { this._parsed.request = v; },
        enumerable: true
    });

    // The scopes of a script, each made when first used: a scope never made is unchanged.
    function Scopes(input) {
        this._vars = input;
        this._made = {};
    }
    function scopeOnce(name, make) {
        return function () { return this._made[name] || (this._made[name] = make(this._vars[name], this._vars)); };
    }
    var makeScope = function (entries) { return new sm.Scope(entries); };
    Scopes.prototype = {
        // What the script changed in scope `name`, or null.
        changed: function (name) { return this._made[name] ? this._made[name].changed() : null; }
    };
    [['globals', makeScope], ['collection', makeScope], ['local', makeScope],
        ['environment', function (entries, vars) { return new sm.Scope(entries, vars.environmentName === null ? undefined : vars.environmentName); }],
        ['data', function (row) { return new sm.Scope(Object.keys(row).map(function (k) { return [k, row[k]]; })); }]
    ].forEach(function (s) {
        Object.defineProperty(Scopes.prototype, s[0], { get: scopeOnce(s[0], s[1]) });
    });

    sm.begin = function (head, body, requestJson, scopeJson) {
        var i = head;
        if (i.response) { i.response.body = body; }
        var lazy = new LazyInput(requestJson, scopeJson);
        lazy.environmentName = i.environmentName;
        Object.defineProperty(i, 'request', {
            get: function () { return lazy.request; },
            set: function (v) { lazy.request = v; },
            enumerable: true,
            configurable: true
        });
        i.variables = lazy;
        var reqObj;
        var resObj;
        st = {
            input: i,
            legacy: {},
            assertions: [],
            testCount: 0,
            next: undefined,
            skip: false,
            scopes: new Scopes(lazy),
            request: function () { return reqObj || (reqObj = new sm.Request(i.request)); },
            changedRequest: function () { return reqObj ? reqObj.changed() : null; },
            // After a request error a test script still gets a Response, an empty one (its code
            // undefined), so `pm.response.code` reads as undefined and later tests still register.
            response: function () {
                if (resObj) { return resObj; }
                if (i.response) { resObj = new sm.Response(Object.assign({ cookies: i.cookies }, i.response)); } else if (i.listen === 'test') { resObj = new sm.Response({ headers: [], cookies: [] }); }
                return resObj;
            }
        };
        packageCache = {};
        st.pm = new Pm(i);
        g.pm = st.pm;
        g.tests = {};
    };

    sm.end = function () {
        var t = g.tests;
        if (t && typeof t === 'object') {
            Object.keys(t).forEach(function (k) {
                record(k, false, t[k] ? null : { name: 'AssertionError', message: 'expected ' + sm.inspect(t[k], 1) + ' to be truthy' });
            });
        }
        var s = st.scopes;
        // Positional, in the order of Rust's `RawOutput` (serde reads a struct from an array):
        // QuickJS stringifies an array of nulls in half the time of an object of named nulls.
        // [[globals, collection, environment, local], request, assertions, console, next, skip];
        // `pm.iterationData` changes last for the current script only, as in Newman.
        var out = [
            [s.changed('globals'), s.changed('collection'), s.changed('environment'), s.changed('local')],
            st.changedRequest(),
            st.assertions,
            sm.takeConsole(),
            st.next === undefined ? null : st.next,
            st.skip
        ];
        calls.splice(0);
        callbacks = {};
        sm.clearTimers();
        return JSON.stringify(out);
    };
}(globalThis));
