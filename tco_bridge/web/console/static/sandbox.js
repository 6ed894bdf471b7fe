// The sandbox page: each story form posts JSON to the sandbox tool's API, and the ticket panel
// reloads every two seconds so the bridge's notes, labels, owner and timers appear as they come.
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  var error = document.getElementById("story-error");

  function current() { return panel.dataset.ticket || ""; }

  function refresh() {
    var url = panel.dataset.url + "?ticket=" + encodeURIComponent(current());
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        panel.innerHTML = html;
        // The header's demo clock shows the bridge's time as of this refresh.
        var clock = document.querySelector("header .demo");
        var now = document.getElementById("panel-clock");
        if (clock && now) { clock.textContent = now.textContent; }
      })
      .catch(function () { /* signed out or server restarting: keep the last view */ });
  }

  function body(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) { return; }
      data[el.name] = el.dataset.type === "bool" ? el.value === "true" : el.value;
    });
    return data;
  }

  function show(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-api]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var ticket = current();
      if (form.dataset.api.indexOf("{ticket}") >= 0 && !ticket) {
        show("Open a ticket first (step 1).");
        return;
      }
      fetch(form.dataset.api.replace("{ticket}", encodeURIComponent(ticket)), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body(form))
      }).then(function (r) {
        return r.json().then(function (answer) {
          if (!r.ok) { throw new Error(answer.reason || ("HTTP " + r.status)); }
          if (form.dataset.creates && answer.id) {
            panel.dataset.ticket = answer.id;
            history.replaceState(null, "", "?ticket=" + encodeURIComponent(answer.id));
          }
          show("");
          return refresh();
        });
      }).catch(function (e) { show(String(e.message || e)); });
    });
  });

  panel.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-ticket]");
    if (!link) { return; }
    event.preventDefault();
    panel.dataset.ticket = link.dataset.ticket;
    history.replaceState(null, "", "?ticket=" + encodeURIComponent(link.dataset.ticket));
    refresh();
  });

  setInterval(refresh, 2000);
}());
