// paperwire Ask: streams the generated answer into the page (server-sent events from
// /ask/stream). Without this file the page offers a link that writes the answer on the server.
// Only textContent and createElement are used: nothing the model writes becomes HTML.
(function () {
  "use strict";

  function cite(id) {
    var a = document.createElement("a");
    a.className = "cite";
    a.href = "#" + id;
    a.textContent = "[" + id + "]";
    return a;
  }

  function note(section, className, text) {
    var p = document.createElement("p");
    p.className = "note " + className;
    p.textContent = text;
    section.appendChild(p);
  }

  function showAnswer(section, out, result) {
    out.textContent = "";
    result.segments.forEach(function (s) {
      out.appendChild(document.createTextNode(s.text));
      s.cites.forEach(function (id) {
        out.appendChild(document.createTextNode(" "));
        out.appendChild(cite(id));
      });
      out.appendChild(document.createTextNode(" "));
    });
    var removed = [];
    if (result.invented.length) {
      removed.push("citations of evidence that does not exist (" + result.invented.join(", ") + ")");
    }
    if (result.uncited.length) {
      removed.push(result.uncited.length + " sentence(s) citing no evidence");
    }
    if (removed.length) {
      note(section, "gen-flags", "Removed from the model's answer: " + removed.join("; ") + ".");
    }
  }

  function start(section) {
    var out = section.querySelector(".gen-text");
    var status = section.querySelector(".gen-status");
    status.textContent = "Writing an answer from the evidence…";
    var source = new EventSource(section.getAttribute("data-stream"));
    var done = function () {
      source.close();
      status.remove();
    };
    source.addEventListener("token", function (e) {
      out.textContent += JSON.parse(e.data);
    });
    source.addEventListener("answer", function (e) {
      done();
      showAnswer(section, out, JSON.parse(e.data));
      section.setAttribute("data-state", "answered");
    });
    source.addEventListener("fallback", function (e) {
      done();
      out.textContent = "";
      note(section, "gen-fallback", "No generated answer (" + JSON.parse(e.data).reason +
        "); the evidence below is the answer.");
      section.setAttribute("data-state", "fallback");
    });
    source.onerror = function () {
      // EventSource would reconnect and ask the model again: stop instead.
      if (section.getAttribute("data-state")) return;
      done();
      note(section, "gen-fallback", "The answer could not be streamed; the evidence below is the answer.");
      section.setAttribute("data-state", "fallback");
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("generated");
    if (section && section.getAttribute("data-stream") && section.querySelector(".gen-status")) {
      start(section);
    }
  });
})();
