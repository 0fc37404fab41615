// `pm.response` (the SDK Response shape), `pm.cookies`, and the `pm.response.to.*` chai plugin
// with chai-postman's assertion messages.
(function (g) {
    'use strict';

    var sm = g.__sm;

    function Response(r) {
        this.code = r.code;
        this.status = r.status;
        ownOnRead(this, 'headers', function () {
            return new sm.PList(r.headers.map(function (h) { return { key: h[0], value: h[1] }; }), true);
        });
        this.responseTime = r.responseTime;
        this.responseSize = r.responseSize;
        this._text = r.body;
        ownOnRead(this, 'cookies', function () {
            return new sm.PList((r.cookies || []).map(function (c) { return { name: c[0], key: c[0], value: c[1] }; }), false);
        });
    }
    // An own, enumerable property made when first read or set (most scripts read a response's
    // status and body, not its header and cookie lists).
    function ownOnRead(o, name, make) {
        function settle(v) {
            Object.defineProperty(o, name, { value: v, writable: true, enumerable: true, configurable: true });
            return v;
        }
        Object.defineProperty(o, name, {
            get: function () { return settle(make()); },
            set: settle,
            enumerable: true,
            configurable: true
        });
    }
    Response.prototype = {
        text: function () { return this._text; },
        json: function (reviver) {
            // A leading byte-order mark is dropped (a regular expression here cost more than the parse).
            var text = String(this._text);
            return JSON.parse(text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text, reviver);
        },
        jsonp: function (reviver) {
            var m = /^[^(]*\(([\s\S]*)\)[;\s]*$/.exec(this._text);
            return JSON.parse(m ? m[1] : this._text, reviver);
        },
        reason: function () { return this.status; },
        details: function () { return { code: this.code, name: this.status, detail: this.status }; },
        size: function () {
            var header = this.headers.reduce(function (n, h) { return n + String(h.key).length + String(h.value).length + 4; }, 0);
            var body = this.responseSize;
            return { body: body, header: header, total: body + header };
        },
        contentInfo: function () {
            var type = String(this.headers.get('content-type') || 'text/plain');
            var mime = type.split(';')[0].trim();
            var charset = /charset=([^;]+)/i.exec(type);
            return { mimeType: mime, mimeFormat: mime.split('/')[1] || '', charset: charset ? charset[1] : 'utf8', fileExtension: mime.split('/')[1] || '', fileName: 'response.' + (mime.split('/')[1] || 'txt') };
        },
        dataURI: function () {
            return 'data:' + this.contentInfo().mimeType + ';base64,' + g.btoa(unescape(encodeURIComponent(this._text)));
        },
        toJSON: function () {
            return { code: this.code, status: this.status, header: this.headers.toJSON(), responseTime: this.responseTime, responseSize: this.responseSize, body: this._text };
        }
    };
    Object.defineProperty(Response.prototype, 'to', { get: function () { return sm.expect(this).to; } });
    sm.Response = Response;

    var chai;
    sm.chai = function () {
        if (!chai) {
            chai = sm.loadLib('chai');
            chai.use(plugin);
        }
        return chai;
    };

    var isResponse = function (o) { return o instanceof Response; };
    var isRequest = function (o) { return o instanceof sm.Request; };

    function plugin(c) {
        var A = c.Assertion;
        var flag = c.util.flag;

        function needResponse(a) {
            new A(a._obj).assert(isResponse(a._obj), 'expecting a postman response object but got #{this}', 'not expecting a postman response object');
        }
        function statusClass(a, cls) {
            needResponse(a);
            a.assert(Math.floor(a._obj.code / 100) === cls, 'expected response code to be #{exp}XX but found #{act}',
                'expected response code to not be #{exp}XX', cls, a._obj.code);
        }
        var classes = { info: 1, success: 2, redirection: 3, clientError: 4, serverError: 5 };
        Object.keys(classes).forEach(function (name) {
            A.addProperty(name, function () { statusClass(this, classes[name]); });
        });
        [['postmanRequest', isRequest, 'request'], ['postmanResponse', isResponse, 'response'],
            ['postmanRequestOrResponse', function (o) { return isRequest(o) || isResponse(o); }, 'request or response']].forEach(function (p) {
            A.addProperty(p[0], function () {
                this.assert(p[1](this._obj), 'expecting a postman ' + p[2] + ' object but got #{this}', 'not expecting a postman ' + p[2] + ' object');
            });
        });
        A.addMethod('statusCodeClass', function (cls) { statusClass(this, cls); });
        A.addProperty('error', function () {
            needResponse(this);
            var cls = Math.floor(this._obj.code / 100);
            this.assert(cls === 4 || cls === 5, 'expected response code to be 4XX or 5XX but found #{act}',
                'expected response code to not be 4XX or 5XX', null, this._obj.code);
        });
        function codeIs(a, code) {
            a.assert(a._obj.code === Number(code), 'expected response to have status code #{exp} but got #{act}',
                'expected response to not have status code #{act}', Number(code), a._obj.code);
        }
        function reasonIs(a, reason) {
            a.assert(a._obj.reason() === reason, 'expected response to have status reason #{exp} but got #{act}',
                'expected response to not have status reason #{act}', reason, a._obj.reason());
        }
        A.addMethod('statusCode', function (code) { needResponse(this); codeIs(this, code); });
        A.addMethod('statusReason', function (reason) { needResponse(this); reasonIs(this, String(reason)); });
        A.addMethod('status', function (codeOrReason) {
            needResponse(this);
            if (typeof codeOrReason === 'number') { codeIs(this, codeOrReason); } else { reasonIs(this, codeOrReason); }
        });
        function named(a, code, reason) {
            needResponse(a);
            var actual = String(a._obj.reason()).toUpperCase();
            a.assert(actual === reason, 'expected response to have status reason #{exp} but got #{act}',
                'expected response to not have status reason #{act}', reason, actual);
            a.assert(Number(a._obj.code) === code, 'expected response to have status code #{exp} but got #{act}',
                'expected response to not have status code #{act}', code, Number(a._obj.code));
        }
        var reasons = {
            accepted: [202, 'Accepted'], withoutContent: [204, 'No Content'], badRequest: [400, 'Bad Request'],
            unauthorised: [401, 'Unauthorised'], unauthorized: [401, 'Unauthorized'], forbidden: [403, 'Forbidden'],
            notFound: [404, 'Not Found'], notAcceptable: [406, 'Acceptable'], rateLimited: [429, 'Too Many Requests']
        };
        Object.keys(reasons).forEach(function (name) {
            A.addProperty(name, function () { named(this, reasons[name][0], reasons[name][1].toUpperCase()); });
        });
        A.overwriteProperty('ok', function (base) {
            return function () {
                if (!isResponse(this._obj)) { return base.call(this); }
                named(this, 200, 'OK');
            };
        });
        A.addMethod('header', function (key, value) {
            var o = this._obj;
            new A(o).assert(isResponse(o) || isRequest(o), 'expecting a postman request or response object but got #{this}',
                'not expecting a postman request or response object');
            var what = isRequest(o) ? 'request' : 'response';
            this.assert(o.headers.has(key), 'expected ' + what + ' to have header with key \'' + String(key) + '\'',
                'expected ' + what + ' to not have header with key \'' + String(key) + '\'', true, o.headers.has(key));
            if (arguments.length < 2) { return; }
            var actual = o.headers.one(key).value;
            this.assert(actual === value, 'expected \'' + String(key) + '\' ' + what + ' header to be #{exp} but got #{act}',
                'expected \'' + String(key) + '\' ' + what + ' header to not be #{act}', value, actual);
        });
        function hasBody(a) {
            var t = a._obj.text();
            a.assert(typeof t === 'string' && t.length, 'expected response to have content in body', 'expected response to not have content in body');
        }
        A.addProperty('withBody', function () { needResponse(this); hasBody(this); });
        function parseError(o) {
            try { o.json(); return undefined; } catch (e) { return describeParseError(e); }
        }
        function describeParseError(e) {
            return e.name === 'JSONError' && e.message ? e.message.split('\n')[0] : e.name + ': ' + e.message;
        }
        A.addProperty('json', function () {
            needResponse(this);
            var err = parseError(this._obj);
            this.assert(!err, 'expected response body to be a valid json but got error ' + err, 'expected response body not to be a valid json');
        });
        A.addMethod('body', function (content) {
            needResponse(this);
            var _ = sm.loadLib('lodash');
            var data;
            if (_.isPlainObject(content)) {
                try { data = this._obj.json(); } catch (e) { data = undefined; }
                this.assert(_.isEqual(data, content), 'expected response body json to equal #{exp} but got #{act}',
                    'expected response body json to not equal #{exp} but got #{act}', content, data);
                return;
            }
            data = this._obj.text();
            if (arguments.length === 0) { hasBody(this); return; }
            if (content instanceof RegExp) {
                this.assert(content.exec(data) !== null, 'expected response body text to match #{exp} but got #{act}',
                    'expected response body text #{act} to not match #{exp}', content, data);
                return;
            }
            this.assert(_.isEqual(data, content), 'expected response body to equal #{exp} but got #{act}',
                'expected response body to not equal #{exp}', content, data);
        });
        A.addMethod('jsonBody', function (path, value) {
            needResponse(this);
            var _ = sm.loadLib('lodash');
            var body;
            var err;
            try { body = this._obj.json(); } catch (e) { err = describeParseError(e); }
            if (arguments.length === 0) {
                this.assert(!err, 'expected response body to be a valid json but got error ' + err, 'expected response body not to be a valid json');
                return;
            }
            if (_.isPlainObject(path)) {
                this.assert(_.isEqual(body, path), 'expected response body json to equal #{exp} but got #{act}',
                    'expected response body json to not equal #{exp} but got #{act}', path, body);
                return;
            }
            if (typeof path === 'string') {
                this.assert(_.has(body, path), 'expected #{act} in response to contain property #{exp}',
                    'expected #{act} in response to not contain property #{exp}', path, body);
                if (arguments.length > 1) {
                    var at = _.get(body, path);
                    this.assert(_.isEqual(at, value), 'expected response body json at "' + path + '" to contain #{exp} but got #{act}',
                        'expected response body json at "' + path + '" to not contain #{exp} but got #{act}', value, at);
                }
            }
        });
        A.addChainableMethod('responseTime', function (value) {
            var t = flag(this, 'number');
            this.assert(typeof t === 'number', 'expected response to have a valid response time but got #{act}',
                'expected response to not have a valid response time but got #{act}', null, t);
            if (arguments.length) {
                this.assert(t === value, 'expected response to have a valid response time but got #{act}',
                    'expected response to not have a valid response time but got #{act}', null, t);
            }
        }, function () {
            needResponse(this);
            flag(this, 'number', this._obj.responseTime);
            this._obj = this._obj.responseTime;
        });
        A.addChainableMethod('responseSize', function (value) {
            var s = flag(this, 'number');
            this.assert(typeof s === 'number', 'expected response to have a valid response size but got #{act}',
                'expected response to not have a valid response size but got #{act}', null, s);
            if (arguments.length) {
                this.assert(s === value, 'expected response size to equal #{act} but got #{exp}',
                    'expected response size to not equal #{act} but got #{exp}', value, s);
            }
        }, function () {
            needResponse(this);
            var size = this._obj.size();
            flag(this, 'number', size.total);
            this._obj = size.total;
        });
        A.addMethod('jsonSchema', function (schema, options) {
            new A(schema).to.be.an('object');
            var Ajv = sm.loadLib('ajv');
            var data = isResponse(this._obj) || isRequest(this._obj) && typeof this._obj.json === 'function' ? this._obj.json() : this._obj;
            var ajv = new Ajv(Object.assign({ allErrors: true, logger: false }, options));
            var valid = ajv.validate(schema, data);
            this.assert(valid && !ajv.errors, 'expected data to satisfy schema but found following errors: \n' + ajv.errorsText(),
                'expected data to not satisfy schema', true, valid);
        });
    }
}(globalThis));
