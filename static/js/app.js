// Every behaviour of the app's pages, bound by data attributes: the Content-Security-Policy allows no inline
// script and no inline event handler (onclick=…), so templates only name what should happen.
//   data-percent="42"           a progress bar's width (inline style attributes are refused by the CSP too)
//   data-select-on-click        a read-only field whose whole text is selected when clicked
//   data-copy-from="#id"        a button copying that field's value (or that element's text) to the clipboard;
//                               data-copied-text is what the button then says
//   data-check-all="selector"   a checkbox ticking or clearing every checkbox the selector names
//   data-confirm="question"     a form asking before it is sent
//   data-autosubmit             a select sending its form when changed
//   data-insert="{{field}}"     a merge-field button of the template editor (data-body-only: body only)
//   data-print                  a button printing the page (the browser's print, which also saves a PDF)
//   data-nav-toggle             the button that opens and closes the staff menu on a narrow screen
//   data-menu-group             a menu group (<details>): opening one closes the others; a click elsewhere closes all
(() => {
  "use strict";

  function applyPercent(root) {
    root.querySelectorAll("[data-percent]").forEach((bar) => {
      const value = Math.max(0, Math.min(100, Number(bar.dataset.percent) || 0));
      bar.style.width = `${value}%`;
    });
  }

  function bindTemplateEditor(root) {
    const form = root.querySelector ? root.querySelector("#template-form") : null;
    if (!form || form.dataset.editorBound) return;
    form.dataset.editorBound = "1";
    const subject = form.querySelector("#id_subject");
    const body = form.querySelector("#id_body");
    if (!subject || !body) return;
    let last = body;
    subject.addEventListener("focus", () => { last = subject; });
    body.addEventListener("focus", () => { last = body; });
    form.querySelectorAll("[data-insert]").forEach((button) => {
      button.addEventListener("click", () => {
        // A link or a multi-line signature never goes into the subject line.
        const target = button.hasAttribute("data-body-only") ? body : last;
        const start = target.selectionStart ?? target.value.length;
        const end = target.selectionEnd ?? start;
        target.setRangeText(button.dataset.insert, start, end, "end");
        target.focus();
        target.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  function copiedText(button) {
    if (button.dataset.copiedText) button.textContent = button.dataset.copiedText;
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const selectable = target.closest("[data-select-on-click]");
    if (selectable && typeof selectable.select === "function") selectable.select();
    const copy = target.closest("[data-copy-from]");
    if (copy) {
      const source = document.querySelector(copy.dataset.copyFrom);
      if (source && navigator.clipboard) {
        const text = "value" in source && source.tagName !== "BUTTON" ? source.value : source.innerText;
        navigator.clipboard.writeText(text).then(() => copiedText(copy));
      }
    }
    const checkAll = target.closest("input[type=checkbox][data-check-all]");
    if (checkAll) {
      document.querySelectorAll(checkAll.dataset.checkAll).forEach((box) => { box.checked = checkAll.checked; });
    }
    if (target.closest("[data-print]")) window.print();
    const toggle = target.closest("[data-nav-toggle]");
    if (toggle) {
      const open = toggle.closest(".topbar").classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    const group = target.closest("[data-menu-group]");
    document.querySelectorAll("[data-menu-group][open]").forEach((other) => {
      if (other !== group) other.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("[data-menu-group][open]").forEach((group) => {
      group.removeAttribute("open");
      group.querySelector("summary").focus();
    });
  });

  document.addEventListener("submit", (event) => {
    const form = event.target instanceof HTMLFormElement ? event.target : null;
    if (form && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("change", (event) => {
    const field = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
    if (field && field.form) field.form.requestSubmit();
  });

  function init(root) {
    applyPercent(root);
    bindTemplateEditor(root);
  }

  document.addEventListener("DOMContentLoaded", () => init(document));
  // Content swapped in by htmx (the import progress, the template preview) gets the same treatment.
  document.addEventListener("htmx:load", (event) => init(event.target instanceof Element ? event.target : document));
})();
