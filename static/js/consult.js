/* consult: after htmx posts a form, put the reader where the result is (no inline script: the CSP allows none).
   A new comment (appended to a thread's or a comment's list) gets the focus and is scrolled into view; a form that
   came back with errors has its error summary focused instead, as GOV.UK's pattern asks. Without JavaScript the
   server's redirect (#comment-N) and the form's action (#thread-…-form) do the same. */
(function () {
  "use strict";

  function land(element) {
    if (!element) return false;
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus({ preventScroll: true });
    element.scrollIntoView({ block: "center", behavior: "auto" });
    return true;
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "post") return;
    var settled = event.target;
    if (!(settled instanceof Element)) return;
    var summary = settled.matches(".error-summary") ? settled : settled.querySelector(".error-summary");
    if (summary) {
      land(summary);
      return;
    }
    if (settled.matches("ol.comments, ol.replies") && settled.lastElementChild) {
      land(settled.lastElementChild.querySelector("article.comment"));
    }
  });
})();
