// The desk's messages: the Project Fluent catalogue (i18n/locales/<lang>/*.ftl, served by
// netid-verifier at /desk/i18n/<lang>.ftl) formatted with @fluent/bundle. Elements carry
// data-l10n-id (and data-l10n-args as JSON); their text is replaced by the message in the current
// language. A message missing from the catalogue leaves the element's text as it is, so a gap
// shows English instead of an id.
"use strict";

const NetidL10n = (() => {
  const LANGS = ["en", "zh-CN"];
  let bundle = null;
  let current = "en";

  // The page's starting language: the server's choice in <html lang> (the clerk's switch, or the
  // browser's Accept-Language).
  function initial() {
    const lang = document.documentElement.lang;
    return LANGS.includes(lang) ? lang : "en";
  }

  async function load(lang) {
    const response = await fetch(`/desk/i18n/${lang}.ftl`, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`catalogue ${lang}: HTTP ${response.status}`);
    }
    const text = await response.text();
    // No bidi isolation marks: the desk shows left-to-right scripts only, and the marks would
    // end up in copied text and in screen readers' output.
    const next = new FluentBundle.FluentBundle(lang, { useIsolating: false });
    const errors = next.addResource(new FluentBundle.FluentResource(text));
    if (errors.length > 0) {
      console.warn(`catalogue ${lang}: ${errors.length} message(s) could not be read`);
    }
    bundle = next;
    current = lang;
    document.documentElement.lang = lang;
    translate(document);
  }

  // The message `id` formatted with `args`, or null when the catalogue has no such message.
  function message(id, args) {
    if (!bundle) {
      return null;
    }
    const found = bundle.getMessage(id);
    if (!found || !found.value) {
      return null;
    }
    return bundle.formatPattern(found.value, args || null, []);
  }

  function translate(root) {
    const elements = root.querySelectorAll("[data-l10n-id]");
    for (const element of elements) {
      const args = element.dataset.l10nArgs ? JSON.parse(element.dataset.l10nArgs) : null;
      const text = message(element.dataset.l10nId, args);
      if (text !== null) {
        element.textContent = text;
      }
      // Attributes from the message's attributes: `.aria-label`, `.alt`, `.placeholder`.
      const found = bundle && bundle.getMessage(element.dataset.l10nId);
      if (found && found.attributes) {
        for (const [name, pattern] of Object.entries(found.attributes)) {
          if (["aria-label", "alt", "placeholder", "title"].includes(name)) {
            element.setAttribute(name, bundle.formatPattern(pattern, args, []));
          }
        }
      }
    }
  }

  // Set an element's message (and translate it now).
  function set(element, id, args) {
    element.dataset.l10nId = id;
    if (args) {
      element.dataset.l10nArgs = JSON.stringify(args);
    } else {
      delete element.dataset.l10nArgs;
    }
    const text = message(id, args);
    if (text !== null) {
      element.textContent = text;
    }
  }

  function other() {
    return current === "en" ? "zh-CN" : "en";
  }

  return { initial, load, message, translate, set, other, get current() { return current; } };
})();
