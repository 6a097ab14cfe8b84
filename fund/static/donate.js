// The giving form: live field checks, the amount on the pay button, the postal-code
// lookup, what shows for which choice, and the card through Stripe.js.
// Checks ask the server (/donate/check) so there is one set of rules and messages,
// and a mistake in a field never empties the card element.
(function () {
  'use strict';
  var form = document.getElementById('donation-form');
  if (!form) { return; }
  var button = document.getElementById('donate-button');
  var touched = {};
  var pending = null;

  function halfWidth(text) {
    return (text || '').replace(/[０-９]/g, function (d) { return String.fromCharCode(d.charCodeAt(0) - 0xFEE0); });
  }
  function checked(name) {
    var picked = form.querySelector('input[name=' + name + ']:checked');
    return picked ? picked.value : null;
  }

  // --- what shows for which choice ---------------------------------------------
  function show(id, visible) {
    var el = document.getElementById(id);
    if (el) { el.hidden = !visible; }
  }
  function refresh() {
    show('corporate-fields', checked('donor_kind') === 'corporation');
    show('receipt-fields', document.getElementById('wants_receipt').checked);
    var monthly = checked('frequency') === 'monthly';
    show('receipt-preference', monthly);
    show('monthly-hint', monthly);
    var method = checked('payment_method') || 'card';
    if (monthly && method !== 'card') {
      form.querySelector('input[name=payment_method][value=card]').checked = true;
      method = 'card';
    }
    show('card-field', method === 'card');
    form.querySelectorAll('.method-hint').forEach(function (hint) {
      hint.hidden = hint.getAttribute('data-method') !== method;
    });
    showAmount();
  }

  // --- the amount on the pay button ----------------------------------------------
  function chosenAmount() {
    var choice = checked('amount_choice');
    var raw = choice && choice !== 'other' ? choice : document.getElementById('amount_other').value;
    var digits = halfWidth(raw).replace(/[^0-9]/g, '');
    return digits ? Number(digits) : 0;
  }
  function showAmount() {
    var amount = chosenAmount();
    var label = checked('frequency') === 'monthly' ? button.dataset.labelMonthly : button.dataset.label;
    button.textContent = amount ? label.replace('{amount}', '¥' + amount.toLocaleString('en-US'))
      : label.replace('{amount}', '').replace(/\s+/g, ' ').trim();
  }
  document.getElementById('amount_other').addEventListener('input', function () {
    document.getElementById('amount_choice_other').checked = true;
  });
  form.addEventListener('change', refresh);
  form.addEventListener('input', function (event) {
    if (event.target.name === 'amount_other') { showAmount(); }
  });

  // --- live checks ------------------------------------------------------------------
  function fieldOf(element) {
    var box = element.closest('[data-field]');
    return box ? box.getAttribute('data-field') : (element.name === 'amount_other' || element.name === 'amount_choice' ? 'amount' : element.name);
  }
  function showErrors(errors, all) {
    var shown = 0;
    form.querySelectorAll('[data-field]').forEach(function (box) {
      var name = box.getAttribute('data-field');
      var message = (all || touched[name]) ? (errors[name] || '') : '';
      if (box.closest('[hidden]')) { message = ''; }
      var slot = document.getElementById('error-' + name);
      if (slot) { slot.textContent = message; }
      box.classList.toggle('has-error', !!message);
      box.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(function (input) {
        if (message) { input.setAttribute('aria-invalid', 'true'); } else { input.removeAttribute('aria-invalid'); }
      });
      if (message) { shown += 1; }
    });
    var summary = document.getElementById('form-errors');
    if (all) { summary.hidden = shown === 0; }
    return shown;
  }
  function check() {
    var data = new FormData(form);
    data.delete('card_token');
    return fetch(form.dataset.check, {method: 'POST', body: data, credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : {errors: {}}; })
      .catch(function () { return {errors: {}}; })
      .then(function (answer) { return answer.errors || {}; });
  }
  function checkSoon() {
    clearTimeout(pending);
    pending = setTimeout(function () { check().then(function (errors) { showErrors(errors, false); }); }, 250);
  }
  form.addEventListener('focusout', function (event) {
    if (!event.target.name || event.target.closest('#card-element')) { return; }
    touched[fieldOf(event.target)] = true;
    checkSoon();
  });
  form.addEventListener('input', function (event) {
    var name = event.target.name && fieldOf(event.target);
    if (name && touched[name]) { checkSoon(); }
  });

  // --- 郵便番号 → prefecture and city (Japan Post's data, served by the app) ---------------
  var postal = document.getElementById('postal_code');
  var lastLookup = '';
  postal.addEventListener('input', function () {
    var digits = halfWidth(postal.value).replace(/[^0-9]/g, '');
    if (digits.length !== 7 || digits === lastLookup) { return; }
    lastLookup = digits;
    var status = document.getElementById('lookup-status');
    fetch(form.dataset.lookup.replace('0000000', digits), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (found) {
        if (!found) { status.textContent = form.dataset.lookupMissing; return; }
        document.getElementById('prefecture').value = found.prefecture;
        var city = document.getElementById('city');
        var street = document.getElementById('street');
        city.value = found.city + (found.neighborhood || '');
        if (found.banchi && !street.value) { street.value = found.banchi; }
        status.textContent = form.dataset.lookupFound;
      });
  });

  refresh();

  // --- the card -----------------------------------------------------------------------
  var stripe = null, card = null;
  if (typeof Stripe !== 'undefined') {
    stripe = Stripe(form.dataset.stripeKey);
    card = stripe.elements().create('card', {hidePostalCode: true});
    card.mount('#card-element');
  }
  var busy = false;
  form.addEventListener('submit', function (event) {
    // The language switch posts the form as it is, to be shown again in the other language.
    if (event.submitter && event.submitter.name === 'lang') { return; }
    if (document.getElementById('card_token').value) { return; }
    event.preventDefault();
    if (busy) { return; }
    busy = true;
    button.disabled = true;
    check().then(function (errors) {
      if (showErrors(errors, true)) {
        var first = form.querySelector('[aria-invalid=true]');
        if (first) { first.focus(); }
        button.disabled = false;
        busy = false;
        return;
      }
      if ((checked('payment_method') || 'card') !== 'card' || !stripe) {
        HTMLFormElement.prototype.submit.call(form);
        return;
      }
      stripe.createToken(card).then(function (result) {
        if (result.error) {
          document.getElementById('card-errors').textContent = result.error.message;
          button.disabled = false;
          busy = false;
          return;
        }
        document.getElementById('card_token').value = result.token.id;
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  });
})();
