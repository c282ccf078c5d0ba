// The resident's pre-input page (madoguchi, GPL-3.0-or-later): the procedure guide and the
// kiosk's questions, answered at home and carried to the counter as a QR code of digits.
// Nothing is stored or sent: the answers live in this page until it is closed.
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('madoguchi-data').textContent);
  var V = window.MadoguchiValidate;
  V.setFirstDate(D.firstDate);

  // The browser's language when the page offers it (by its primary subtag), else Japanese.
  function firstLang() {
    var want = String(navigator.language || '').toLowerCase().split('-')[0];
    var found = D.langs.filter(function (l) { return l.code.toLowerCase() === want; })[0];
    return found ? found.code : 'ja';
  }

  var state = {
    lang: firstLang(),
    screen: 'start',
    guide: {}, // guide answers: event id and the event's questions
    fromGuide: false,
    procedures: [],
    answers: {},
    showErrors: false,
  };

  var main = document.getElementById('main');

  // ---- texts ----
  function L(t) {
    if (t === null || t === undefined) return '';
    return t[state.lang] || t.ja || '';
  }
  function ui(key) {
    return L(D.ui[key]) || key;
  }
  // i18n::fill: `{}` in order, `{N}` by position, `{{` `}}` literal.
  function fill(template, args) {
    var next = 0;
    return template.replace(/\{\{|\}\}|\{(\d*)\}/g, function (m, n) {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      var i = n === '' ? next++ : parseInt(n, 10);
      return i < args.length ? String(args[i]) : m;
    });
  }
  function htmlLang() {
    return state.lang === 'ja-easy' ? 'ja' : state.lang;
  }

  // ---- DOM ----
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, v);
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function button(id, label, onclick, cls) {
    return h('button', { type: 'button', id: id, class: cls || 'primary', onclick: onclick, text: label });
  }
  function show(screen) {
    state.screen = screen;
    render();
    window.scrollTo(0, 0);
    var h1 = main.querySelector('h1');
    if (h1) h1.focus();
  }

  // ---- catalog ----
  function procedure(id) {
    return D.procedures.find(function (p) { return p.id === id; });
  }
  function template(id) {
    return D.templates.find(function (t) { return t.id === id; });
  }
  // Catalog::forms_for
  function formsFor(ids) {
    var out = [];
    ids.forEach(function (id) {
      var p = procedure(id);
      (p ? p.forms : []).forEach(function (f) {
        var t = template(f);
        if (t && out.indexOf(t) < 0) out.push(t);
      });
    });
    return out;
  }
  // Catalog::questions: each id once, in the order of the forms.
  function questionsFor(ids) {
    var out = [];
    formsFor(ids).forEach(function (t) {
      t.fields.forEach(function (f) {
        if (!out.some(function (o) { return o.id === f.id; })) out.push(f);
      });
    });
    return out;
  }
  function kindIn(list) {
    return function (id) {
      var f = list.find(function (q) { return q.id === id; });
      return f ? f.kind : null;
    };
  }
  // Catalog::active_questions, with the review screen's defaults (a count starts at its
  // minimum, an optional yes/no at "no").
  function activeQuestions() {
    var forms = formsFor(state.procedures);
    var qs = questionsFor(state.procedures);
    var kindOf = kindIn(qs);
    var active = qs.filter(function (q) {
      return forms.some(function (t) {
        var f = t.fields.find(function (g) { return g.id === q.id; });
        return f && V.isActive(t, f, state.answers, kindOf);
      });
    });
    var changed = false;
    active.forEach(function (q) {
      if (state.answers[q.id] !== undefined) return;
      if (q.kind === 'count') {
        state.answers[q.id] = q.uiMin;
        changed = true;
      } else if (q.kind === 'yesno' && !q.required) {
        state.answers[q.id] = false;
        changed = true;
      }
    });
    return changed ? activeQuestions() : active;
  }
  function chosenEvent() {
    var id = state.guide[D.guide.id];
    return D.events.find(function (e) { return e.id === id; });
  }
  // forms::procedures::plan
  function plan(e) {
    var out = { procedures: [], notes: [] };
    var kindOf = kindIn(e.questions);
    e.rules.forEach(function (r) {
      if (r.when && !V.holds(r.when, state.guide, kindOf)) return;
      r.procedures.forEach(function (p) {
        if (out.procedures.indexOf(p) < 0) out.procedures.push(p);
      });
      out.notes = out.notes.concat(r.notes);
    });
    return out;
  }

  // ---- controls ----
  function problemText(q, p) {
    var label = L(q.label);
    var P = D.problems;
    switch (p.kind) {
      case 'missing':
        return fill(L(p.choose ? P.missing_choose : P.missing_enter), [label]);
      case 'out_of_range':
        return fill(L(P.out_of_range), [label, p.min, p.max]);
      case 'too_long':
        return fill(L(P.too_long), [label, p.max]);
      case 'character':
        var cp = 'U+' + p.codePoint.toString(16).toUpperCase().padStart(4, '0');
        return fill(L(p.kana ? P.character_kana : P.character), [label, cp]);
      case 'phone':
        return fill(L(P.phone), [label]);
      case 'date_too_early':
        return fill(L(P.date_too_early), [label]);
      case 'rule':
        var t = template(p.template);
        return fill(L(P.rule), [label, L(t.rules[p.rule].message)]);
      default:
        return fill(L(P.not_an_answer), [label]);
    }
  }

  function setAnswer(store, q, value) {
    if (value === undefined || value === '') delete store[q.id];
    else store[q.id] = value;
  }

  // One question as a labelled control. `store` holds the answers, `onchange` runs after each.
  function control(q, store, onchange, errors) {
    var id = 'q-' + q.id;
    var helpId = id + '-help';
    var errId = id + '-error';
    var described = [q.help ? helpId : null, errors.length ? errId : null].filter(Boolean).join(' ') || null;
    var badge = h('span', { class: q.required ? 'badge required' : 'badge', text: ui(q.required ? 'required' : 'optional') });
    var help = q.help ? h('p', { class: 'help', id: helpId, text: L(q.help) }) : null;
    var err = errors.length
      ? h('p', { class: 'error', id: errId }, errors.map(function (e) { return h('span', { text: problemText(q, e) }); }))
      : null;
    var changed = function (v) {
      setAnswer(store, q, v);
      onchange();
    };
    var invalid = errors.length ? 'true' : null;
    if (q.kind === 'choice' || q.kind === 'yesno') {
      var options =
        q.kind === 'choice'
          ? q.choices.map(function (c) { return { key: c.id, value: c.id, label: L(c.label) }; })
          : [{ key: 'yes', value: true, label: ui('yes') }, { key: 'no', value: false, label: ui('no') }];
      var radios = options.map(function (o) {
        var rid = id + '-' + o.key;
        var input = h('input', {
          type: 'radio', id: rid, name: id, value: o.key,
          checked: store[q.id] === o.value,
          onchange: function () { changed(o.value); },
        });
        return h('div', { class: 'option' }, [input, h('label', { for: rid, text: o.label })]);
      });
      return h('fieldset', { class: 'question', id: id, 'aria-describedby': described, 'aria-invalid': invalid }, [
        h('legend', null, [L(q.label), ' ', badge]),
        help,
        h('div', { class: 'options' }, radios),
        err,
      ]);
    }
    var input;
    if (q.kind === 'count') {
      var opts = [];
      for (var n = q.uiMin; n <= q.uiMax; n++) {
        opts.push(h('option', { value: String(n), selected: store[q.id] === n, text: String(n) }));
      }
      input = h('select', { id: id + '-input', onchange: function (ev) { changed(parseInt(ev.target.value, 10)); } }, opts);
    } else if (q.kind === 'date') {
      input = h('input', {
        type: 'date', id: id + '-input', min: D.firstDate, value: store[q.id] || '',
        onchange: function (ev) { changed(ev.target.value || undefined); },
      });
    } else {
      var attrs = {
        type: q.kind === 'phone' ? 'tel' : 'text',
        id: id + '-input',
        value: store[q.id] || '',
        autocomplete: q.kind === 'phone' ? 'tel' : 'off',
        inputmode: q.kind === 'phone' ? 'tel' : null,
        maxlength: q.kind === 'phone' ? null : q.uiMaxChars,
        lang: q.kind === 'kana' ? 'ja' : null,
        oninput: function (ev) {
          setAnswer(store, q, ev.target.value);
        },
        onchange: function (ev) { changed(ev.target.value); },
      };
      input = h('input', attrs);
    }
    input.setAttribute('aria-describedby', described || '');
    if (!described) input.removeAttribute('aria-describedby');
    if (invalid) input.setAttribute('aria-invalid', 'true');
    if (q.required) input.setAttribute('aria-required', 'true');
    return h('div', { class: 'question', id: id }, [
      h('label', { for: id + '-input', class: 'qlabel' }, [L(q.label), ' ', badge]),
      help,
      input,
      err,
    ]);
  }

  // ---- screens ----
  function screenStart() {
    return [
      h('h1', { tabindex: '-1', text: ui('title') }),
      h('p', { class: 'lead', text: ui('intro') }),
      h('p', { text: ui('card_note') }),
      h('p', { text: ui('privacy_note') }),
      h('div', { class: 'actions column' }, [
        button('start-guide', ui('start_guide'), function () {
          state.fromGuide = true;
          show('guide');
        }),
        button('start-pick', ui('start_pick'), function () {
          state.fromGuide = false;
          show('pick');
        }, 'secondary'),
      ]),
    ];
  }

  function guideQuestions() {
    var first = {
      id: D.guide.id, kind: 'choice', label: D.guide.label, help: null, required: true,
      choices: D.events.map(function (e) { return { id: e.id, label: e.title }; }),
    };
    var e = chosenEvent();
    return [first].concat(e ? e.questions : []);
  }

  function screenGuide() {
    var out = [h('h1', { tabindex: '-1', text: ui('guide_title') })];
    var box = h('div', { id: 'guide-questions' });
    var fillBox = function () {
      box.textContent = '';
      guideQuestions().forEach(function (q) {
        box.appendChild(control(q, state.guide, function () {
          if (q.id === D.guide.id) {
            // Another event: its questions start unanswered.
            var keep = {};
            keep[D.guide.id] = state.guide[D.guide.id];
            state.guide = keep;
            fillBox();
            var again = document.getElementById('q-' + q.id + '-' + state.guide[q.id]);
            if (again) again.focus();
          }
        }, []));
      });
    };
    fillBox();
    out.push(box);
    out.push(h('p', { class: 'error', id: 'guide-error', role: 'alert' }));
    out.push(h('div', { class: 'actions' }, [
      button('back', ui('back'), function () { show('start'); }, 'secondary'),
      button('next', ui('next'), function () {
        if (!chosenEvent()) {
          document.getElementById('guide-error').textContent = fill(L(D.problems.missing_choose), [L(D.guide.label)]);
          return;
        }
        show('result');
      }),
    ]));
    return out;
  }

  function procedureCard(p, extraNotes) {
    var forms = p.forms.map(template).filter(Boolean).map(function (t) { return L(t.title); });
    var items = [];
    if (forms.length) items.push(h('li', null, [h('strong', { text: ui('forms') + ': ' }), forms.join('、')]));
    if (p.counter) items.push(h('li', null, [h('strong', { text: ui('counter') + ': ' }), L(p.counter)]));
    p.bring.forEach(function (b) { items.push(h('li', null, [h('strong', { text: ui('bring') + ': ' }), L(b)])); });
    p.notes.forEach(function (n) { items.push(h('li', { text: L(n) })); });
    return h('section', { class: 'card', id: 'proc-' + p.id }, [h('h3', { text: L(p.title) }), h('ul', null, items)]);
  }

  function screenResult() {
    var e = chosenEvent();
    var pl = plan(e);
    state.procedures = pl.procedures.slice();
    var out = [h('h1', { tabindex: '-1', text: ui('guide_title') }), h('h2', { text: ui('guide_result') + ' — ' + L(e.title) })];
    pl.procedures.map(procedure).filter(Boolean).forEach(function (p) { out.push(procedureCard(p)); });
    if (pl.notes.length) out.push(h('ul', { class: 'notes' }, pl.notes.map(function (n) { return h('li', { text: '※ ' + L(n) }); })));
    out.push(h('div', { class: 'actions' }, [
      button('back', ui('back'), function () { show('guide'); }, 'secondary'),
      button('next', ui('answer_these'), function () { show('questions'); }),
    ]));
    return out;
  }

  function screenPick() {
    var out = [h('h1', { tabindex: '-1', text: ui('pick_title') })];
    var cats = [];
    D.procedures.forEach(function (p) {
      var c = L(p.category);
      var group = cats.find(function (g) { return g.name === c; });
      if (!group) cats.push((group = { name: c, items: [] }));
      group.items.push(p);
    });
    cats.forEach(function (g) {
      out.push(h('fieldset', { class: 'question' }, [h('legend', { text: g.name })].concat(g.items.map(function (p) {
        var cid = 'p-' + p.id;
        var box = h('input', {
          type: 'checkbox', id: cid, checked: state.procedures.indexOf(p.id) >= 0,
          onchange: function (ev) {
            var i = state.procedures.indexOf(p.id);
            if (ev.target.checked && i < 0) state.procedures.push(p.id);
            if (!ev.target.checked && i >= 0) state.procedures.splice(i, 1);
          },
        });
        return h('div', { class: 'option' }, [box, h('label', { for: cid, text: L(p.title) })]);
      }))));
    });
    out.push(h('p', { class: 'error', id: 'pick-error', role: 'alert' }));
    out.push(h('div', { class: 'actions' }, [
      button('back', ui('back'), function () { show('start'); }, 'secondary'),
      button('next', ui('next'), function () {
        if (state.procedures.length === 0) {
          document.getElementById('pick-error').textContent = ui('pick_none');
          return;
        }
        show('questions');
      }),
    ]));
    return out;
  }

  function problems() {
    var forms = formsFor(state.procedures);
    return V.check(forms, state.answers, kindIn(questionsFor(state.procedures)));
  }

  function screenQuestions() {
    var out = [h('h1', { tabindex: '-1', text: ui('questions_title') })];
    out.push(h('p', { class: 'chosen' }, [h('strong', { text: ui('chosen') + ': ' }),
      state.procedures.map(procedure).filter(Boolean).map(function (p) { return L(p.title); }).join('、')]));
    var summary = h('div', { id: 'errors', role: 'alert', class: 'error-summary' });
    out.push(summary);
    var box = h('div', { id: 'questions' });
    var shown = '';
    var fillBox = function (focusId) {
      var active = activeQuestions();
      var errs = state.showErrors ? problems() : [];
      box.textContent = '';
      if (active.length === 0) box.appendChild(h('p', { text: ui('nothing_asked') }));
      active.forEach(function (q) {
        var mine = errs.filter(function (e) { return e.field === q.id; }).map(function (e) { return e.problem; });
        box.appendChild(control(q, state.answers, function () {
          // Re-drawn only when questions come or go, so typing and Tab are never disturbed.
          var now = activeQuestions().map(function (x) { return x.id; }).join(' ');
          if (now !== shown) fillBox(document.activeElement && document.activeElement.id);
        }, mine));
      });
      shown = active.map(function (x) { return x.id; }).join(' ');
      summary.textContent = errs.length ? ui('fix') : '';
      summary.hidden = errs.length === 0;
      if (focusId) {
        var el = document.getElementById(focusId);
        if (el) el.focus();
      }
    };
    fillBox();
    out.push(box);
    out.push(h('p', { class: 'error', id: 'size-error', role: 'alert' }));
    out.push(h('div', { class: 'actions' }, [
      button('back', ui('back'), function () { show(state.fromGuide ? 'result' : 'pick'); }, 'secondary'),
      button('make-code', ui('make_code'), function () {
        state.showErrors = true;
        if (problems().length) {
          fillBox();
          var first = box.querySelector('[aria-invalid="true"]');
          if (first) first.focus();
          return;
        }
        var code = makeCode();
        if (code === null) {
          document.getElementById('size-error').textContent = ui('too_large');
          return;
        }
        state.code = code;
        show('code');
      }),
    ]));
    return out;
  }

  // The format-1 body: procedures, template versions and the answers of active questions
  // (and of the guide's own questions), never a card field.
  function body() {
    var t = {};
    formsFor(state.procedures).forEach(function (tm) { t[tm.id] = tm.version; });
    var a = {};
    var e = state.fromGuide ? chosenEvent() : null;
    if (e) {
      e.questions.forEach(function (q) {
        var r = state.guide[q.id] === undefined ? null : V.checkAnswer(q, state.guide[q.id]);
        if (r && r.ok && r.value !== null) a[q.id] = r.value;
      });
    }
    activeQuestions().forEach(function (q) {
      if (state.answers[q.id] === undefined) return;
      var r = V.checkAnswer(q, state.answers[q.id]);
      if (r.ok && r.value !== null) a[q.id] = r.value;
    });
    return { x: window.MadoguchiPayload.dateAfter(new Date(), D.validDays), l: state.lang, p: state.procedures.slice(), t: t, a: a };
  }

  function makeCode() {
    var b = body();
    var digits = window.MadoguchiPayload.encode(b);
    if (digits.length > D.maxDigits) return null;
    var qr = window.MadoguchiQR.encodeNumeric(digits, D.maxVersion);
    if (qr === null) return null;
    return { digits: digits, qr: qr, expires: b.x };
  }

  function screenCode() {
    var c = state.code;
    var canvas = document.createElement('canvas');
    var room = Math.min(560, (main.clientWidth || 360) - 8);
    var scale = Math.max(3, Math.floor(room / (c.qr.size + 8)));
    window.MadoguchiQR.draw(c.qr, canvas, scale);
    var url = canvas.toDataURL('image/png');
    var img = h('img', {
      id: 'qr', src: url, alt: ui('qr_alt'), width: String(canvas.width), height: String(canvas.height),
      'data-version': String(c.qr.version), 'data-level': 'M', 'data-digits': String(c.digits.length),
      'data-modules': String(c.qr.size), 'data-code': c.digits,
    });
    return [
      h('h1', { tabindex: '-1', text: ui('code_title') }),
      h('p', { class: 'lead', text: ui('code_help') }),
      h('div', { class: 'qr' }, [img]),
      h('p', { id: 'expires', text: fill(ui('valid_until'), [c.expires]) }),
      h('p', { class: 'chosen' }, [h('strong', { text: ui('chosen') + ': ' }),
        state.procedures.map(procedure).filter(Boolean).map(function (p) { return L(p.title); }).join('、')]),
      h('p', { class: 'meta', text: 'QR ' + c.qr.version + '-M · ' + c.digits.length + ' digits' }),
      h('div', { class: 'actions' }, [
        h('a', { id: 'save', class: 'button primary', href: url, download: 'madoguchi-preinput-' + c.expires + '.png', text: ui('save_image') }),
        button('restart', ui('restart'), function () {
          state.guide = {};
          state.procedures = [];
          state.answers = {};
          state.showErrors = false;
          state.code = null;
          show('start');
        }, 'secondary'),
      ]),
    ];
  }

  var SCREENS = { start: screenStart, guide: screenGuide, result: screenResult, pick: screenPick, questions: screenQuestions, code: screenCode };

  function render() {
    document.documentElement.lang = htmlLang();
    document.title = ui('title');
    document.getElementById('site-title').textContent = ui('title');
    var larger = document.getElementById('larger');
    larger.textContent = ui('larger_text');
    var langs = document.getElementById('langs');
    Array.prototype.slice.call(langs.querySelectorAll('button')).forEach(function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-lang') === state.lang ? 'true' : 'false');
    });
    main.textContent = '';
    main.setAttribute('data-screen', state.screen);
    SCREENS[state.screen]().forEach(function (e) { main.appendChild(e); });
  }

  D.langs.forEach(function (l) {
    document.getElementById('langs').appendChild(h('button', {
      type: 'button', class: 'tool', id: 'lang-' + l.code, 'data-lang': l.code, lang: l.code === 'ja-easy' ? 'ja' : l.code,
      text: l.name,
      onclick: function () {
        state.lang = l.code;
        render();
      },
    }));
  });
  document.getElementById('larger').addEventListener('click', function (ev) {
    var on = document.documentElement.classList.toggle('larger');
    ev.target.setAttribute('aria-pressed', on ? 'true' : 'false');
  });
  render();
})();
