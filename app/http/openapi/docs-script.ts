/**
 * The browser script of the `/docs` page (plain ES2020, no template literals so it can live in
 * this one): renders /openapi.json and sends "try it" requests with the bearer token field.
 */
export const DOCS_SCRIPT = String.raw`
'use strict';
var spec;
var METHODS = ['get', 'post', 'put', 'patch', 'delete'];
function h(tag, attrs) {
  var el = document.createElement(tag);
  for (var key in attrs || {}) {
    if (key === 'text') el.textContent = attrs[key];
    else if (key.slice(0, 2) === 'on') el.addEventListener(key.slice(2), attrs[key]);
    else el.setAttribute(key, attrs[key]);
  }
  for (var i = 2; i < arguments.length; i++) {
    var child = arguments[i];
    if (child == null) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}
function refName(ref) { return ref.split('/').pop(); }
function resolve(schema) {
  var seen = 0;
  while (schema && schema.$ref && seen++ < 20) schema = spec.components.schemas[refName(schema.$ref)];
  return schema || {};
}
function typeOf(s) {
  if (s.$ref) return null;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
  var t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (t === 'array') return 'array';
  return t || (s.anyOf || s.oneOf ? 'one of' : 'any');
}
function constraints(s) {
  var parts = [];
  ['minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format', 'default'].forEach(function (k) {
    if (s[k] !== undefined) parts.push(k + ': ' + JSON.stringify(s[k]));
  });
  return parts.length ? ' (' + parts.join(', ') + ')' : '';
}
function schemaView(s, depth) {
  if (!s) return h('span', { class: 'muted', text: 'none' });
  if (s.$ref) return h('a', { href: '#schema-' + refName(s.$ref), text: refName(s.$ref) });
  var wrap = h('span', {}, h('span', { class: 'type', text: typeOf(s) }), h('span', { class: 'muted', text: constraints(s) }));
  if (s.description) wrap.append(h('span', { class: 'muted', text: ' \u2014 ' + s.description }));
  if (depth > 6) return wrap;
  if (s.type === 'array' && s.items) wrap.append(' of ', schemaView(s.items, depth + 1));
  var list = h('ul');
  var alts = s.anyOf || s.oneOf;
  if (alts) alts.forEach(function (alt) { list.append(h('li', {}, schemaView(alt, depth + 1))); });
  var required = s.required || [];
  Object.keys(s.properties || {}).forEach(function (name) {
    list.append(h('li', {}, h('code', { text: name }), required.indexOf(name) >= 0 ? h('span', { class: 'req', text: '*' }) : null, ': ', schemaView(s.properties[name], depth + 1)));
  });
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    list.append(h('li', {}, h('code', { text: '[key]' }), ': ', schemaView(s.additionalProperties, depth + 1)));
  if (list.children.length) wrap.append(list);
  return wrap;
}
function example(s, depth) {
  s = resolve(s);
  if (depth > 5) return null;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
  var t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'object') {
    var out = {};
    (s.required || []).forEach(function (k) { out[k] = example(s.properties[k], depth + 1); });
    return out;
  }
  if (t === 'array') return [];
  if (t === 'integer' || t === 'number') return s.minimum || 0;
  if (t === 'boolean') return false;
  return t === 'string' ? '' : null;
}
function tryIt(path, method, op) {
  var box = h('div', { class: 'try' }, h('strong', { text: 'Try it' }));
  var inputs = {};
  (op.parameters || []).forEach(function (p) {
    var input = h('input', { type: 'text', placeholder: p.in + (p.required ? ', required' : '') });
    inputs[p.in + ':' + p.name] = input;
    box.append(h('label', {}, h('code', { text: p.name }), ' ', input));
  });
  var body = null;
  var type = null;
  if (op.requestBody) {
    type = Object.keys(op.requestBody.content)[0];
    body = h('textarea');
    body.value = JSON.stringify(example(op.requestBody.content[type].schema, 0), null, 2);
    box.append(h('label', { text: 'Body (' + type + ', sent as application/json)' }), body);
  }
  var out = h('pre', { class: 'muted', text: '' });
  box.append(h('button', { type: 'button', text: 'Send', onclick: function () {
    var url = path.replace(/\{(\w+)\}/g, function (_, name) { return encodeURIComponent(inputs['path:' + name].value); });
    var query = new URLSearchParams();
    var headers = {};
    (op.parameters || []).forEach(function (p) {
      var v = inputs[p.in + ':' + p.name].value;
      if (v === '') return;
      if (p.in === 'query') query.set(p.name, v);
      if (p.in === 'header') headers[p.name] = v;
    });
    var token = document.getElementById('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    var init = { method: method.toUpperCase(), headers: headers };
    if (body && body.value.trim()) { init.body = body.value; headers['Content-Type'] = 'application/json'; }
    out.textContent = 'Sending\u2026';
    fetch(url + (query.toString() ? '?' + query : ''), init).then(function (res) {
      return res.text().then(function (text) {
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
        out.textContent = res.status + ' ' + res.statusText + String.fromCharCode(10) + text;
      });
    }, function (error) { out.textContent = String(error); });
  } }), out);
  return box;
}
function operationView(path, method, op) {
  var id = 'op-' + op.operationId;
  var details = h('details', { class: 'op', id: id },
    h('summary', {}, h('span', { class: 'method ' + method, text: method.toUpperCase() }), h('span', { class: 'path', text: path }), h('span', { class: 'summary', text: op.summary || '' })));
  var inner = h('div');
  if (op.description) inner.append(h('p', { text: op.description }));
  var security = (op.security || []).map(function (req) { return Object.keys(req).join(' + ') || 'none'; });
  inner.append(h('p', { class: 'muted', text: 'Auth: ' + (security.length ? security.join(' or ') : 'none') }));
  if (op.parameters && op.parameters.length) {
    var table = h('table', {}, h('tr', {}, h('th', { text: 'Parameter' }), h('th', { text: 'In' }), h('th', { text: 'Schema' }), h('th', { text: 'Description' })));
    op.parameters.forEach(function (p) {
      table.append(h('tr', {}, h('td', {}, h('code', { text: p.name }), p.required ? h('span', { class: 'req', text: '*' }) : null), h('td', { text: p.in }), h('td', { class: 'schema' }, schemaView(p.schema, 0)), h('td', { text: p.description || '' })));
    });
    inner.append(h('h4', { text: 'Parameters' }), table);
  }
  if (op.requestBody) {
    inner.append(h('h4', { text: 'Request body' + (op.requestBody.required ? '' : ' (optional)') }));
    if (op.requestBody.description) inner.append(h('p', { text: op.requestBody.description }));
    Object.keys(op.requestBody.content).forEach(function (type) {
      inner.append(h('div', { class: 'schema' }, h('code', { text: type }), ': ', schemaView(op.requestBody.content[type].schema, 0)));
    });
  }
  var responses = h('table', {}, h('tr', {}, h('th', { text: 'Status' }), h('th', { text: 'Description' }), h('th', { text: 'Body' })));
  Object.keys(op.responses).forEach(function (status) {
    var r = op.responses[status];
    var cell = h('td', { class: 'schema' });
    Object.keys(r.content || {}).forEach(function (type) { cell.append(h('div', {}, h('code', { text: type }), ': ', schemaView(r.content[type].schema, 0))); });
    responses.append(h('tr', {}, h('td', { class: 'status', text: status }), h('td', { text: r.description }), cell));
  });
  inner.append(h('h4', { text: 'Responses' }), responses, tryIt(path, method, op));
  details.append(inner);
  return details;
}
function render() {
  document.getElementById('version').textContent = spec.info.title + ' ' + spec.info.version + ' \u00b7 OpenAPI ' + spec.openapi;
  var content = document.getElementById('content');
  var toc = document.getElementById('toc');
  content.textContent = '';
  var byTag = {};
  (spec.tags || []).forEach(function (t) { byTag[t.name] = []; });
  Object.keys(spec.paths).forEach(function (path) {
    METHODS.forEach(function (method) {
      var op = spec.paths[path][method];
      if (!op) return;
      var tag = (op.tags || ['Other'])[0];
      (byTag[tag] = byTag[tag] || []).push([path, method, op]);
    });
  });
  Object.keys(byTag).forEach(function (tag) {
    var ops = byTag[tag];
    if (!ops.length) return;
    var info = (spec.tags || []).find(function (t) { return t.name === tag; });
    var section = h('section', { class: 'tag', id: 'tag-' + tag }, h('h2', { text: tag + ' (' + ops.length + ')' }));
    if (info && info.description) section.append(h('p', { text: info.description }));
    toc.append(h('h3', {}, h('a', { href: '#tag-' + tag, text: tag })));
    ops.forEach(function (o) {
      section.append(operationView(o[0], o[1], o[2]));
      toc.append(h('a', { href: '#op-' + o[2].operationId, 'data-search': (o[1] + ' ' + o[0] + ' ' + (o[2].summary || '')).toLowerCase(), onclick: function () { document.getElementById('op-' + o[2].operationId).open = true; } },
        h('span', { class: 'method ' + o[1], text: o[1].toUpperCase() }), ' ', o[0]));
    });
    content.append(section);
  });
  var schemas = h('section', { class: 'tag', id: 'schemas' }, h('h2', { text: 'Schemas' }));
  Object.keys(spec.components.schemas).sort().forEach(function (name) {
    schemas.append(h('div', { class: 'op', id: 'schema-' + name }, h('div', { class: 'schema' }, h('h4', { text: name }), schemaView(spec.components.schemas[name], 0))));
  });
  content.append(schemas);
  toc.append(h('h3', {}, h('a', { href: '#schemas', text: 'Schemas' })));
}
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('#toc a[data-search]').forEach(function (a) { a.style.display = a.dataset.search.indexOf(q) >= 0 ? '' : 'none'; });
});
var tokenInput = document.getElementById('token');
tokenInput.value = sessionStorage.getItem('slipway-token') || '';
tokenInput.addEventListener('change', function () { sessionStorage.setItem('slipway-token', tokenInput.value); });
fetch('openapi.json').then(function (res) { return res.json(); }).then(function (doc) { spec = doc; render(); }, function (error) {
  document.getElementById('content').textContent = 'Could not load openapi.json: ' + error;
});
`;
