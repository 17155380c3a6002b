/* civicbot web chat: put <script src="https://BOT/webchat/embed.js" async></script> where the
   chat should appear. It adds an <iframe> of the chat there; data-lang="fr|en" and
   data-height="36rem" are optional. Nothing else is loaded into the page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.parentNode) { return; }
  var titles = __TITLES__;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang ||
              navigator.language || "").slice(0, 2).toLowerCase();
  var frame = document.createElement("iframe");
  frame.src = new URL("./", script.src).href + (titles[lang] ? "?lang=" + lang : "");
  frame.title = titles[lang] || titles[__DEFAULT__];
  frame.setAttribute("allow", "geolocation");
  frame.style.border = "0";
  frame.style.width = "100%";
  frame.style.maxWidth = "40rem";
  frame.style.height = script.getAttribute("data-height") || "36rem";
  script.parentNode.insertBefore(frame, script.nextSibling);
}());
