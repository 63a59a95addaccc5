// Proof of work for forms under pressure (lib/challenge.py): find a counter whose SHA-256 of
// "<nonce>:<counter>" starts with `bits` zero bits, put it in the hidden field, and say so.
// Computed in the browser only; nothing is sent anywhere else. Without this script (or without
// crypto.subtle), the person answers the short question instead.
(function () {
  "use strict";

  function leadingZeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i += 1) {
      if (bytes[i] === 0) { count += 8; continue; }
      var byte = bytes[i];
      while ((byte & 0x80) === 0) { count += 1; byte <<= 1; }
      return count;
    }
    return count;
  }

  async function solve(nonce, bits) {
    var encoder = new TextEncoder();
    for (var counter = 0; ; counter += 1) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(nonce + ":" + counter));
      if (leadingZeroBits(new Uint8Array(digest)) >= bits) { return String(counter); }
    }
  }

  function start(box) {
    if (!(window.crypto && window.crypto.subtle && window.TextEncoder)) { return; }
    var solution = box.querySelector("input[name=challenge_solution]");
    var status = box.querySelector("[data-challenge-status]");
    var question = box.querySelector("[data-challenge-question]");
    if (!solution || !status) { return; }
    status.hidden = false;
    status.textContent = status.getAttribute("data-working");
    solve(box.getAttribute("data-nonce"), parseInt(box.getAttribute("data-bits"), 10)).then(function (found) {
      solution.value = found;
      status.textContent = status.getAttribute("data-done");
      box.setAttribute("data-solved", "true");
      if (question) { question.hidden = true; }
    });
  }

  function startAll() {
    var boxes = document.querySelectorAll("[data-challenge]");
    for (var i = 0; i < boxes.length; i += 1) { start(boxes[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
}());
