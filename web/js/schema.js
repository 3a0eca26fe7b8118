// A small JSON Schema (draft 2020-12) validator for the forms, over the
// keywords the procedure schemas use.  It gives the user feedback as they
// type; the gateway's verdict (POST ?dry_run=1) is the one that counts.
// Violations are {path: JSON Pointer, code, message: {vi, en}}, as the gateway's.

const PROVINCES = new Set(('001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 ' +
  '034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 ' +
  '079 080 082 083 084 086 087 089 091 092 093 094 095 096').split(' '));
const MOBILE = /^0(3[2-9]|5[25689]|70|7[6-9]|8[1-9]|9[0-46-9])\d{7}$/;

function validDate(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function taxCode(s) {
  const m = /^(\d{10})(-(\d{3}))?$/.exec(s);
  if (!m || m[1].startsWith('00') || /^\d\d0{7}/.test(m[1]) || m[3] === '000') return false;
  const w = [31, 29, 23, 19, 17, 13, 7, 5, 3];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += w[i] * +m[1][i];
  return 10 - (sum % 11) === +m[1][9];
}

export const FORMATS = {
  'date': validDate,
  'email': s => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 254,
  'vn-citizen-id': s => /^\d{12}$/.test(s) && PROVINCES.has(s.slice(0, 3)),
  'vn-phone': s => {
    const n = s.startsWith('+84') ? '0' + s.slice(3) : s;
    return MOBILE.test(n) || /^02\d{9}$/.test(n);
  },
  'vn-tax-code': taxCode,
  'vn-agency-code': s => /^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}$/.test(s),
};

const MSG = {
  required: ['Trường bắt buộc bị thiếu', 'Required field is missing'],
  type: ['Giá trị không đúng kiểu', 'The value has the wrong type'],
  enum: ['Giá trị không nằm trong danh sách cho phép', 'The value is not one of the allowed ones'],
  const: ['Giá trị không đúng', 'The value is not the expected one'],
  minLength: ['Quá ngắn: ít nhất {n} ký tự', 'Too short: at least {n} characters'],
  maxLength: ['Quá dài: nhiều nhất {n} ký tự', 'Too long: at most {n} characters'],
  pattern: ['Giá trị không đúng định dạng', 'The value does not have the expected form'],
  format: ['Giá trị không đúng định dạng {n}', 'The value is not a valid {n}'],
  minimum: ['Giá trị phải từ {n} trở lên', 'The value must be at least {n}'],
  maximum: ['Giá trị phải nhỏ hơn hoặc bằng {n}', 'The value must be at most {n}'],
  exclusiveMinimum: ['Giá trị phải lớn hơn {n}', 'The value must be greater than {n}'],
  minItems: ['Cần ít nhất {n} mục', 'At least {n} item(s) needed'],
  maxItems: ['Nhiều nhất {n} mục', 'At most {n} item(s)'],
  additionalProperties: ['Trường không được phép', 'Field not allowed'],
  contains: ['Danh sách thiếu mục bắt buộc', 'The list lacks a required item'],
};

function message(code, n, custom) {
  if (custom && code !== 'required') return { vi: custom.vi, en: custom.en };
  const m = MSG[code] || MSG.type;
  return { vi: m[0].replace('{n}', n ?? ''), en: m[1].replace('{n}', n ?? '') };
}

