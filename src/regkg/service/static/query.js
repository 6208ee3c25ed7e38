/* The query page: YASGUI over this service's /sparql, with the saved queries as examples.
   The server puts its configuration in <script id="regkg-config" type="application/json">. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("regkg-config").textContent);
  var root = document.getElementById("yasgui");
  if (typeof window.Yasgui !== "function") {
    root.textContent = "YASGUI n'a pas pu être chargé. / YASGUI could not be loaded (static/yasgui/yasgui.min.js).";
    root.className = "load-error";
    return;
  }
  var Yasgui = window.Yasgui;
  // Same origin, and the same path prefix when the service is served under one.
  var endpoint = new URL(config.endpoint, document.baseURI).href;

  // Complete prefixes (bundled list) and variables only: the class and property completers
  // would send what is typed to an outside vocabulary service (LOV).
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];

  var yasgui = new Yasgui(root, {
    tabName: "Requête",
    autofocus: false,
    persistenceId: "regkg",
    copyEndpointOnNewTab: true,
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json,*/*;q=0.9",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
    },
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
    },
    yasqe: { value: config.defaultQuery, collapsePrefixesOnLoad: true, editorHeight: "340px" },
  });
  window.regkgYasgui = yasgui; // for the console and the browser test

  var buttons = document.querySelectorAll("button.example[data-example]");
  var examples = Object.create(null);
  config.examples.forEach(function (example) {
    examples[example.name] = example;
  });
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var example = examples[button.getAttribute("data-example")];
      if (!example) return;
      // A tab per example; clicking again selects it rather than opening another copy.
      yasgui.addTab(
        true,
        { name: example.name, yasqe: { value: example.query }, requestConfig: { endpoint: endpoint } },
        { avoidDuplicateTabs: true },
      );
      Array.prototype.forEach.call(buttons, function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
      root.scrollIntoView({ block: "start" });
    });
  });
})();
