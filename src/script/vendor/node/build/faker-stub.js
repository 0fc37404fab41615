// snapman: postman-collection's faker (for {{$random...}} in Variable.replace) is not bundled;
// each generator throws when called.
function unavailable() { throw new Error('faker is not available in snapman\'s postman-collection'); }
module.exports = new Proxy({}, { get: function () { return new Proxy(unavailable, { get: function () { return unavailable; } }); } });