const esc = s => String(s).replace(/~/g, '~0').replace(/\//g, '~1');

// Schemas by absolute URI, loaded with their $ref'd files.
export class Schemas {
  constructor(fetchDoc) { this.docs = new Map(); this.fetchDoc = fetchDoc; }

  async load(uri, doc) {
    if (this.docs.has(uri)) return;
    if (!doc) doc = await this.fetchDoc(uri);
    this.docs.set(uri, doc);
    const refs = [];
    (function scan(s) {
      if (Array.isArray(s)) s.forEach(scan);
      else if (s && typeof s === 'object') {
        if (typeof s.$ref === 'string') refs.push(s.$ref);
        Object.values(s).forEach(scan);
      }
    })(doc);
    for (const r of refs) {
      const abs = new URL(r, uri).href.split('#')[0];
      if (abs !== uri) await this.load(abs);
    }
  }

  // {schema, base} that a $ref names from base
  resolve(ref, base) {
    const u = new URL(ref, base);
    const docUri = u.href.split('#')[0];
    let s = this.docs.get(docUri);
    if (!s) throw new Error('schema not loaded: ' + docUri);
    const frag = decodeURIComponent(u.hash.slice(1));
    for (const part of frag.split('/').slice(1)) s = s[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return { schema: s, base: docUri };
  }

  // follow $ref chains (for the form builder); allOf members merged shallowly
  deref(schema, base) {
    let guard = 0;
    while (schema && schema.$ref && guard++ < 32) {
      const r = this.resolve(schema.$ref, base);
      const rest = { ...schema }; delete rest.$ref;
      schema = { ...r.schema, ...rest };
      base = r.base;
    }
    return { schema, base };
  }

  validate(value, schema, base, path = '', out = []) {
    if (schema === true || schema == null) return out;
    if (schema === false) { out.push({ path, code: 'false', message: message('type') }); return out; }
    const custom = schema['x-dvc-messages'];
    const fail = (code, n, p = path) => out.push({ path: p, code, message: message(code, n, custom) });

    if (schema.$ref) {
      const r = this.resolve(schema.$ref, base);
      this.validate(value, r.schema, r.base, path, out);
    }
    if (schema.allOf) for (const s of schema.allOf) this.validate(value, s, base, path, out);
    if (schema.if !== undefined) {
      const ok = this.validate(value, schema.if, base, path, []).length === 0;
      if (ok && schema.then !== undefined) this.validate(value, schema.then, base, path, out);
      if (!ok && schema.else !== undefined) this.validate(value, schema.else, base, path, out);
    }
    if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema.const)) fail('const');
    if (schema.enum && !schema.enum.some(e => JSON.stringify(e) === JSON.stringify(value))) fail('enum');

    const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    if (schema.type) {
      const types = [].concat(schema.type);
      const ok = types.some(ty => ty === type || (ty === 'integer' && Number.isInteger(value)));
      if (!ok) { fail('type'); return out; }
    }
    if (type === 'string') {
      const len = [...value].length;
      if (schema.minLength != null && len < schema.minLength) fail('minLength', schema.minLength);
      if (schema.maxLength != null && len > schema.maxLength) fail('maxLength', schema.maxLength);
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) fail('pattern');
      if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format](value)) fail('format', schema.format);
    }
    if (type === 'number') {
      if (schema.minimum != null && value < schema.minimum) fail('minimum', schema.minimum);
      if (schema.maximum != null && value > schema.maximum) fail('maximum', schema.maximum);
      if (schema.exclusiveMinimum != null && value <= schema.exclusiveMinimum) fail('exclusiveMinimum', schema.exclusiveMinimum);
    }
    if (type === 'object') {
      for (const k of schema.required || []) {
        if (!(k in value)) {
          let m = message('required');
          const ps = schema.properties && schema.properties[k];
          if (ps && ps['x-dvc-messages']) m = message('required');
          out.push({ path: path + '/' + esc(k), code: 'required', message: m });
        }
      }
      for (const [k, v] of Object.entries(value)) {
        const ps = schema.properties && schema.properties[k];
        if (ps !== undefined) this.validate(v, ps, base, path + '/' + esc(k), out);
        else if (schema.additionalProperties === false) fail('additionalProperties', null, path + '/' + esc(k));
      }
    }
    if (type === 'array') {
      if (schema.minItems != null && value.length < schema.minItems) fail('minItems', schema.minItems);
      if (schema.maxItems != null && value.length > schema.maxItems) fail('maxItems', schema.maxItems);
      if (schema.items !== undefined) value.forEach((v, i) => this.validate(v, schema.items, base, path + '/' + i, out));
      if (schema.contains !== undefined && !value.some(v => this.validate(v, schema.contains, base, '', []).length === 0)) fail('contains');
    }
    return out;
  }
}
