// The kiosk's validator, mirrored: forms::validate::check_answer, forms::jp::class_of and
// first_disallowed, forms::fill::holds / is_active and the template rules. A test runs the
// same cases through this file in a real browser and through the Rust code and compares.
// Values: choice -> choice id, yesno -> boolean, count -> integer, date -> "YYYY-MM-DD",
// kana / text / phone -> string. madoguchi, GPL-3.0-or-later.
(function (root) {
  'use strict';

  var FIRST_DATE = '1868-10-23'; // replaced by the data's firstDate when the page starts
  var U32_MAX = 4294967295;

  function inRange(u, lo, hi) {
    return u >= lo && u <= hi;
  }

  // forms::jp::class_of
  function classOf(ch) {
    var u = ch.codePointAt(0);
    if (inRange(u, 0x30, 0x39) || inRange(u, 0xff10, 0xff19)) return 'digit';
    if (inRange(u, 0x41, 0x5a) || inRange(u, 0x61, 0x7a) || inRange(u, 0xff21, 0xff3a) || inRange(u, 0xff41, 0xff5a)) return 'latin';
    if (u === 0x20 || u === 0x3000) return 'space';
    if (inRange(u, 0x3041, 0x3096) || u === 0x309d || u === 0x309e) return 'hiragana';
    if (inRange(u, 0x30a1, 0x30fa) || u === 0x30fc || u === 0x30fd || u === 0x30fe || inRange(u, 0xff66, 0xff9f)) return 'katakana';
    if (u === 0x3005 || u === 0x3006 || u === 0x3007) return 'kanji';
    if (inRange(u, 0x4e00, 0x9fff) || inRange(u, 0x3400, 0x4dbf) || inRange(u, 0xf900, 0xfaff) || inRange(u, 0x20000, 0x3134f)) return 'kanji';
    var asciiPunct = inRange(u, 0x21, 0x2f) || inRange(u, 0x3a, 0x40) || inRange(u, 0x5b, 0x60) || inRange(u, 0x7b, 0x7e);
    if (asciiPunct || '・、。「」（）－‐―〒＃＆／．，：；'.indexOf(ch) >= 0) return 'symbol';
    return null;
  }

  // char::is_control (general category Cc)
  function isControl(ch) {
    var u = ch.codePointAt(0);
    return u <= 0x1f || inRange(u, 0x7f, 0x9f);
  }

  // forms::jp::first_disallowed
  function firstDisallowed(chars, allowed) {
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      if (isControl(c)) return c;
      if (allowed.length === 0) continue;
      var k = classOf(c);
      if (k === null || allowed.indexOf(k) < 0) return c;
    }
    return null;
  }

  function allowedInKana(c) {
    var k = classOf(c);
    return c === '・' || k === 'katakana' || k === 'hiragana' || k === 'space';
  }

  // str::trim: Unicode White_Space at both ends (not String.prototype.trim, which differs).
  var WS = '[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
  var TRIM = new RegExp('^' + WS + '+|' + WS + '+$', 'g');
  function trim(s) {
    return s.replace(TRIM, '');
  }

  function isDate(s) {
    if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    var y = +s.slice(0, 4);
    var m = +s.slice(5, 7);
    var d = +s.slice(8, 10);
    var t = new Date(Date.UTC(y, m - 1, d));
    return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
  }

  function fail(kind, extra) {
    var p = { kind: kind };
    for (var k in extra || {}) p[k] = extra[k];
    return { ok: false, problem: p };
  }

  // forms::validate::check_answer. { ok: true, value } (value null = empty answer) or
  // { ok: false, problem: { kind, ... } }.
  function checkAnswer(f, a) {
    var textual = f.kind === 'text' || f.kind === 'kana' || f.kind === 'phone';
    if (textual && typeof a === 'string') {
      var text = trim(a);
      if (text === '') return { ok: true, value: null };
      var chars = Array.from(text);
      if (f.maxLen !== null && f.maxLen !== undefined && chars.length > f.maxLen) return fail('too_long', { max: f.maxLen });
      var bad = null;
      if (f.kind === 'kana') {
        bad = chars.find(function (c) { return !allowedInKana(c); }) || null;
      } else if (f.kind === 'phone') {
        bad = chars.find(function (c) { return !(/[0-9０-９\-－]/.test(c) && c.length === 1); }) || null;
      } else {
        bad = firstDisallowed(chars, f.chars || []);
      }
      if (bad !== null) {
        if (f.kind === 'phone') return fail('phone');
        return fail('character', { kana: f.kind === 'kana', codePoint: bad.codePointAt(0) });
      }
      if (f.kind === 'phone') {
        var digits = chars.filter(function (c) { return /[0-9０-９]/.test(c); }).length;
        if (digits < 10 || digits > 11) return fail('phone');
      }
      return { ok: true, value: text };
    }
    if (f.kind === 'choice' && typeof a === 'string') {
      var known = (f.choices || []).some(function (c) { return c.id === a; });
      return known ? { ok: true, value: a } : fail('not_an_answer');
    }
    if (f.kind === 'yesno' && typeof a === 'boolean') return { ok: true, value: a };
    if (f.kind === 'count' && typeof a === 'number' && Number.isInteger(a) && a >= 0 && a <= U32_MAX) {
      var min = f.min === null || f.min === undefined ? 0 : f.min;
      var max = f.max === null || f.max === undefined ? U32_MAX : f.max;
      return a < min || a > max ? fail('out_of_range', { min: min, max: max }) : { ok: true, value: a };
    }
    if (f.kind === 'date' && isDate(a)) {
      return a < FIRST_DATE ? fail('date_too_early') : { ok: true, value: a };
    }
    return fail('not_an_answer');
  }

  // forms::validate::is_chosen
  function isChosen(f) {
    return f.kind === 'choice' || f.kind === 'yesno' || f.kind === 'count' || f.kind === 'date';
  }

  // forms::fill::holds. `kindOf(id)` names the kind of a question (dates never match `in`).
  function holds(w, answers, kindOf) {
    var a = answers[w.field];
    var has = a !== undefined && a !== null;
    var list = w['in'] || [];
    var listed = true;
    if (list.length > 0) {
      if (!has) listed = list.indexOf('false') >= 0;
      else if (typeof a === 'boolean') listed = list.indexOf(a ? 'true' : 'false') >= 0;
      else if (typeof a === 'number') listed = list.indexOf(String(a)) >= 0;
      else if (kindOf(w.field) === 'date') listed = false;
      else listed = list.indexOf(a) >= 0;
    }
    var enough = true;
    if (w.atLeast !== null && w.atLeast !== undefined) {
      if (!has) enough = w.atLeast === 0;
      else enough = typeof a === 'number' && a >= w.atLeast;
    }
    return listed && enough;
  }

  // forms::fill::is_active: the field's condition holds and the field it looks at is active.
  function isActive(t, f, answers, kindOf) {
    var cur = f;
    for (var i = 0; i < 8; i++) {
      if (!cur.when) return true;
      if (!holds(cur.when, answers, kindOf)) return false;
      var next = t.fields.find(function (g) { return g.id === cur.when.field; });
      if (!next) return true;
      cur = next;
    }
    return false;
  }

  function truthy(v) {
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v > 0;
    return v !== '';
  }

  // What the forms of a visit refuse in these answers, as Catalog::check does for the fields
  // a resident answers: [{ field, template, problem }], each (field, problem) once.
  function check(templates, answers, kindOf) {
    var out = [];
    function push(field, template, problem) {
      var same = out.some(function (o) { return o.field === field && JSON.stringify(o.problem) === JSON.stringify(problem); });
      if (!same) out.push({ field: field, template: template, problem: problem });
    }
    templates.forEach(function (t) {
      var values = {};
      t.fields.forEach(function (f) {
        if (!isActive(t, f, answers, kindOf)) return;
        var a = answers[f.id];
        var value = null;
        if (a !== undefined && a !== null) {
          var r = checkAnswer(f, a);
          if (!r.ok) {
            push(f.id, t.id, r.problem);
            return;
          }
          value = r.value;
        }
        if (value !== null) values[f.id] = value;
        else if (f.required) push(f.id, t.id, { kind: 'missing', choose: isChosen(f) });
      });
      (t.rules || []).forEach(function (r, ri) {
        if (r.when && !holds(r.when, answers, kindOf)) return;
        var asked = function (id) {
          var f = t.fields.find(function (g) { return g.id === id; });
          return !f || isActive(t, f, answers, kindOf);
        };
        var problem = { kind: 'rule', template: t.id, rule: ri };
        var ids = r.fields.filter(asked);
        if (r.kind === 'require_any') {
          if (ids.length > 0 && !ids.some(function (id) { return truthy(values[id]); })) push(ids[0], t.id, problem);
          return;
        }
        ids.forEach(function (id) {
          var bad = r.kind === 'forbid' ? truthy(values[id]) : !truthy(values[id]);
          if (bad) push(id, t.id, problem);
        });
      });
    });
    return out;
  }

  root.MadoguchiValidate = {
    classOf: classOf,
    checkAnswer: checkAnswer,
    holds: holds,
    isActive: isActive,
    isChosen: isChosen,
    check: check,
    trim: trim,
    setFirstDate: function (d) {
      FIRST_DATE = d;
    },
  };
})(this);
